"""Query-string filters: odd values the fuzzing audit sent are answered with 200 or a 400, never a 500."""

import pytest

from tests.factories import ClaimantFactory, ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db

HUGE_NUMBER = "9" * 5000


def test_claimant_is_an_id_only_when_it_is_a_number_int_can_read(reader_client):
    claim = ClaimFactory(claimant=ClaimantFactory(name="Vladimir Putin"))
    ClaimFactory(claimant=ClaimantFactory(name="Kassym-Jomart Tokayev"))

    def found(value):
        response = reader_client.get("/api/v1/claims/", {"claimant": value})
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["results"]]

    arabic_indic_id = str(claim.claimant_id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert found(str(claim.claimant_id)) == found(arabic_indic_id) == found("putin") == [claim.pk]
    for value in ["²", "①", "9" * 19, "9" * 30, HUGE_NUMBER]:
        assert found(value) == []


@pytest.mark.parametrize("value", ["-1e999999", "-1e5000", "0"])
def test_article_claim_below_any_id_is_refused(reader_client, value):
    response = reader_client.get("/api/v1/articles/", {"claim": value})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["claim"]


@pytest.mark.parametrize("parameter", ["published_after", "published_before"])
def test_article_date_with_utc_offset_the_database_cannot_store_is_refused(reader_client, parameter):
    for offset in ["Z", "+14:00", "-12:00", "+15:59"]:
        response = reader_client.get("/api/v1/articles/", {parameter: f"2026-01-01T00:00:00{offset}"})
        assert response.status_code == 200, (offset, response.content)
    for offset in ["+16:00", "-16:00", "+23:59", "+15:59:59.999999", "-01:00:00.5"]:
        response = reader_client.get("/api/v1/articles/", {parameter: f"2026-01-01T00:00:00{offset}"})
        assert response.status_code == 400, (offset, response.content)
        assert response.json() == {parameter: ["Enter a UTC offset between -15:59 and +15:59."]}


def test_alert_date_with_utc_offset_the_database_cannot_store_is_refused(reader_client):
    response = reader_client.get("/api/v1/alerts/", {"created_after": "2026-01-01T00:00:00+16:00"})
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["created_after"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/evidence/", "high_confidence"),
        ("/api/v1/evidence/", "is_copy"),
        ("/api/v1/claims/", "has_pending_evidence"),
        ("/api/v1/feeds/", "is_active"),  # a filter built from filterset_fields
    ],
)
def test_a_yes_or_no_filter_refuses_other_words_instead_of_ignoring_them(reader_client, url, parameter):
    for value in ["maybe", "2", "truth"]:
        response = reader_client.get(url, {parameter: value})
        assert response.status_code == 400, (value, response.content)
        assert response.json() == {parameter: ["Enter true or false."]}
    for value in ["true", "True", "1", "yes", "false", "0", "no", ""]:
        assert reader_client.get(url, {parameter: value}).status_code == 200, value


def test_a_yes_or_no_filter_reads_1_and_0(reader_client):
    strong = EvidenceFactory(high_confidence=True)
    weak = EvidenceFactory(high_confidence=False)

    def found(value):
        return [
            row["id"] for row in reader_client.get("/api/v1/evidence/", {"high_confidence": value}).json()["results"]
        ]

    assert found("1") == found("TRUE") == [strong.pk]  # "1" used to be read as no filter at all
    assert found("0") == found("no") == [weak.pk]


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/v1/evidence/", "is_copy=true&is_copy=false"),
        ("/api/v1/evidence/", "min_confidence=0.2&min_confidence=0.9"),
        ("/api/v1/feeds/", "is_active=true&is_active=true"),
    ],
)
def test_a_filter_that_takes_one_value_refuses_two(reader_client, url, query):
    response = reader_client.get(f"{url}?{query}")

    assert response.status_code == 400
    assert response.json() == {query.split("=")[0]: ["Give this parameter once."]}


def test_filters_that_take_several_values_still_do(reader_client):
    EvidenceFactory(review_state="accepted")
    EvidenceFactory(review_state="rejected")
    EvidenceFactory()

    response = reader_client.get("/api/v1/evidence/?review_state=accepted&review_state=rejected")

    assert response.status_code == 200 and response.json()["count"] == 2


def test_a_row_named_by_its_id_is_found_whatever_the_list_filters_say(editor_client):
    evidence = EvidenceFactory(review_state="accepted")

    assert editor_client.get(f"/api/v1/evidence/{evidence.pk}/?is_copy=true").status_code == 200
    reopened = editor_client.post(f"/api/v1/evidence/{evidence.pk}/reopen/?review_state=pending", {}, format="json")
    assert reopened.status_code == 200
