"""Bodies holding text PostgreSQL or the JSON renderer cannot hold are refused field by field."""

import json

import pytest

from claims.models import Claim, Claimant
from factcheck.api.parsers import unstorable_text

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"


def _post_raw(client, body: str):
    """Post a JSON text as written: escapes such as \\ud800 reach the server undecoded."""
    return client.post(CLAIMS, data=body.encode("utf-8"), content_type="application/json")


def test_a_nul_in_the_claimant_name_is_a_field_error_and_nothing_is_stored(editor_client):
    response = _post_raw(editor_client, '{"text": "The troops will leave.", "claimant": "Vladimir\\u0000Putin"}')

    assert response.status_code == 400
    assert "NUL" in response.json()["claimant"][0]
    assert not Claim.objects.exists() and not Claimant.objects.exists()


def test_a_lone_surrogate_in_a_choice_is_named_instead_of_breaking_the_error_message(editor_client):
    response = _post_raw(editor_client, '{"text": "The troops will leave.", "kind": "prom\\ud800ise"}')

    assert response.status_code == 400
    assert "surrogate" in response.json()["kind"][0]


def test_a_lone_surrogate_in_a_field_name_is_reported_escaped(editor_client):
    response = _post_raw(editor_client, '{"text": "The troops will leave.", "\\udc00": 1}')

    assert response.status_code == 400
    assert list(response.json()) == ["\\udc00"]


def test_a_body_nested_too_deeply_to_parse_is_a_parse_error(editor_client):
    response = _post_raw(editor_client, "[" * 5000 + "]" * 5000)

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_form_bodies_are_checked_too(editor_client):
    response = editor_client.post(
        CLAIMS,
        "text=The+troops+will+leave.&claimant=Vladimir%00Putin",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "NUL" in response.json()["claimant"][0]
    assert not Claim.objects.exists()


def test_ordinary_arabic_and_emoji_text_passes(editor_client):
    body = json.dumps({"text": "القوات ستغادر عند انتهاء المهمة 🇰🇿", "claimant": "بوتين"})

    assert _post_raw(editor_client, body).status_code == 201


def test_problems_are_named_by_their_path_in_nested_bodies():
    body = {"events": ["claim.created", "bad\x00event"], "options": {"tag": "\ud83d"}, "fine": ["ok", 3, None]}

    assert unstorable_text(body) == {
        "events[1]": ["Text must not contain NUL characters."],
        "options.tag": ["Text must not contain unpaired surrogate characters (U+D800 to U+DFFF)."],
    }


def test_the_token_endpoint_uses_the_same_parsers(anon_client):
    response = anon_client.post("/api/v1/auth/token/", data="[" * 5000 + "]" * 5000, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
