"""Recording the pipeline's findings for one article: one row per claim, editors' decisions kept."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Evidence
from claims.services import Finding, evidence_record_many
from tests.factories import ArticleFactory, ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


def _finding(claim, article, stance="contradicts", confidence=0.7):
    return Finding(
        claim_id=claim.pk,
        article_id=article.pk,
        stance=stance,
        confidence=confidence,
        sentences=["The withdrawal was postponed indefinitely."],
        retrieval_score=0.6,
        high_confidence=False,
    )


def test_new_rows_are_inserted_pending_rows_refreshed_and_judged_rows_left_alone(django_capture_on_commit_callbacks):
    article = ArticleFactory()
    fresh, pending, judged = ClaimFactory(), ClaimFactory(), ClaimFactory()
    old_pending = EvidenceFactory(claim=pending, article=article, stance="discusses", confidence=0.3)
    old_judged = EvidenceFactory(claim=judged, article=article, stance="confirms", review_state="rejected")
    with django_capture_on_commit_callbacks() as callbacks:
        rows = evidence_record_many(
            findings=[_finding(fresh, article), _finding(pending, article), _finding(judged, article)],
            model_version="m-2",
        )
    assert [(evidence.claim_id, created) for evidence, created in rows] == [
        (fresh.pk, True),
        (pending.pk, False),
        (judged.pk, False),
    ]
    assert len(callbacks) == 1  # only the new row is announced
    stored = {e.claim_id: e for e in Evidence.objects.filter(article=article)}
    assert (stored[fresh.pk].stance, stored[fresh.pk].review_state, stored[fresh.pk].model_version) == (
        "contradicts",
        "pending",
        "m-2",
    )
    assert stored[fresh.pk].excerpt == "The withdrawal was postponed indefinitely."
    assert (stored[pending.pk].pk, stored[pending.pk].stance, stored[pending.pk].confidence) == (
        old_pending.pk,
        "contradicts",
        0.7,
    )
    assert (stored[judged.pk].stance, stored[judged.pk].review_state) == ("confirms", "rejected")
    assert stored[judged.pk].model_version == old_judged.model_version


def test_many_findings_cost_a_fixed_number_of_statements():
    article = ArticleFactory()
    claims = [ClaimFactory() for _ in range(8)]
    with CaptureQueriesContext(connection) as queries:
        evidence_record_many(findings=[_finding(c, article) for c in claims], model_version="m")
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements  # the locking read and one multi-row insert
    assert Evidence.objects.filter(article=article).count() == 8


def test_a_row_inserted_concurrently_is_refreshed_not_duplicated(monkeypatch):
    article = ArticleFactory()
    claim = ClaimFactory()
    # Another worker's row, committed after our locking read saw no row for the pair:
    # the first read is made blind to it, so the insert collides with it.
    competitor = EvidenceFactory(claim=claim, article=article, stance="discusses", confidence=0.2)
    real_select_for_update = Evidence.objects.select_for_update
    reads = []

    def select_for_update_missing_the_competitor():
        reads.append(1)
        return Evidence.objects.none() if len(reads) == 1 else real_select_for_update()

    monkeypatch.setattr(Evidence.objects, "select_for_update", select_for_update_missing_the_competitor)
    [(evidence, created)] = evidence_record_many(findings=[_finding(claim, article)], model_version="m")
    assert len(reads) == 2  # the insert failed and the write was redone
    assert (evidence.pk, created) == (competitor.pk, False)
    assert Evidence.objects.filter(article=article, claim=claim).count() == 1
    assert Evidence.objects.get().stance == "contradicts"
