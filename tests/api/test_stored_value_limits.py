"""Input that grows or changes when normalised is refused with a 400 on its field, never a 500."""

import pytest

from claims.models import Claimant
from sources.models import Article, Outlet
from tests.factories import OutletFactory

pytestmark = pytest.mark.django_db


def test_claimant_name_that_grows_when_normalised_is_stored(editor_client):
    # "ﷺ" is one character whose compatibility form is eighteen.
    name = "\ufdfa" * 17

    first = editor_client.post("/api/v1/claims/", {"text": "A claim.", "claimant": name}, format="json")
    second = editor_client.post("/api/v1/claims/", {"text": "Another claim.", "claimant": name}, format="json")

    assert first.status_code == 201, first.content
    assert second.status_code == 201, second.content
    assert first.json()["claimant"]["name"] == name
    assert second.json()["claimant"]["id"] == first.json()["claimant"]["id"]


@pytest.mark.parametrize("name", ["ــ", "\u064e\u0650", "ـ \u064b"])
def test_claimant_name_with_no_letters_left_after_normalising_is_refused(editor_client, name):
    response = editor_client.post("/api/v1/claims/", {"text": "A claim.", "claimant": name}, format="json")

    assert response.status_code == 400, response.content
    assert "claimant" in response.json()
    assert not Claimant.objects.exists()


@pytest.mark.parametrize("domain", ["WWW.alhadath-demo.example", "ALHADATH-DEMO.EXAMPLE", "www.Alhadath-Demo.example"])
def test_outlet_domain_duplicate_in_another_spelling_is_refused_like_an_exact_one(editor_client, domain):
    OutletFactory(domain="alhadath-demo.example")
    exact = editor_client.post("/api/v1/outlets/", {"name": "d", "domain": "alhadath-demo.example"}, format="json")

    response = editor_client.post("/api/v1/outlets/", {"name": "d", "domain": domain}, format="json")

    assert exact.status_code == 400
    assert response.status_code == 400, response.content
    assert response.json() == exact.json()


def test_outlet_domain_changed_to_another_outlets_domain_in_capitals_is_refused(editor_client):
    taken = OutletFactory(domain="alhadath-demo.example")
    other = OutletFactory(domain="other-demo.example")

    refused = editor_client.patch(f"/api/v1/outlets/{other.pk}/", {"domain": "ALHADATH-DEMO.EXAMPLE"}, format="json")
    own = editor_client.patch(f"/api/v1/outlets/{taken.pk}/", {"domain": "WWW.ALHADATH-DEMO.EXAMPLE"}, format="json")

    assert refused.status_code == 400, refused.content
    assert "domain" in refused.json()
    assert Outlet.objects.get(pk=other.pk).domain == "other-demo.example"
    assert own.status_code == 200, own.content
    assert own.json()["domain"] == "alhadath-demo.example"


def test_outlet_domain_that_grows_when_lower_cased_is_refused(editor_client):
    # "İ" lower-cases to two characters, so 130 of them pass the length check as typed.
    response = editor_client.post(
        "/api/v1/outlets/", {"name": "d", "domain": "\u0130" * 130 + ".example"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "domain" in response.json()


@pytest.mark.parametrize("country", ["ßa", "ßß", "ﬀa"])
def test_outlet_country_that_is_not_two_ascii_letters_is_refused(editor_client, country):
    response = editor_client.post("/api/v1/outlets/", {"name": "c", "country": country}, format="json")

    assert response.status_code == 400, response.content
    assert "country" in response.json()


def test_article_url_longer_than_the_column_once_canonical_is_refused(editor_client):
    url = "http://127.0.0.1/" + "é" * 331  # 348 characters as typed, 2003 percent-encoded

    response = editor_client.post("/api/v1/articles/", {"url": url}, format="json")

    assert response.status_code == 400, response.content
    assert "url" in response.json()
    assert not Article.objects.exists()


def test_an_outlet_with_a_non_ascii_domain_is_found_by_its_articles_urls(editor_client):
    registered = editor_client.post("/api/v1/outlets/", {"name": "الحدث", "domain": "الحدث.example."}, format="json")
    assert registered.status_code == 201, registered.content
    assert registered.json()["domain"] == "xn--mgbifi7h.example"

    article = editor_client.post("/api/v1/articles/", {"url": "https://www.الحدث.example/news/1"}, format="json")

    assert article.status_code == 201, article.content
    assert Article.objects.get().outlet_id == registered.json()["id"]
    again = editor_client.post("/api/v1/outlets/", {"name": "d", "domain": "WWW.XN--MGBIFI7H.example"}, format="json")
    assert again.status_code == 400 and "domain" in again.json()


def test_the_desk_stores_outlet_domains_as_the_api_does(client, admin_user):
    client.force_login(admin_user)

    response = client.post("/admin/sources/outlet/add/", {"name": "Al Hadath", "domain": "WWW.Alhadath.example."})

    assert response.status_code == 302
    assert Outlet.objects.get().domain == "alhadath.example"


def test_the_migration_folds_outlet_domains_stored_as_typed():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sources.migrations.0002_outlet_domains_ascii")
    arabic, kept, clash = (
        Outlet.objects.create(name="a", domain="الحدث.example"),
        Outlet.objects.create(name="b", domain="reuters.com"),
        Outlet.objects.create(name="c", domain="Reuters.com."),
    )

    migration.forwards(apps, None)

    arabic.refresh_from_db(), kept.refresh_from_db(), clash.refresh_from_db()
    assert (arabic.domain, kept.domain, clash.domain) == ("xn--mgbifi7h.example", "reuters.com", "Reuters.com.")
