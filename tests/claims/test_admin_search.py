"""The desk's search by text: has a forwarded message been logged already, in either language?"""

from urllib.parse import quote

import pytest
from django.contrib.auth.models import User

from claims import engine

pytestmark = pytest.mark.django_db

URL = "/admin/claims/claim/search-by-text/"
PUTIN = "القوات الروسية والحليفة التي أرسلت إلى كازاخستان ستغادر البلاد عند انتهاء مهمتها"
# Written for this test: an unrelated claim.
CYCLING = "The city will build twelve kilometres of protected cycling lanes by next spring."


@pytest.fixture
def desk(client, admin_user, editor_client, django_capture_on_commit_callbacks):
    engine.claim_index_cache.reset()
    ids = {}
    for name, text in (("putin", PUTIN), ("cycling", CYCLING)):
        with django_capture_on_commit_callbacks(execute=True):  # embedded once committed
            ids[name] = editor_client.post("/api/v1/claims/", {"text": text}, format="json").json()["id"]
    client.force_login(admin_user)
    yield client, ids
    engine.claim_index_cache.reset()


def test_the_claim_list_links_to_the_search(desk):
    client, _ = desk
    assert URL in client.get("/admin/claims/claim/").content.decode()


def test_a_claims_page_links_to_a_search_for_claims_like_it(desk):
    client, ids = desk
    page = client.get(f"/admin/claims/claim/{ids['putin']}/change/").content.decode()
    assert URL + "?text=" + quote(PUTIN) in page


def test_an_english_message_finds_the_arabic_claim_and_links_to_it(desk):
    client, ids = desk

    response = client.get(URL, {"text": "Russian troops will leave Kazakhstan once their mission is over"})

    assert response.status_code == 200
    results = response.context["results"]
    assert [hit["claim"].pk for hit in results] == [ids["putin"]]
    assert f"/admin/claims/claim/{ids['putin']}/change/" in response.content.decode()


def test_without_text_only_the_form_shows_and_no_search_runs(desk):
    client, _ = desk
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["results"] is None and response.context["error"] is None


def test_a_search_no_worker_answers_shows_why(desk, no_worker):
    client, _ = desk
    response = client.get(URL, {"text": "troops leave Kazakhstan"})
    assert response.status_code == 200
    assert "no worker is running" in response.context["error"]
    assert response.context["results"] is None


def test_staff_without_view_permission_on_claims_are_refused(client):
    client.force_login(User.objects.create_user("intern", password="x-pass-123", is_staff=True))
    assert client.get(URL, {"text": "troops"}).status_code == 403


def test_a_text_without_words_is_a_form_error_and_searches_nothing(desk):
    client, _ = desk
    response = client.get(URL, {"text": "\u064e\u0640\u0640"})  # a diacritic and tatweel
    assert response.status_code == 200 and response.context["results"] is None
    assert "no words to search" in response.content.decode()
