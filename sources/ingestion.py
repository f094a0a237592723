"""Services that bring article text in: fetch a page, poll a feed, record failures."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from factcheck.api.exceptions import DomainError

from .choices import ArticleOrigin, ArticleState
from .extraction import ExtractionError, extract_article
from .feeds import fetch_feed
from .fetching import FetchError, PermanentFetchError, TransientFetchError, safe_request
from .models import Article, Feed
from .services import ARTICLE_BODY_MAX_CHARS, article_enqueue, article_set_state, article_submit

logger = logging.getLogger(__name__)

# What an article page may be served as; plain text is extracted as it is.
ARTICLE_MEDIA_TYPES = ("text/*", "application/xhtml+xml", "application/xml")
# Feeds list their newest entries first. One with tens of thousands (a few MB of bare links)
# would hold the worker past its time limit and queue a fetch for each.
FEED_MAX_ENTRIES_PER_POLL = 500


def _fetch_options() -> dict:
    return {
        "allow_private": settings.FETCH_ALLOW_PRIVATE_NETWORKS,
        "timeout": settings.FETCH_TIMEOUT_SECONDS,
        "max_bytes": settings.FETCH_MAX_BYTES,
    }


def _as_datetime(value: date | datetime | None) -> datetime | None:
    """Pages often give only a day; store it as midnight UTC."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def article_failed(*, article_id: int, reason: str) -> None:
    article_set_state(article_id=article_id, state=ArticleState.FAILED, reason=reason)


def article_fetch(*, article_id: int, last_attempt: bool) -> str | None:
    """Download and extract a URL-only article; on success queue it for matching."""
    article = Article.objects.filter(pk=article_id).only("url", "state", "body").first()
    if article is None or article.state == ArticleState.DONE:
        return None
    if article.body:  # fetched before a crash; just make sure it gets processed
        article_enqueue(article_id=article_id, fetch=False)
        return "already fetched"
    Article.objects.filter(pk=article_id).update(attempts=F("attempts") + 1)
    article_set_state(article_id=article_id, state=ArticleState.PROCESSING)
    try:
        # Images, PDFs and downloads are refused before their bytes are read.
        response = safe_request("GET", article.url, accept_types=ARTICLE_MEDIA_TYPES, **_fetch_options())
        extracted = extract_article(html=response.content, url=response.url, encoding=response.encoding)
        if len(extracted.body) > ARTICLE_BODY_MAX_CHARS:
            # The limit submitted bodies have: matching cost grows with the text.
            raise ExtractionError(f"the article text is longer than {ARTICLE_BODY_MAX_CHARS} characters")
    except TransientFetchError as exc:
        reason = f"Could not fetch the page yet: {exc}"
        article_set_state(
            article_id=article_id, state=ArticleState.FAILED if last_attempt else ArticleState.QUEUED, reason=reason
        )
        if last_attempt:
            return reason
        raise
    except (PermanentFetchError, FetchError, ExtractionError) as exc:
        reason = f"Could not fetch or read the page: {exc}"
        article_failed(article_id=article_id, reason=reason)
        return reason
    with transaction.atomic():
        Article.objects.filter(pk=article_id).update(
            title=(extracted.title or "")[:1000],
            body=extracted.body,
            language=extracted.language or "",
            published_at=_as_datetime(extracted.published_at),
            fetched_at=timezone.now(),
        )
        article_set_state(article_id=article_id, state=ArticleState.QUEUED)
        transaction.on_commit(lambda: article_enqueue(article_id=article_id, fetch=False))
    return "fetched"


def feed_poll(*, feed_id: int) -> dict | None:
    """Poll one feed with a conditional GET; each new entry becomes an article once."""
    feed = Feed.objects.select_related("outlet").filter(pk=feed_id, is_active=True).first()
    if feed is None:
        return None
    now = timezone.now()
    try:
        result = fetch_feed(
            url=feed.url, etag=feed.etag or None, modified=feed.last_modified or None, **_fetch_options()
        )
    except FetchError as exc:
        failures = feed.consecutive_failures + 1
        # Back off a failing feed: its interval times the failures, at most a day.
        delay = min(feed.interval_minutes * failures, 24 * 60)
        Feed.objects.filter(pk=feed_id).update(
            last_polled_at=now,
            last_status=f"Failed: {exc}"[:500],
            consecutive_failures=failures,
            next_poll_at=now + timedelta(minutes=delay),
        )
        return {"feed": feed_id, "error": str(exc)}
    new, skipped = 0, []
    if not result.not_modified:
        for entry in result.entries[:FEED_MAX_ENTRIES_PER_POLL]:
            body = entry.text or ""
            try:
                _article, created = article_submit(
                    origin=ArticleOrigin.FEED,
                    url=entry.url,
                    title=entry.title or "",
                    # A summary is often a teaser: with a URL, fetch the full page.
                    body="" if entry.url else body,
                    language=feed.language,
                    published_at=entry.published_at,
                    outlet=feed.outlet,
                    feed=feed,
                )
            except DomainError as exc:
                # One entry the service refuses (no link and no text, a link too long to
                # store) must not stop the feed's other entries, at this poll and every next one.
                skipped.append(exc.message)
                continue
            new += created
    status = f"OK: {new} new of {len(result.entries)} entries"
    if len(result.entries) > FEED_MAX_ENTRIES_PER_POLL:
        status += f", only the first {FEED_MAX_ENTRIES_PER_POLL} read"
    if skipped:
        status += f", {len(skipped)} skipped ({skipped[0]})"
    Feed.objects.filter(pk=feed_id).update(
        etag=_storable_validator(result.etag, field="etag"),
        last_modified=_storable_validator(result.modified, field="last_modified"),
        last_polled_at=now,
        last_status="Not modified" if result.not_modified else status[:500],
        consecutive_failures=0,
        next_poll_at=now + timedelta(minutes=feed.interval_minutes),
    )
    return {"feed": feed_id, "new": new, "not_modified": result.not_modified}


def _storable_validator(value: str | None, *, field: str) -> str:
    """An ETag or Last-Modified the feed row can hold, else "": the next poll is then unconditional."""
    if not value or len(value) > Feed._meta.get_field(field).max_length or "\x00" in value:
        return ""
    return value
