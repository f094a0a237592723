"""Syndicated copies: the same evidence for the same claim in another outlet's article is one
decision for the desk, not one more row to read."""

import pytest

from claims.models import Evidence
from claims.selectors import review_counts
from claims.services import Finding, evidence_record_many, evidence_review, evidence_review_many
from factcheck.api.exceptions import DomainError
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db

WIRE = "The last CSTO troops left Kazakhstan on Wednesday, completing the withdrawal, the alliance said."
# The same sentence as another outlet printed it: its own quotes, dashes and capitals.
WIRE_REPRINTED = "The last CSTO troops left Kazakhstan on Wednesday -- completing the withdrawal, the alliance said"
WIRE_AR = "غادرت آخر قوات منظمة معاهدة الأمن الجماعي كازاخستان يوم الأربعاء لتكتمل عملية الانسحاب"
# Diacritics and a bare alef where the first outlet wrote hamza forms.
WIRE_AR_REPRINTED = "غادرتْ آخر قوّات منظمة معاهدة الامن الجماعي كازاخستان يوم الاربعاء لتكتمل عمليّة الانسحاب."


def _finding(claim, article, sentence=WIRE, stance="confirms"):
    return Finding(
        claim_id=claim.pk,
        article_id=article.pk,
        stance=stance,
        confidence=0.8,
        sentences=[sentence],
        retrieval_score=0.7,
        high_confidence=True,
    )


def _record(*findings):
    return [row for row, _ in evidence_record_many(findings=list(findings), model_version="m")]


@pytest.mark.parametrize(("first", "reprinted"), [(WIRE, WIRE_REPRINTED), (WIRE_AR, WIRE_AR_REPRINTED)])
def test_a_reprint_of_the_same_evidence_is_kept_as_a_copy_and_not_announced(
    first, reprinted, django_capture_on_commit_callbacks
):
    claim = ClaimFactory()
    [original] = _record(_finding(claim, ArticleFactory(), first))
    with django_capture_on_commit_callbacks() as callbacks:
        [copy] = _record(_finding(claim, ArticleFactory(), reprinted))

    assert copy.pk != original.pk
    assert Evidence.objects.get(pk=copy.pk).copy_of_id == original.pk
    assert Evidence.objects.get(pk=original.pk).copy_of_id is None
    assert callbacks == []  # no alert for a copy
    assert review_counts()["evidence"]["pending"] == 1


THURSDAY = WIRE.replace("Wednesday", "Thursday")
SHORT = "Troops left on Wednesday."  # short sentences recur in unrelated stories


@pytest.mark.parametrize(
    ("first", "second", "second_stance", "same_claim"),
    [
        (WIRE, WIRE, "contradicts", True),  # the other article reads the same sentence another way
        (WIRE, THURSDAY, "confirms", True),
        (SHORT, SHORT, "confirms", True),
        (WIRE, WIRE, "confirms", False),
    ],
)
def test_rows_that_differ_are_not_copies(first, second, second_stance, same_claim):
    claim = ClaimFactory()
    _record(_finding(claim, ArticleFactory(), first))
    [row] = _record(_finding(claim if same_claim else ClaimFactory(), ArticleFactory(), second, second_stance))

    assert Evidence.objects.get(pk=row.pk).copy_of_id is None


def test_copies_in_one_batch_join_the_first_of_them():
    claim, other_claim = ClaimFactory(), ClaimFactory()
    articles = ArticleFactory.create_batch(3)
    rows = _record(
        _finding(claim, articles[0]),
        _finding(other_claim, articles[0]),
        _finding(claim, articles[1], WIRE_REPRINTED),
        _finding(claim, articles[2]),
    )

    stored = {row.pk: row.copy_of_id for row in Evidence.objects.all()}
    assert stored == {rows[0].pk: None, rows[1].pk: None, rows[2].pk: rows[0].pk, rows[3].pk: rows[0].pk}


def test_a_copy_of_a_reviewed_row_arrives_with_its_decision(editor):
    claim = ClaimFactory()
    [original] = _record(_finding(claim, ArticleFactory()))
    evidence_review(evidence=original, decision="accept", reviewed_by=editor, note="Checked with the ministry")

    [copy] = _record(_finding(claim, ArticleFactory(), WIRE_REPRINTED))

    copy = Evidence.objects.get(pk=copy.pk)
    assert (copy.copy_of_id, copy.review_state, copy.reviewed_by, copy.review_note) == (
        original.pk,
        "accepted",
        editor,
        "Checked with the ministry",
    )
    [inherited] = copy.reviews.all()
    assert (inherited.action, inherited.reviewed_by, inherited.note) == (
        "accepted",
        editor,
        f"A copy of evidence {original.pk}, reviewed with it. Checked with the ministry",
    )


@pytest.mark.parametrize("reviewed", ["original", "copy"])
def test_reviewing_any_row_of_a_group_reviews_them_all(reviewed, editor):
    claim = ClaimFactory()
    [original] = _record(_finding(claim, ArticleFactory()))
    copies = _record(_finding(claim, ArticleFactory(), WIRE_REPRINTED), _finding(claim, ArticleFactory()))
    [unrelated] = _record(_finding(ClaimFactory(), ArticleFactory()))
    target = original if reviewed == "original" else copies[1]

    done = evidence_review_many(evidence_ids=[target.pk], decision="reject", reviewed_by=editor, note="Wrong troops")

    assert [row.pk for row in done] == [original.pk, copies[0].pk, copies[1].pk]
    states = dict(Evidence.objects.values_list("pk", "review_state"))
    assert states == {
        original.pk: "rejected",
        copies[0].pk: "rejected",
        copies[1].pk: "rejected",
        unrelated.pk: "pending",
    }
    assert set(Evidence.objects.filter(copy_of=original).values_list("reviewed_by", "review_note")) == {
        (editor.pk, "Wrong troops")
    }
    with pytest.raises(DomainError) as refused:
        evidence_review(evidence=copies[0], decision="accept", reviewed_by=editor)
    assert refused.value.status_code == 409


def test_a_copy_the_pipeline_reads_differently_on_a_new_run_becomes_its_own_row():
    claim = ClaimFactory()
    first, second = ArticleFactory(), ArticleFactory()
    [original] = _record(_finding(claim, first))
    [copy] = _record(_finding(claim, second))
    assert Evidence.objects.get(pk=copy.pk).copy_of_id == original.pk

    _record(_finding(claim, second, stance="discusses"))

    refreshed = Evidence.objects.get(pk=copy.pk)
    assert (refreshed.stance, refreshed.copy_of_id) == ("discusses", None)
