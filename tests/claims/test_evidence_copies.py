"""Syndicated copies: the same evidence for the same claim in another outlet's article is one
decision for the desk, not one more row to read."""

import threading
import time

import pytest
from django.db import connection, transaction

from claims.models import Evidence
from claims.selectors import review_counts
from claims.services import Finding, evidence_record_many, evidence_reopen, evidence_review, evidence_review_many
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


def _states():
    return {e.pk: (e.copy_of_id, e.stance, e.review_state) for e in Evidence.objects.order_by("pk")}


def test_an_original_that_a_new_run_reads_differently_leaves_its_copies(editor):
    claim = ClaimFactory()
    first, second, third = ArticleFactory.create_batch(3)
    [original] = _record(_finding(claim, first))
    [copy] = _record(_finding(claim, second))

    # The original now contradicts; the same batch brings a new row saying what it used to.
    [_, newcomer] = _record(_finding(claim, first, stance="contradicts"), _finding(claim, third))

    assert _states() == {
        original.pk: (None, "contradicts", "pending"),
        copy.pk: (None, "confirms", "pending"),
        newcomer.pk: (copy.pk, "confirms", "pending"),  # joins the first row still saying it
    }
    evidence_review_many(evidence_ids=[original.pk], decision="accept", reviewed_by=editor)
    assert _states()[copy.pk][2] == _states()[newcomer.pk][2] == "pending"


def test_a_copy_refreshed_with_its_original_in_one_batch_is_compared_with_what_the_original_says_now():
    claim = ClaimFactory()
    first, second = ArticleFactory.create_batch(2)
    [original] = _record(_finding(claim, first))
    [copy] = _record(_finding(claim, second))

    _record(_finding(claim, first, stance="contradicts"), _finding(claim, second))

    assert _states()[copy.pk] == (None, "confirms", "pending")


def test_when_an_original_is_deleted_its_first_copy_takes_its_place(editor):
    claim = ClaimFactory()
    articles = ArticleFactory.create_batch(4)
    [original] = _record(_finding(claim, articles[0]))
    first_copy, second_copy = _record(_finding(claim, articles[1]), _finding(claim, articles[2]))
    evidence_review_many(evidence_ids=[original.pk], decision="accept", reviewed_by=editor)

    articles[0].delete()

    assert _states() == {
        first_copy.pk: (None, "confirms", "accepted"),
        second_copy.pk: (first_copy.pk, "confirms", "accepted"),
    }
    [later] = _record(_finding(claim, articles[3]))
    assert _states()[later.pk] == (first_copy.pk, "confirms", "accepted")
    reopened = evidence_reopen(evidence=second_copy, reopened_by=editor)
    assert {row.pk for row in reopened} == {first_copy.pk, second_copy.pk, later.pk}


def _while_held_open(hold, then):
    """Run ``hold`` in a transaction kept open until ``then``, in another thread, has had time to
    block on its locks; return what ``then`` returned."""
    held, release, out = threading.Event(), threading.Event(), {}

    def holder():
        try:
            with transaction.atomic():
                hold()
                held.set()
                release.wait(10)
        finally:
            held.set()
            connection.close()

    def other():
        try:
            out["result"] = then()
        finally:
            connection.close()

    first = threading.Thread(target=holder)
    first.start()
    held.wait(10)
    second = threading.Thread(target=other)
    second.start()
    time.sleep(0.5)
    release.set()
    first.join()
    second.join()
    return out.get("result")


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("decision", "state"), [("accept", "accepted"), ("reopen", "pending")])
def test_a_decision_waiting_on_the_pipeline_includes_the_copy_it_was_inserting(editor, decision, state):
    claim = ClaimFactory()
    first, second = ArticleFactory.create_batch(2)
    [original] = _record(_finding(claim, first))
    if decision == "reopen":
        evidence_review_many(evidence_ids=[original.pk], decision="accept", reviewed_by=editor)

    _while_held_open(
        lambda: _record(_finding(claim, second)),
        lambda: (
            evidence_reopen(evidence=original, reopened_by=editor)
            if decision == "reopen"
            else evidence_review_many(evidence_ids=[original.pk], decision="accept", reviewed_by=editor)
        ),
    )

    assert set(Evidence.objects.values_list("review_state", flat=True)) == {state}


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_copy_taken_out_of_its_group_while_a_review_waits_is_reviewed_on_its_own(editor):
    claim = ClaimFactory()
    first, second = ArticleFactory.create_batch(2)
    [original] = _record(_finding(claim, first))
    [copy] = _record(_finding(claim, second))

    reviewed = _while_held_open(
        lambda: _record(_finding(claim, second, stance="discusses")),
        lambda: evidence_review_many(evidence_ids=[copy.pk], decision="accept", reviewed_by=editor),
    )

    assert [row.pk for row in reviewed] == [copy.pk]
    assert _states() == {original.pk: (None, "confirms", "pending"), copy.pk: (None, "discusses", "accepted")}
