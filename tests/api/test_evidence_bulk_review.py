"""POST /api/v1/evidence/review/: several pending rows reviewed at once, all or none."""

import pytest

from claims.models import Evidence
from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/evidence/review/"


def _states():
    return dict(Evidence.objects.values_list("pk", "review_state"))


def test_an_editor_rejects_several_rows_at_once(editor_client, editor):
    rows = EvidenceFactory.create_batch(3)
    ids = [rows[0].pk, rows[2].pk, rows[0].pk]  # a repeated id counts once

    response = editor_client.post(URL, {"evidence": ids, "decision": "reject", "note": "Other troops"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["id"] for row in body] == [rows[0].pk, rows[2].pk]
    assert {row["review_state"] for row in body} == {"rejected"}
    assert _states() == {rows[0].pk: "rejected", rows[1].pk: "pending", rows[2].pk: "rejected"}
    reviewed = Evidence.objects.get(pk=rows[2].pk)
    assert reviewed.reviewed_by == editor and reviewed.review_note == "Other troops" and reviewed.reviewed_at


def test_one_row_already_reviewed_refuses_the_lot(editor_client):
    pending = EvidenceFactory()
    done = EvidenceFactory(review_state="accepted")

    response = editor_client.post(URL, {"evidence": [pending.pk, done.pk], "decision": "reject"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "already_reviewed" and f"{done.pk} (accepted)" in response.json()["detail"]
    assert _states() == {pending.pk: "pending", done.pk: "accepted"}


def test_an_unknown_id_is_a_400_naming_it_and_nothing_changes(editor_client):
    pending = EvidenceFactory()

    response = editor_client.post(URL, {"evidence": [pending.pk, 999999], "decision": "accept"}, format="json")

    assert response.status_code == 400
    assert "999999" in response.json()["evidence"][0]
    assert _states() == {pending.pk: "pending"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"evidence": [], "decision": "accept"}, "evidence"),
        ({"evidence": "1", "decision": "accept"}, "evidence"),
        ({"evidence": [0], "decision": "accept"}, "evidence"),
        ({"evidence": list(range(1, 502)), "decision": "accept"}, "evidence"),
        ({"evidence": [1], "decision": "maybe"}, "decision"),
        ({"evidence": [1]}, "decision"),
        ({"evidence": [1], "decision": "accept", "state": "x"}, "state"),
    ],
)
def test_bad_input_names_the_field(editor_client, body, field):
    response = editor_client.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_readers_and_anonymous_clients_may_not_review(reader_client, anon_client):
    row = EvidenceFactory()
    body = {"evidence": [row.pk], "decision": "accept"}
    assert reader_client.post(URL, body, format="json").status_code == 403
    assert anon_client.post(URL, body, format="json").status_code == 401
    assert _states() == {row.pk: "pending"}
