"""Claims API: create, read, search, status history, evidence review, ClaimReview and bad input."""

import pytest

from claims.models import Claim, Claimant, ClaimStatusChange
from tests.factories import ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db

PUTIN = "ستغادر القوات الروسيّة والحليفة كازاخستان عند انتهاء مهمّتها"


def _create(client, **values):
    body = {"text": PUTIN, "claimant": "فلاديمير بوتين", "kind": "promise", "made_on": "2022-01-10", **values}
    return client.post("/api/v1/claims/", body, format="json")


def test_create_claim_round_trips_arabic_and_detects_language(editor_client):
    response = _create(editor_client, tags=["كازاخستان", "CSTO"], first_appearance_url="https://example.com/a")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["text"] == PUTIN  # diacritics (shadda) kept byte for byte
    assert data["language"] == "ar"
    assert data["claimant"]["name"] == "فلاديمير بوتين"
    assert data["status"] == "open"
    assert sorted(data["tags"]) == ["CSTO", "كازاخستان"]
    assert data["has_pending_evidence"] is False
    fetched = editor_client.get(f"/api/v1/claims/{data['id']}/").json()
    assert fetched["text"] == PUTIN
    history = editor_client.get(f"/api/v1/claims/{data['id']}/history/").json()
    assert history["count"] == 1 and history["results"][0]["to_status"] == "open"


def test_claimant_is_reused_by_name_variant_and_by_id(editor_client):
    first = _create(editor_client).json()
    second = _create(editor_client, text="القوات لن تبقى في كازاخستان", claimant="فلاديمير  بوتين").json()
    third = _create(editor_client, text="Another claim by the same man", claimant=first["claimant"]["id"]).json()
    assert first["claimant"]["id"] == second["claimant"]["id"] == third["claimant"]["id"]
    assert Claimant.objects.count() == 1


def test_promise_gets_a_proposed_follow_up_date(editor_client):
    data = _create(editor_client, text="The troops will leave within two weeks.", made_on="2022-01-10").json()
    assert data["follow_up_date"] == "2022-01-24"
    assert data["follow_up_source"] == "proposed"


def test_editor_set_follow_up_date_wins(editor_client):
    data = _create(editor_client, follow_up_date="2022-03-01").json()
    assert data["follow_up_date"] == "2022-03-01"
    assert data["follow_up_source"] == "set"


def test_search_ignores_diacritics_and_hamza_forms(reader_client):
    ClaimFactory(text=PUTIN, text_normalized=__import__("factnlp.text").text.normalize_for_search(PUTIN), language="ar")
    ClaimFactory(text="Unrelated claim about bridges")
    for query in ["مهمتها", "مهمّتها", "الروسية", "انتهاء", "أنتهاء", "إنتهاء"]:
        results = reader_client.get("/api/v1/claims/", {"q": query}).json()["results"]
        assert [c["text"] for c in results] == [PUTIN], query


def test_filters_and_ordering(reader_client):
    ClaimFactory(text="a promise", kind="promise", language="en", made_on="2022-01-01")
    ClaimFactory(text="a statement", kind="statement", language="ar", made_on="2022-02-01")
    assert [c["text"] for c in reader_client.get("/api/v1/claims/", {"kind": "promise"}).json()["results"]] == [
        "a promise"
    ]
    assert reader_client.get("/api/v1/claims/", {"language": "ar"}).json()["count"] == 1
    assert reader_client.get("/api/v1/claims/", {"made_after": "2022-01-15"}).json()["count"] == 1
    ordered = reader_client.get("/api/v1/claims/", {"ordering": "made_on"}).json()["results"]
    assert [c["text"] for c in ordered] == ["a promise", "a statement"]


