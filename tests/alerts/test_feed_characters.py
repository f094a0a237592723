"""Atom feeds: a NUL token is just a wrong token, and control characters in stored text do not break the feed."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_nul_in_token_is_refused_like_a_wrong_token(client, settings):
    settings.API_PUBLIC_READ = False
    wrong = client.get("/feeds/claims.atom", {"token": "wrong"})
    nul = client.get("/feeds/claims.atom", {"token": "\x00"})
    assert nul.status_code == wrong.status_code == 401
    assert nul.content == wrong.content


def test_control_characters_in_claim_text_and_status_note_do_not_break_the_feeds(client, editor_client, reader):
    created = editor_client.post(
        "/api/v1/claims/", {"text": "The bridge\x0b will\x01 open in May.", "kind": "promise"}, format="json"
    )
    assert created.status_code == 201, created.content
    claim_id = created.json()["id"]
    changed = editor_client.post(
        f"/api/v1/claims/{claim_id}/status/",
        {"status": "confirmed", "note": "Opened\x1f on\x08 Monday."},
        format="json",
    )
    assert changed.status_code in (200, 201), changed.content
    ClaimFactory(text="Taxes will fall next year.")
    token = Token.objects.create(user=reader).key

    for url in ("/feeds/claims.atom", f"/feeds/claims/{claim_id}.atom"):
        response = client.get(url, {"token": token})
        assert response.status_code == 200, response.content
        root = ElementTree.fromstring(response.content)  # a strict XML 1.0 parser
        entry = next(root.iter(f"{ATOM}entry"))
        assert "The bridge" in entry.find(f"{ATOM}title").text
        assert "Monday." in entry.find(f"{ATOM}summary").text
    assert "The bridge" in root.find(f"{ATOM}title").text
