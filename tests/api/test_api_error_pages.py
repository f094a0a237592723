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
