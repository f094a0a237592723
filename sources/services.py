"""Writes on sources: submit articles once whatever path brings them, register outlets and feeds."""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import urlsplit

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from factcheck.api.exceptions import DomainError
from factnlp.text import detect_language

from .choices import ArticleOrigin, ArticleState
from .feeds import canonical_url, normalise_title
from .fetching import ascii_host
from .models import Article, Feed, Outlet

ARTICLE_BODY_MAX_CHARS = 500_000
ARTICLE_URL_MAX_CHARS = Article._meta.get_field("url").max_length


def outlet_domain_key(host: str) -> str:
    """A host as outlets are stored and looked up: ASCII (punycode), lower case, no root dot, no "www.".

    Raises ValueError, with a message for the user, for anything that is not a bare host name.
    """
    host = host.strip()
    if "/" in host or "." not in host:
        raise ValueError("Give a bare domain such as 'reuters.com'.")
    try:
        return ascii_host(host).removeprefix("www.")
    except UnicodeError:  # an empty or over-long label
        raise ValueError("Give a bare domain such as 'reuters.com'.") from None


def outlet_for_url(url: str) -> Outlet | None:
    """The registered outlet whose domain the URL belongs to (subdomains included)."""
    try:
        host = outlet_domain_key(urlsplit(url).hostname or "")
    except ValueError:
        return None
    parts = host.split(".")
    candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)]
    outlets = {o.domain.lower(): o for o in Outlet.objects.filter(domain__in=candidates)}
    return next((outlets[c] for c in candidates if c in outlets), None)


def article_dedup_key(*, title: str, outlet_id: int | None) -> str | None:
    normalised = normalise_title(title)
    if not normalised:
        return None
    return hashlib.sha256(f"{outlet_id or ''}|{normalised}".encode()).hexdigest()


def _existing_article(*, url: str | None, dedup_key: str | None) -> Article | None:
    if url:
        found = Article.objects.filter(url=url).first()
        if found:
            return found
    if dedup_key:
        return Article.objects.filter(dedup_key=dedup_key).first()
    return None


def article_submit(
    *,
    origin: str,
    url: str | None = None,
    title: str = "",
    body: str = "",
    language: str = "",
    published_at: datetime | None = None,
    outlet: Outlet | None = None,
    feed: Feed | None = None,
    created_by=None,
) -> tuple[Article, bool]:
    """Store an article once and queue it: fetching when only a URL is known, matching otherwise.

    Returns the article and whether it is new; a second submission of the same
    article (same canonical URL, or same normalised title and outlet when there
    is no URL) returns the first row untouched.
    """
    url = canonical_url(url) if url else None
    if url and len(url) > ARTICLE_URL_MAX_CHARS:
        # Percent-encoding turns each non-ASCII character into up to twelve.
        raise DomainError(
            f"The URL is longer than {ARTICLE_URL_MAX_CHARS} characters once percent-encoded.", field="url"
        )
    title, body = (title or "").strip(), (body or "").strip()
    if not url and not (title and body):
        raise DomainError("Give a url, or a title and a body.", field="url")
    if len(body) > ARTICLE_BODY_MAX_CHARS:
        raise DomainError(f"The body is longer than {ARTICLE_BODY_MAX_CHARS} characters.", field="body")
    if url and outlet is None:
        outlet = outlet_for_url(url)
    dedup_key = article_dedup_key(title=title, outlet_id=outlet.pk if outlet else None) if title else None
    existing = _existing_article(url=url, dedup_key=dedup_key)
    if existing:
        return existing, False

    needs_fetch = bool(url and not body)
    article = Article(
        url=url,
        dedup_key=dedup_key,
        title=title[:1000],
        body=body,
        language=language or (detect_language(f"{title}\n{body}") if body else ""),
        published_at=published_at,
        outlet=outlet,
        feed=feed,
        origin=ArticleOrigin.URL if needs_fetch and origin == ArticleOrigin.API else origin,
        state=ArticleState.QUEUED,
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        # The same article arrived by another path at the same moment.
        existing = _existing_article(url=url, dedup_key=dedup_key)
        if existing:
            return existing, False
        raise
    transaction.on_commit(lambda: article_enqueue(article_id=article.pk, fetch=needs_fetch))
    return article, True


def article_enqueue(*, article_id: int, fetch: bool) -> None:
    from .tasks import article_fetch_task, article_process_task

    (article_fetch_task if fetch else article_process_task).delay(article_id)


def article_set_state(*, article_id: int, state: str, reason: str = "", **fields) -> int:
    """Move an article to ``state``; returns 1 when the row still exists."""
    return Article.objects.filter(pk=article_id).update(
        state=state, state_reason=reason[:5000], state_changed_at=timezone.now(), **fields
    )


# Bodies shorter than this are embedded again rather than looked up: a feed's one-line summary
# costs the model less than the query would.
BODY_KEY_MIN_CHARS = 400


def article_body_key(body: str) -> str:
    """The key under which an article's embedded body is found again: its text with spacing
    folded (the same words in the same order, as a wire story is reprinted), or "" if short."""
    text = " ".join(body.split())
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if len(text) >= BODY_KEY_MIN_CHARS else ""


def articles_mark_done(*, articles, embedding_model: str) -> None:
    """Store each article's language, sentences, sentence vectors and body key and mark it done.

    One parameterised UPDATE per article, sent together (psycopg pipelines ``executemany``):
    ``bulk_update`` builds a CASE expression per field in Python, which cost a worker about
    twice as long per batch of 16 articles and gave PostgreSQL a larger statement to plan.
    """
    if not articles:
        return
    now = timezone.now()
    for article in articles:
        article.body_key = article_body_key(article.body)
    per_article = [Article._meta.get_field(name) for name in ("language", "sentences", "sentence_vectors", "body_key")]
    shared = {
        "state": ArticleState.DONE,
        "state_reason": "",
        "state_changed_at": now,
        "processed_at": now,
        "embedding_model": embedding_model,
    }
    shared_fields = [Article._meta.get_field(name) for name in shared]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in per_article + shared_fields)
    shared_values = [field.get_db_prep_save(shared[field.name], connection) for field in shared_fields]
    rows = [
        [field.get_db_prep_save(getattr(article, field.attname), connection) for field in per_article]
        + shared_values
        + [article.pk]
        for article in articles
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(Article._meta.db_table)} SET {assignments} WHERE {quote(Article._meta.pk.column)} = %s",
            rows,
        )


def feed_register(*, url: str, created_by=None, **values) -> Feed:
    """Register a feed and poll it at once."""
    feed = Feed(url=url, created_by=created_by, next_poll_at=timezone.now(), **values)
    with transaction.atomic():
        feed.save()
        transaction.on_commit(lambda: _enqueue_feed_poll(feed.pk))
    return feed


def _enqueue_feed_poll(feed_id: int) -> None:
    from .tasks import feed_poll_task

    feed_poll_task.delay(feed_id)
