"""The permission matrix: anonymous, read-only client, editor and admin against every endpoint."""

import pytest

from tests.factories import ArticleFactory, ClaimFactory, EvidenceFactory, OutletFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "reader", "editor", "admin"]


def _objects():
    claim = ClaimFactory()
    evidence = EvidenceFactory(claim=claim)
    outlet = OutletFactory()
    article = ArticleFactory()
    return {"claim": claim.pk, "evidence": evidence.pk, "outlet": outlet.pk, "article": article.pk}


# (method, url template, body, expected status per role: anonymous, reader, editor, admin)
MATRIX = [
    ("get", "/api/v1/claims/", None, (401, 200, 200, 200)),
    ("post", "/api/v1/claims/", {"text": "Prices will fall by June.", "kind": "prediction"}, (401, 403, 201, 201)),
    ("get", "/api/v1/claims/{claim}/", None, (401, 200, 200, 200)),
    ("patch", "/api/v1/claims/{claim}/", {"tags": ["economy"]}, (401, 403, 200, 200)),
    ("put", "/api/v1/claims/{claim}/", {"text": "Edited text of the claim."}, (401, 403, 200, 200)),
    ("delete", "/api/v1/claims/{claim}/", None, (401, 403, 403, 204)),
    ("get", "/api/v1/claims/{claim}/history/", None, (401, 200, 200, 200)),
    ("get", "/api/v1/claims/{claim}/evidence/", None, (401, 200, 200, 200)),
    ("get", "/api/v1/claims/{claim}/claimreview/", None, (401, 200, 200, 200)),
    ("get", "/api/v1/claims/{claim}/backfills/", None, (401, 200, 200, 200)),
    ("post", "/api/v1/claims/{claim}/status/", {"status": "confirmed", "note": "n"}, (401, 403, 201, 201)),
    ("get", "/api/v1/evidence/", None, (401, 200, 200, 200)),
    ("get", "/api/v1/evidence/{evidence}/", None, (401, 200, 200, 200)),
    ("post", "/api/v1/evidence/{evidence}/review/", {"decision": "accept"}, (401, 403, 200, 200)),
    ("get", "/api/v1/outlets/", None, (401, 200, 200, 200)),
    ("post", "/api/v1/outlets/", {"name": "New outlet", "domain": "new.example"}, (401, 403, 201, 201)),
    ("patch", "/api/v1/outlets/{outlet}/", {"reliability_note": "ok"}, (401, 403, 200, 200)),
    ("delete", "/api/v1/outlets/{outlet}/", None, (401, 403, 403, 204)),
    ("get", "/api/v1/articles/", None, (401, 200, 200, 200)),
    ("get", "/api/v1/articles/{article}/", None, (401, 200, 200, 200)),
    ("post", "/api/v1/articles/", {"title": "A title", "body": "A body of text."}, (401, 403, 201, 201)),
    ("delete", "/api/v1/articles/{article}/", None, (401, 403, 403, 204)),
    ("get", "/api/v1/feeds/", None, (401, 200, 200, 200)),
    ("post", "/api/v1/feeds/", {"url": "https://feeds.example/rss"}, (401, 403, 201, 201)),
]


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
@pytest.mark.parametrize("method,url,body,expected", MATRIX, ids=[f"{m} {u}" for m, u, _, _ in MATRIX])
def test_permission_matrix(clients, role_index, role, method, url, body, expected):
    ids = _objects()
    response = getattr(clients[role], method)(url.format(**ids), body, format="json")
    assert response.status_code == expected[role_index], response.content
    if response.status_code in (401, 403):
        assert response.json()["detail"]


def test_anonymous_401_carries_token_challenge(anon_client):
    response = anon_client.get("/api/v1/claims/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_are_public(anon_client, url):
    assert anon_client.get(url).status_code == 200


def test_public_read_setting_opens_reads_but_not_writes(anon_client, settings):
    settings.API_PUBLIC_READ = True
    ClaimFactory()
    assert anon_client.get("/api/v1/claims/").status_code == 200
    assert anon_client.post("/api/v1/claims/", {"text": "x y z"}, format="json").status_code == 401


def test_token_endpoint_returns_token_for_good_credentials(anon_client, editor):
    response = anon_client.post(
        "/api/v1/auth/token/", {"username": "editor", "password": "editor-pass-123"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    anon_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anon_client.get("/api/v1/claims/").status_code == 200


def test_token_endpoint_rejects_bad_credentials(anon_client, editor):
    response = anon_client.post("/api/v1/auth/token/", {"username": "editor", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_an_editor_with_access_to_the_django_admin_gets_no_admin_rights_in_the_api(editor, editor_client):
    # load_demo (and a newsroom using the admin as its desk) gives editors the staff flag.
    editor.is_staff = True
    editor.save(update_fields=["is_staff"])
    claim = ClaimFactory()

    assert editor_client.delete(f"/api/v1/claims/{claim.pk}/").status_code == 403
    assert editor_client.post("/api/v1/webhooks/", {"url": "https://hooks.example/x"}, format="json").status_code == 403
    assert editor_client.patch(f"/api/v1/claims/{claim.pk}/", {"tags": ["economy"]}, format="json").status_code == 200
