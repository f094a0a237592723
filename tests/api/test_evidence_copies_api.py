"""The evidence API shows which rows are other outlets' copies of one finding, and reviews them together."""

import pytest

from claims.models import Evidence
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    original = EvidenceFactory(high_confidence=True)
    copies = [
        EvidenceFactory(claim=original.claim, copy_of=original, high_confidence=True),
        EvidenceFactory(claim=original.claim, copy_of=original, high_confidence=True),
    ]
    return original, copies


def test_rows_name_their_original_and_their_copies(reader_client, group):
    original, copies = group
    lone = EvidenceFactory()

    rows = {row["id"]: row for row in reader_client.get("/api/v1/evidence/").json()["results"]}

    assert (rows[original.pk]["copy_of"], rows[original.pk]["copies"]) == (None, [copies[0].pk, copies[1].pk])
    assert (rows[copies[1].pk]["copy_of"], rows[copies[1].pk]["copies"]) == (original.pk, [])
    assert (rows[lone.pk]["copy_of"], rows[lone.pk]["copies"]) == (None, [])


@pytest.mark.parametrize(("value", "expected"), [("false", "originals"), ("true", "copies")])
def test_the_review_queue_can_leave_copies_out(reader_client, group, value, expected):
    original, copies = group
    wanted = {"originals": {original.pk}, "copies": {c.pk for c in copies}}[expected]

    body = reader_client.get("/api/v1/evidence/", {"is_copy": value, "review_state": "pending"}).json()

    assert {row["id"] for row in body["results"]} == wanted


def test_the_status_counts_a_group_once(reader_client, group):
    assert reader_client.get("/api/v1/status/").json()["evidence"] == {"pending": 1, "pending_high_confidence": 1}


def test_reviewing_a_copy_reviews_its_group_and_the_bulk_answer_lists_them(editor_client, group):
    original, copies = group

    response = editor_client.post(
        "/api/v1/evidence/review/", {"evidence": [copies[0].pk], "decision": "accept"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert [(row["id"], row["review_state"]) for row in response.json()] == [
        (original.pk, "accepted"),
        (copies[0].pk, "accepted"),
        (copies[1].pk, "accepted"),
    ]
    again = editor_client.post(f"/api/v1/evidence/{copies[1].pk}/review/", {"decision": "reject"}, format="json")
    assert again.status_code == 409
    assert set(Evidence.objects.values_list("review_state", flat=True)) == {"accepted"}
