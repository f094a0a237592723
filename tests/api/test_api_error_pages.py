"""Errors Django answers before any API view runs are JSON on API paths, HTML elsewhere."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_api_path_no_route_matches_is_a_json_404(editor_client):
    response = editor_client.post("/api/v1/claims/1.5/status/", {"status": "mixed"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_form_with_more_fields_than_django_reads_is_a_json_400(editor_client):
    body = "&".join(f"field{number}=x" for number in range(1500))

    response = editor_client.post("/api/v1/claims/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_other_paths_keep_djangos_pages(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/claims/search.json?text=troops",
        "/api/v1/claims/1/history.json",
        "/api/v1/claims/1/similar.json",
        "/api/v1/claims.json",
        "/api/v1/status.json",
    ],
)
def test_format_suffixes_are_no_routes(reader_client, path):
    # DefaultRouter's suffix routes handed the actions a `format` argument they do not take: a 500.
    response = reader_client.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "broken", "json_body"),
    [
        ("/api/v1/claims/", "claims.api.views.selectors.claim_list", True),
        ("/admin/claims/claim/", "claims.admin.ClaimAdmin.get_queryset", False),
    ],
)
def test_an_unexpected_error_is_a_json_500_on_api_paths_and_djangos_page_elsewhere(
    admin_user, monkeypatch, path, broken, json_body
):
    from django.test import Client

    def fail(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(broken, fail)
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)

    response = client.get(path)

    assert response.status_code == 500
    assert "database on fire" not in response.content.decode()
    if json_body:
        assert response.json() == {
            "detail": "Something went wrong on our side; it has been logged.",
            "code": "server_error",
        }
    else:
        assert response["Content-Type"].startswith("text/html")
