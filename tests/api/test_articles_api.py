"""Articles, outlets and feeds API: queued on create, stored once, bad input refused."""

import pytest

from sources.models import Article, Feed
from tests.factories import OutletFactory

pytestmark = pytest.mark.django_db


def test_article_by_body_is_queued_and_language_detected(editor_client, django_capture_on_commit_callbacks):
    outlet = OutletFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(
            "/api/v1/articles/",
            {"title": "انسحاب القوات", "body": "أكملت القوات انسحابها من كازاخستان.", "outlet": outlet.pk},
            format="json",
        )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "queued"
    assert data["language"] == "ar"
    assert data["outlet"] == outlet.pk
    assert data["body"] == "أكملت القوات انسحابها من كازاخستان."
    assert len(callbacks) == 1  # processing is queued only after the row is committed


def test_article_by_url_only_is_queued_for_fetching(editor_client):
    response = editor_client.post("/api/v1/articles/", {"url": "https://news.example/a?utm_source=x"}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["state"] == "queued" and data["origin"] == "url"
    assert data["url"] == "https://news.example/a"


def test_same_article_twice_is_one_row(editor_client):
    first = editor_client.post("/api/v1/articles/", {"url": "https://news.example/story#top"}, format="json")
    second = editor_client.post(
        "/api/v1/articles/", {"url": "HTTPS://NEWS.example/story?utm_medium=rss"}, format="json"
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    outlet = OutletFactory()
    body = {"title": "Troops  leave Kazakhstan", "body": "The last troops left.", "outlet": outlet.pk}
    third = editor_client.post("/api/v1/articles/", body, format="json")
    fourth = editor_client.post("/api/v1/articles/", {**body, "title": "troops leave kazakhstan!"}, format="json")
    assert (third.status_code, fourth.status_code) == (201, 200)
    assert third.json()["id"] == fourth.json()["id"]
    assert Article.objects.count() == 2


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "url"),
        ({"title": "only a title"}, "body"),
        ({"url": "ftp://example.com/file"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"title": "t", "body": "b", "outlet": 999999}, "outlet"),
        ({"title": "t", "body": "b", "published_at": "yesterday"}, "published_at"),
        ({"title": "t", "body": "b", "published_at": "2120-01-10T10:00:00Z"}, "published_at"),
        ({"title": "t", "body": "b", "published_at": "0001-01-01T00:00:00Z"}, "published_at"),
        ({"title": "t", "body": "b", "published_at": "1900-01-01T01:00:00+02:00"}, "published_at"),
        ({"title": "t", "body": "b", "state": "done"}, "state"),
    ],
)
def test_bad_article_input_names_the_field(editor_client, body, field):
    response = editor_client.post("/api/v1/articles/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Article.objects.count() == 0


def test_feed_registration_polls_at_once(editor_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(
            "/api/v1/feeds/", {"url": "https://news.example/rss.xml", "interval_minutes": 15}, format="json"
        )
    assert response.status_code == 201, response.content
    assert response.json()["next_poll_at"] is not None
    assert len(callbacks) == 1
    assert Feed.objects.get().interval_minutes == 15


@pytest.mark.parametrize(
    "body,field",
    [
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "https://x.example/rss", "interval_minutes": 1}, "interval_minutes"),
    ],
)
def test_bad_feed_input(editor_client, body, field):
    response = editor_client.post("/api/v1/feeds/", body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_outlet_validation(editor_client):
    response = editor_client.post(
        "/api/v1/outlets/", {"name": "X", "domain": "https://x.example/", "country": "Kazakhstan"}, format="json"
    )
    assert response.status_code == 400
    assert {"domain", "country"} <= set(response.json())


@pytest.mark.parametrize(
    "body,missing",
    [
        ({"body": "The troops left on Wednesday."}, {"url", "title"}),
        ({"title": "Troops leave"}, {"url", "body"}),
        ({}, {"url", "title", "body"}),
    ],
)
def test_an_article_without_a_url_is_told_which_of_title_and_body_it_lacks(editor_client, body, missing):
    response = editor_client.post("/api/v1/articles/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == missing
    assert not Article.objects.exists()