def test_status_change_is_recorded_with_evidence_and_never_rewritten(editor_client, editor):
    evidence = EvidenceFactory()
    claim = evidence.claim
    response = editor_client.post(
        f"/api/v1/claims/{claim.pk}/status/",
        {"status": "confirmed", "note": "Troops left on 19 January.", "evidence": [evidence.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    editor_client.post(f"/api/v1/claims/{claim.pk}/status/", {"status": "mixed"}, format="json")
    history = editor_client.get(f"/api/v1/claims/{claim.pk}/history/").json()["results"]
    steps = [(h["from_status"], h["to_status"]) for h in history]
    assert steps == [("open", "confirmed"), ("confirmed", "mixed")]
    assert history[0]["evidence"] == [evidence.pk]
    assert history[0]["changed_by"] == "editor"
    assert Claim.objects.get(pk=claim.pk).status == "mixed"


def test_status_cannot_be_written_through_claim_update(editor_client):
    claim = ClaimFactory()
    response = editor_client.patch(f"/api/v1/claims/{claim.pk}/", {"status": "confirmed"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    assert Claim.objects.get(pk=claim.pk).status == "open"


def test_status_change_rejects_evidence_of_another_claim(editor_client):
    claim = ClaimFactory()
    foreign = EvidenceFactory()
    response = editor_client.post(
        f"/api/v1/claims/{claim.pk}/status/", {"status": "confirmed", "evidence": [foreign.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "evidence" in response.json()
    assert ClaimStatusChange.objects.filter(claim=claim).count() == 0
    assert Claim.objects.get(pk=claim.pk).status == "open"


def test_evidence_review_and_pending_flag(editor_client):
    evidence = EvidenceFactory()
    claim_url = f"/api/v1/claims/{evidence.claim_id}/"
    assert editor_client.get(claim_url).json()["has_pending_evidence"] is True
    assert editor_client.get("/api/v1/evidence/", {"review_state": "pending"}).json()["count"] == 1
    response = editor_client.post(
        f"/api/v1/evidence/{evidence.pk}/review/", {"decision": "accept", "note": "ok"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["review_state"] == "accepted"
    assert response.json()["reviewed_by"] == "editor"
    assert editor_client.get(claim_url).json()["has_pending_evidence"] is False
    again = editor_client.post(f"/api/v1/evidence/{evidence.pk}/review/", {"decision": "reject"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_reviewed"


def test_claim_evidence_endpoint_lists_only_that_claim(reader_client):
    evidence = EvidenceFactory()
    EvidenceFactory()
    results = reader_client.get(f"/api/v1/claims/{evidence.claim_id}/evidence/").json()["results"]
    assert [e["id"] for e in results] == [evidence.pk]
    assert set(results[0]) >= {
        "id",
        "claim",
        "article",
        "stance",
        "confidence",
        "excerpt",
        "review_state",
        "model_version",
    }


def test_claimreview_json_ld(editor_client, reader_client):
    data = _create(editor_client).json()
    claimant = Claimant.objects.get()
    claimant.link = "https://www.wikidata.org/wiki/Q7747"
    claimant.save()
    editor_client.post(f"/api/v1/claims/{data['id']}/status/", {"status": "contradicted"}, format="json")
    review = reader_client.get(f"/api/v1/claims/{data['id']}/claimreview/").json()
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == PUTIN
    assert review["itemReviewed"]["author"] == {
        "@type": "Person",
        "name": "فلاديمير بوتين",
        "sameAs": "https://www.wikidata.org/wiki/Q7747",
    }
    assert review["itemReviewed"]["datePublished"] == "2022-01-10"
    assert review["reviewRating"]["ratingValue"] == 1
    assert review["reviewRating"]["alternateName"] == "False"


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"text": "ok claim", "kind": "rumour"}, "kind"),
        ({"text": "ok claim", "made_on": "10/01/2022"}, "made_on"),
        ({"text": "ok claim", "language": "Arabic!"}, "language"),
        ({"text": "ok claim", "claimant": 999999}, "claimant"),
        ({"text": "ok claim", "claimant": ["x"]}, "claimant"),
        ({"text": "ok claim", "tags": "not-a-list"}, "tags"),
        ({"text": "ok claim", "first_appearance_url": "not a url"}, "first_appearance_url"),
        ({"text": "ok claim", "made_on": "2022-02-01", "follow_up_date": "2022-01-01"}, "follow_up_date"),
        ({"text": "ok claim", "claimaint": "typo"}, "claimaint"),
        ({"text": "ok claim", "status": "confirmed"}, "status"),
    ],
)
def test_bad_claim_input_names_the_field(editor_client, body, field):
    response = editor_client.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Claim.objects.count() == 0


def test_bad_status_and_review_input(editor_client):
    evidence = EvidenceFactory()
    bad_status = editor_client.post(f"/api/v1/claims/{evidence.claim_id}/status/", {"status": "true"}, format="json")
    assert bad_status.status_code == 400 and "status" in bad_status.json()
    bad_decision = editor_client.post(f"/api/v1/evidence/{evidence.pk}/review/", {"decision": "maybe"}, format="json")
    assert bad_decision.status_code == 400 and "decision" in bad_decision.json()


def test_malformed_json_is_400(editor_client):
    response = editor_client.generic("POST", "/api/v1/claims/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_unknown_ids_are_404(reader_client, editor_client):
    assert reader_client.get("/api/v1/claims/999999/").status_code == 404
    assert reader_client.get("/api/v1/claims/999999/history/").status_code == 404
    assert (
        editor_client.post("/api/v1/evidence/999999/review/", {"decision": "accept"}, format="json").status_code == 404
    )
    assert reader_client.get("/api/v1/claims/not-a-number/").status_code == 404


def test_oversized_body_is_refused_with_413(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = editor_client.post("/api/v1/claims/", {"text": "x" * 20_000}, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_a_promise_made_on_the_last_days_of_the_calendar_is_stored(editor_client):
    response = _create(editor_client, text="We will open the bridge in 3 days", made_on="9999-12-30")

    assert response.status_code == 201


def test_a_claims_own_pages_ignore_the_lists_filters_and_its_evidence_checks_its_own(reader_client):
    claim = ClaimFactory(made_on="2022-01-10")
    EvidenceFactory(claim=claim)

    for page in ("", "history/", "evidence/", "backfills/"):
        response = reader_client.get(f"/api/v1/claims/{claim.pk}/{page}", {"made_after": "9999-12-31"})
        assert response.status_code == 200, (page, response.content)
    bad = reader_client.get(f"/api/v1/claims/{claim.pk}/evidence/", {"stance": "bogus"})
    assert bad.status_code == 400
    assert list(bad.json()) == ["stance"]
    assert bad.json() == reader_client.get("/api/v1/evidence/", {"stance": "bogus"}).json()
