"""GET /api/v1/status/: counts a monitor alerts on and a desk plans with."""

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import BackfillRun
from sources.models import Article, Feed
from tests.factories import ArticleFactory, ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/status/"


def test_an_empty_service_reports_zeros_and_no_wait(reader_client):
    body = reader_client.get(URL).json()

    assert body["articles"] == {"queued": 0, "processing": 0, "done": 0, "failed": 0}
    assert body["oldest_waiting_since"] is None and body["oldest_waiting_seconds"] is None
    assert body["feeds"] == {"active": 0, "failing": 0}
    assert body["evidence"] == {"pending": 0, "pending_high_confidence": 0}
    assert body["open_claims"] == 0 and body["follow_ups_due"] == 0
    assert body["backfills"] == {"queued": 0, "running": 0}


def test_counts_and_the_oldest_wait(reader_client):
    now = timezone.now()
    ArticleFactory.create_batch(2, state="done")
    ArticleFactory(state="failed")
    waiting = [ArticleFactory(state="queued"), ArticleFactory(state="processing"), ArticleFactory(state="queued")]
    # The processing one has waited longest: it counts, not only queued ones.
    for article, minutes in zip(waiting, (5, 30, 1), strict=True):
        Article.objects.filter(pk=article.pk).update(state_changed_at=now - timedelta(minutes=minutes))
    Feed.objects.create(url="https://a.example/rss")
    Feed.objects.create(url="https://b.example/rss", consecutive_failures=2)
    Feed.objects.create(url="https://c.example/rss", consecutive_failures=9, is_active=False)  # paused: not counted
    EvidenceFactory(high_confidence=True)
    EvidenceFactory(high_confidence=False)
    EvidenceFactory(high_confidence=True, review_state="accepted")
    ClaimFactory(follow_up_date=timezone.localdate() - timedelta(days=1))
    ClaimFactory(follow_up_date=timezone.localdate() + timedelta(days=7))
    ClaimFactory(status="contradicted", follow_up_date=timezone.localdate() - timedelta(days=1))  # decided: not due
    claim = ClaimFactory()
    BackfillRun.objects.create(claim=claim, window_days=90, state="running")
    BackfillRun.objects.create(claim=claim, window_days=90, state="done")

    body = reader_client.get(URL).json()

    assert body["articles"] == {"queued": 2, "processing": 1, "done": 5, "failed": 1}  # evidence brought 3 more done
    assert 30 * 60 <= body["oldest_waiting_seconds"] < 31 * 60
    assert body["feeds"] == {"active": 2, "failing": 1}
    assert body["evidence"] == {"pending": 2, "pending_high_confidence": 1}
    assert body["follow_ups_due"] == 1
    assert body["open_claims"] == 3 + 3  # the three evidence rows' claims are open too
    assert body["backfills"] == {"queued": 0, "running": 1}


def test_anonymous_monitors_need_a_token(anon_client):
    assert anon_client.get(URL).status_code == 401
