"""Hostile feeds and pages through ingestion: every poll and fetch ends with a stored state and a reason."""

from __future__ import annotations

import pytest

from sources import ingestion
from sources.models import Article, Feed
from sources.services import ARTICLE_BODY_MAX_CHARS
from tests.sources.fixtures.local_server import LocalServer, send

pytestmark = pytest.mark.django_db


def _rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def _item(number: int, title: str | None = None) -> str:
    return f"<item><title>{title or f'Story {number}'}</title><link>https://news.example/{number}</link></item>"


@pytest.fixture
def server():
    with LocalServer("127.0.0.1") as srv:
        yield srv


def _poll(server, route, capture) -> Feed:
    server.routes["/rss"] = route
    feed = Feed.objects.create(url=server.url("/rss"), interval_minutes=30)
    with capture(execute=False):
        ingestion.feed_poll(feed_id=feed.pk)
    feed.refresh_from_db()
    return feed


def test_entry_with_nul_characters_does_not_stop_the_poll(server, django_capture_on_commit_callbacks):
    items = _item(1) + _item(2, title="Bad&#0;title") + _item(3)
    feed = _poll(server, lambda h, s: send(h, 200, _rss(items)), django_capture_on_commit_callbacks)
    assert feed.last_status.startswith("OK: 3 new of 3 entries")
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Badtitle", "Story 1", "Story 3"]


@pytest.mark.parametrize(
    "headers",
    [
        {"ETag": '"' + "e" * 600 + '"'},
        {"Last-Modified": "Tue, 11 Jan 2022 10:00:00 GMT" + " " * 100 + "x"},
        {"ETag": '"a\x00b"'},
    ],
)
def test_validators_the_feed_row_cannot_hold_are_dropped(server, django_capture_on_commit_callbacks, headers):
    def route(handler, seen):
        handler.send_response(200)
        for name, value in headers.items():
            # send_header would refuse nothing here, but write the raw bytes to be sure of them.
            handler._headers_buffer.append(f"{name}: {value}\r\n".encode("latin-1"))
        body = _rss(_item(1))
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    feed = _poll(server, route, django_capture_on_commit_callbacks)
    assert feed.last_status == "OK: 1 new of 1 entries"
    assert feed.consecutive_failures == 0
    assert feed.etag == "" and feed.last_modified == ""


def test_poll_stores_at_most_a_bounded_number_of_entries(server, django_capture_on_commit_callbacks):
    limit = ingestion.FEED_MAX_ENTRIES_PER_POLL
    items = "".join(_item(number) for number in range(limit + 50))
    feed = _poll(server, lambda h, s: send(h, 200, _rss(items)), django_capture_on_commit_callbacks)
    assert Article.objects.count() == limit
    # Feeds list the newest first: those are the ones kept.
    assert Article.objects.filter(url="https://news.example/0").exists()
    assert feed.last_status.startswith(f"OK: {limit} new of {limit + 50} entries")
    assert "only the first" in feed.last_status


def test_page_longer_than_an_article_may_be_fails_with_reason(server):
    words = "A sentence of the longest story ever told, " * (ARTICLE_BODY_MAX_CHARS // 40)
    page = f"<html><head><title>Long</title></head><body><article><h1>Long</h1><p>{words}</p></article></body></html>"
    server.routes["/long"] = lambda h, s: send(h, 200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    article = Article.objects.create(url=server.url("/long"), state="queued")

    ingestion.article_fetch(article_id=article.pk, last_attempt=False)

    article.refresh_from_db()
    assert article.state == "failed"
    assert f"{ARTICLE_BODY_MAX_CHARS}" in article.state_reason
    assert article.body == ""
