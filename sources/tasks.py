"""Celery tasks of the sources app: fetch pages, process articles, poll feeds, sweep stragglers."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from . import ingestion
from .choices import ArticleState
from .fetching import TransientFetchError
from .models import Article, Feed

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(TransientFetchError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=5,
)
def article_fetch_task(self, article_id: int) -> str | None:
    """Fetch and extract a URL-only article, then queue it for matching."""
    final = self.request.retries >= self.max_retries
    return ingestion.article_fetch(article_id=article_id, last_attempt=final)


@shared_task(acks_late=True)
def article_process_task(article_id: int) -> int | None:
    """Match an article against the claims; idempotent (a done article is skipped).

    Under load the task also takes up to ``MATCH_BATCH_SIZE - 1`` other articles waiting
    in the queue and matches them together, which costs much less per article (see
    BENCHMARKS.md); their own tasks then find them done.
    """
    from claims.matching import articles_match, waiting_articles

    # An article once left unfinished by a dying worker is matched alone: were it the cause, it
    # would take a whole batch down with it again, and each of those would count a crash too.
    suspect = Article.objects.filter(pk=article_id, crash_requeues__gt=0).exists()
    batch = [article_id] + (
        [] if suspect else waiting_articles(limit=settings.MATCH_BATCH_SIZE - 1, exclude=article_id)
    )
    try:
        return articles_match(article_ids=batch).get(article_id)
    except Exception as exc:
        if len(batch) == 1:
            _matching_failed(article_id, exc)
            raise
    # One bad article must not fail the others: match them one by one.
    own = None
    for other_id in batch:
        try:
            found = articles_match(article_ids=[other_id]).get(other_id)
        except Exception as exc:
            _matching_failed(other_id, exc)
            if other_id == article_id:
                raise
            continue
        if other_id == article_id:
            own = found
    return own


def _matching_failed(article_id: int, exc: Exception) -> None:
    logger.warning("matching failed for article %s: %s", article_id, exc)
    ingestion.article_failed(article_id=article_id, reason=f"Matching failed: {exc}")


@shared_task
def articles_sweep_task() -> int:
    """Re-queue articles a crashed or restarted worker left behind.

    One left ``processing`` was taken by a worker that never finished it; after
    ``SWEEP_MAX_CRASH_REQUEUES`` such times it is failed, so an article that kills its worker
    (out of memory, the hard time limit) does not do so every sweep for ever. One still
    ``queued`` has only waited (a backlog, no worker running) and is queued again freely.
    """
    stale = timezone.now() - timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS)
    stranded = Article.objects.filter(
        state__in=[ArticleState.QUEUED, ArticleState.PROCESSING], state_changed_at__lt=stale
    ).values_list("pk", "body", "state", "crash_requeues")
    count = 0
    for article_id, body, state, crash_requeues in stranded.iterator():
        crashed = state == ArticleState.PROCESSING
        if crashed and crash_requeues >= settings.SWEEP_MAX_CRASH_REQUEUES:
            ingestion.article_failed(
                article_id=article_id,
                reason=f"Gave up: left unfinished {crash_requeues + 1} times (its worker stopped while processing it)",
            )
            logger.warning("sweep failed article %s, left unfinished %d times", article_id, crash_requeues + 1)
            continue
        # Touch the row first so the next sweep does not queue it again while it waits.
        Article.objects.filter(pk=article_id).update(
            state_changed_at=timezone.now(),
            attempts=F("attempts") + 1,
            crash_requeues=F("crash_requeues") + int(crashed),
        )
        (article_process_task if body else article_fetch_task).delay(article_id)
        count += 1
    if count:
        logger.info("sweep re-queued %d articles", count)
    return count


@shared_task
def feeds_poll_due_task() -> int:
    """Queue a poll for every active feed whose interval has passed."""
    now = timezone.now()
    due = Feed.objects.filter(is_active=True).filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
    count = 0
    for feed_id in due.values_list("pk", flat=True):
        # Push the next poll ahead before queueing so overlapping ticks queue it once.
        if (
            Feed.objects.filter(pk=feed_id)
            .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
            .update(next_poll_at=now + timedelta(minutes=5))
        ):
            feed_poll_task.delay(feed_id)
            count += 1
    return count


@shared_task(acks_late=True)
def feed_poll_task(feed_id: int) -> dict | None:
    return ingestion.feed_poll(feed_id=feed_id)
