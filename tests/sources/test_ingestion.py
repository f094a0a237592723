"""Ingestion through the real tasks (run inline): URL fetching, failures, feeds, the sweep."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from sources import ingestion
from sources.models import Article, Feed
from sources.tasks import articles_sweep_task, feeds_poll_due_task
from tests.sources.fixtures.local_server import LocalServer, send

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE_AR = (FIXTURES / "article_ar.html").read_bytes()
ARTICLE_EN = (FIXTURES / "article_en.html").read_bytes()


@pytest.fixture
def server():
    with LocalServer("127.0.0.1") as srv:
        srv.routes["/ar"] = lambda h, s: send(h, 200, ARTICLE_AR, {"Content-Type": "text/html; charset=utf-8"})
        srv.routes["/en"] = lambda h, s: send(h, 200, ARTICLE_EN, {"Content-Type": "text/html; charset=utf-8"})
        srv.routes["/gone"] = lambda h, s: send(h, 404, b"not here")
        srv.routes["/scan.pdf"] = lambda h, s: send(h, 200, b"%PDF-1.7 ...", {"Content-Type": "application/pdf"})
        srv.routes["/busy"] = lambda h, s: send(h, 503, b"try later")
        yield srv


def _rss(server) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{server.url(path)}</link><guid>{path}</guid></item>"
        for title, path in [("Arabic story", "/ar"), ("English story", "/en")]
    )
    items += "<item><title>Brief without a link</title><description>A short brief of the day.</description></item>"
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_url_article_is_fetched_extracted_and_processed(editor_client, server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post("/api/v1/articles/", {"url": server.url("/ar")}, format="json")
    assert response.status_code == 201
    article = Article.objects.get(pk=response.json()["id"])
    assert article.state == "done", article.state_reason
    assert article.language == "ar"
    assert article.title and article.fetched_at is not None
    # The fixture ends with a comment form and share buttons: none of it is kept.
    for widget in ["اترك تعليقاً", "البريد الإلكتروني", "شارك على فيسبوك"]:
        assert widget not in article.body
    assert article.sentences and article.sentence_vectors


def test_missing_page_fails_with_reason(editor_client, server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article_id = editor_client.post("/api/v1/articles/", {"url": server.url("/gone")}, format="json").json()["id"]
    article = Article.objects.get(pk=article_id)
    assert article.state == "failed"
    assert "404" in article.state_reason
    assert len([r for r in server.requests if r.path == "/gone"]) == 1  # permanent: not retried


def test_a_link_to_a_pdf_fails_at_once_with_the_type_it_sent(editor_client, server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post("/api/v1/articles/", {"url": server.url("/scan.pdf")}, format="json")
    article = Article.objects.get(pk=response.json()["id"])
    assert article.state == "failed"
    assert "not a web page: the server sent application/pdf" in article.state_reason


def test_transient_errors_are_retried_then_fail(server):
    from sources.fetching import TransientFetchError
    from sources.tasks import article_fetch_task

    article = Article.objects.create(url=server.url("/busy"), state="queued")
    # Celery retries exactly this error type, with backoff.
    assert TransientFetchError in article_fetch_task.autoretry_for
    with pytest.raises(TransientFetchError):
        ingestion.article_fetch(article_id=article.pk, last_attempt=False)
    article.refresh_from_db()
    assert article.state == "queued" and "503" in article.state_reason
    ingestion.article_fetch(article_id=article.pk, last_attempt=True)
    article.refresh_from_db()
    assert article.state == "failed" and "503" in article.state_reason
    assert article.attempts == 2


def test_private_addresses_are_refused_unless_allowed(
    editor_client, server, settings, django_capture_on_commit_callbacks
):
    settings.FETCH_ALLOW_PRIVATE_NETWORKS = False
    with django_capture_on_commit_callbacks(execute=True):
        article_id = editor_client.post("/api/v1/articles/", {"url": server.url("/en")}, format="json").json()["id"]
    article = Article.objects.get(pk=article_id)
    assert article.state == "failed"
    assert "127.0.0.1" in article.state_reason
    assert server.requests == []


def test_feed_entries_become_articles_once(server, django_capture_on_commit_callbacks):
    etag = '"v1"'

    def feed(handler, seen):
        if seen.headers.get("if-none-match") == etag:
            send(handler, 304, headers={"ETag": etag})
        else:
            send(handler, 200, _rss(server), {"Content-Type": "application/rss+xml", "ETag": etag})

    server.routes["/rss"] = feed
    feed_row = Feed.objects.create(url=server.url("/rss"), interval_minutes=30)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = ingestion.feed_poll(feed_id=feed_row.pk)
    assert first == {"feed": feed_row.pk, "new": 3, "not_modified": False}
    assert len(queued) == 3
    assert set(Article.objects.values_list("origin", flat=True)) == {"feed"}
    brief = Article.objects.get(url__isnull=True)
    assert brief.body == "A short brief of the day."
    second = ingestion.feed_poll(feed_id=feed_row.pk)
    assert second["not_modified"] is True
    feed_row.refresh_from_db()
    assert feed_row.etag == etag and feed_row.next_poll_at > timezone.now()
    # Without the ETag the same entries come again, and are still stored once.
    Feed.objects.filter(pk=feed_row.pk).update(etag="")
    assert ingestion.feed_poll(feed_id=feed_row.pk)["new"] == 0
    assert Article.objects.count() == 3


def test_due_feeds_are_queued_once(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("sources.tasks.feed_poll_task.delay", lambda feed_id: queued.append(feed_id))
    due = Feed.objects.create(url="https://a.example/rss", next_poll_at=timezone.now() - timedelta(minutes=1))
    Feed.objects.create(url="https://b.example/rss", next_poll_at=timezone.now() + timedelta(hours=1))
    Feed.objects.create(url="https://c.example/rss", is_active=False, next_poll_at=None)
    assert feeds_poll_due_task() == 1
    assert feeds_poll_due_task() == 0  # the first run pushed next_poll_at ahead
    assert queued == [due.pk]


def test_sweep_requeues_stranded_articles(monkeypatch):
    processed, fetched = [], []
    monkeypatch.setattr("sources.tasks.article_process_task.delay", processed.append)
    monkeypatch.setattr("sources.tasks.article_fetch_task.delay", fetched.append)
    old = timezone.now() - timedelta(hours=1)
    stranded = Article.objects.create(title="t", body="b", state="processing")
    url_only = Article.objects.create(url="https://x.example/a", state="queued")
    fresh = Article.objects.create(title="t2", body="b2", state="queued")
    done = Article.objects.create(title="t3", body="b3", state="done")
    Article.objects.filter(pk__in=[stranded.pk, url_only.pk, done.pk]).update(state_changed_at=old)
    assert articles_sweep_task() == 2
    assert processed == [stranded.pk] and fetched == [url_only.pk]
    assert fresh.pk not in processed
    assert articles_sweep_task() == 0  # touched rows wait for the next stale period


def test_sweep_fails_an_article_its_workers_keep_dying_on_but_not_one_that_only_waited(monkeypatch, settings):
    settings.SWEEP_MAX_CRASH_REQUEUES = 2
    processed = []
    monkeypatch.setattr("sources.tasks.article_process_task.delay", processed.append)
    old = timezone.now() - timedelta(hours=1)
    poison = Article.objects.create(title="t", body="b", state="processing")
    waiting = Article.objects.create(title="t2", body="b2", state="queued")

    # No task runs here, so each sweep finds the two as the last left them: the first taken by
    # a worker that died, the second still waiting for one.
    for _ in range(3):
        Article.objects.exclude(state="failed").update(state_changed_at=old)
        articles_sweep_task()

    poison.refresh_from_db()
    waiting.refresh_from_db()
    assert processed.count(poison.pk) == 2 and poison.crash_requeues == 2
    assert poison.state == "failed" and "left unfinished 3 times" in poison.state_reason
    assert processed.count(waiting.pk) == 3 and waiting.crash_requeues == 0 and waiting.state == "queued"


def test_entries_the_service_refuses_are_skipped_and_the_rest_stored(server, django_capture_on_commit_callbacks):
    too_long = server.url("/" + "é" * 400)  # about 2,400 characters once percent-encoded
    items = (
        f"<item><title>Story</title><link>{server.url('/en')}</link></item>"
        "<item><description></description></item>"  # no link, no title, no text
        f"<item><title>Long link</title><link>{too_long}</link></item>"
        "<item><title>Brief</title><description>A short brief of the day.</description></item>"
    )
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()
    server.routes["/rss"] = lambda handler, seen: send(handler, 200, rss, {"Content-Type": "application/rss+xml"})
    feed_row = Feed.objects.create(url=server.url("/rss"), interval_minutes=30)

    with django_capture_on_commit_callbacks(execute=False):
        result = ingestion.feed_poll(feed_id=feed_row.pk)

    assert result["new"] == 2
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Brief", "Story"]
    feed_row.refresh_from_db()
    assert feed_row.last_status.startswith("OK: 2 new of 4 entries, 2 skipped (")
    assert feed_row.next_poll_at > timezone.now()
