"""Taking back a review: POST /api/v1/evidence/{id}/reopen/, and every decision kept at /reviews/."""

import pytest

from claims.models import Evidence
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db


def _history(client, evidence):
    response = client.get(f"/api/v1/evidence/{evidence.pk}/reviews/")
    assert response.status_code == 200, response.content
    return [(row["action"], row["reviewed_by"], row["note"]) for row in response.json()]


def test_an_editor_takes_back_an_accept_and_decides_again_with_every_step_on_record(editor_client, reader_client):
    evidence = EvidenceFactory()
    editor_client.post(f"/api/v1/evidence/{evidence.pk}/review/", {"decision": "accept"}, format="json")

    response = editor_client.post(
        f"/api/v1/evidence/{evidence.pk}/reopen/", {"note": "Wrong withdrawal: that was 2022"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["review_state"], body["reviewed_by"], body["reviewed_at"], body["review_note"]) == (
        "pending",
        None,
        None,
        "",
    )
    again = editor_client.post(
        f"/api/v1/evidence/{evidence.pk}/review/", {"decision": "reject", "note": "Other troops"}, format="json"
    )
    assert again.status_code == 200 and again.json()["review_state"] == "rejected"
    assert _history(reader_client, evidence) == [
        ("accepted", "editor", ""),
        ("reopened", "editor", "Wrong withdrawal: that was 2022"),
        ("rejected", "editor", "Other troops"),
    ]


def test_a_pending_row_has_nothing_to_reopen(editor_client):
    evidence = EvidenceFactory()

    response = editor_client.post(f"/api/v1/evidence/{evidence.pk}/reopen/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "not_reviewed"
    assert Evidence.objects.get(pk=evidence.pk).reviews.count() == 0


def test_reopening_a_copy_reopens_its_group(editor_client):
    original = EvidenceFactory()
    copy = EvidenceFactory(claim=original.claim, copy_of=original)
    editor_client.post("/api/v1/evidence/review/", {"evidence": [original.pk], "decision": "reject"}, format="json")
    assert set(Evidence.objects.values_list("review_state", flat=True)) == {"rejected"}

    response = editor_client.post(f"/api/v1/evidence/{copy.pk}/reopen/", {"note": "Misread"}, format="json")

    assert response.status_code == 200, response.content
    assert set(Evidence.objects.values_list("review_state", flat=True)) == {"pending"}
    for row in (original, copy):
        assert list(row.reviews.values_list("action", flat=True)) == ["rejected", "reopened"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"note": "x" * 5001}, "note"), ({"note": "ok", "decision": "accept"}, "decision"), ({"note": ["a"]}, "note")],
)
def test_bad_input_names_the_field_and_changes_nothing(editor_client, body, field):
    evidence = EvidenceFactory(review_state="accepted")

    response = editor_client.post(f"/api/v1/evidence/{evidence.pk}/reopen/", body, format="json")

    assert response.status_code == 400 and field in response.json(), response.content
    assert Evidence.objects.get(pk=evidence.pk).review_state == "accepted"


def test_readers_may_read_the_history_but_not_reopen(reader_client, anon_client):
    evidence = EvidenceFactory(review_state="accepted")

    assert reader_client.post(f"/api/v1/evidence/{evidence.pk}/reopen/", {}, format="json").status_code == 403
    assert anon_client.post(f"/api/v1/evidence/{evidence.pk}/reopen/", {}, format="json").status_code == 401
    assert reader_client.get(f"/api/v1/evidence/{evidence.pk}/reviews/").status_code == 200
    assert reader_client.post("/api/v1/evidence/999999/reopen/", {}, format="json").status_code == 403
    assert Evidence.objects.get(pk=evidence.pk).review_state == "accepted"


def test_an_unknown_row_is_a_404(editor_client):
    assert editor_client.post("/api/v1/evidence/999999/reopen/", {}, format="json").status_code == 404
