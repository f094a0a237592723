"""The editors' desk: pages render in English and Arabic, a claim is logged in one screen, evidence reviewed in bulk."""

import pytest
from django.contrib.auth.models import Permission

from claims.models import Claim, Claimant, ClaimStatusChange, Evidence
from tests.factories import ClaimantFactory, ClaimFactory, EvidenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/claims/claim/",
        "/admin/claims/claim/add/",
        "/admin/claims/evidence/",
        "/admin/claims/claimant/",
        "/admin/sources/article/",
        "/admin/sources/outlet/",
        "/admin/sources/feed/",
        "/admin/claims/backfillrun/",
    ],
)
def test_desk_pages_render(desk, url):
    EvidenceFactory()
    assert desk.get(url).status_code == 200


def test_claim_page_shows_history_and_evidence_inline(desk):
    evidence = EvidenceFactory(excerpt="The last troops left on 19 January.")
    ClaimStatusChange.objects.create(claim=evidence.claim, from_status="", to_status="open", note="Claim logged.")
    page = desk.get(f"/admin/claims/claim/{evidence.claim_id}/change/").content.decode()
    assert "The last troops left on 19 January." in page
    assert "Claim logged." in page


def test_arabic_interface_is_right_to_left(desk):
    ClaimFactory(text="ستغادر القوات عند انتهاء مهمتها")
    page = desk.get("/admin/claims/claim/", HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert 'dir="rtl"' in page
    assert "ستغادر القوات عند انتهاء مهمتها" in page


def test_log_claim_with_status_change_in_one_screen(desk):
    claimant = ClaimantFactory(name="Kassym-Jomart Tokayev")
    response = desk.post(
        "/admin/claims/claim/add/",
        {
            "text": "The withdrawal will happen soon.",
            "claimant": claimant.pk,
            "kind": "prediction",
            "language": "",
            "made_on": "2022-01-11",
            "first_appearance_url": "https://example.com/story",
            "new_status": "",
            "status_note": "",
            "history-TOTAL_FORMS": "0",
            "history-INITIAL_FORMS": "0",
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    claim = Claim.objects.get()
    assert claim.language == "en" and claim.first_appearance_url == "https://example.com/story"
    assert claim.follow_up_source == "proposed" and claim.follow_up_date is not None
    assert list(claim.history.values_list("to_status", flat=True)) == ["open"]


def test_status_change_from_the_desk_is_recorded(desk, admin_user):
    claim = ClaimFactory()
    response = desk.post(
        f"/admin/claims/claim/{claim.pk}/change/",
        {
            "text": claim.text,
            "claimant": claim.claimant_id,
            "kind": "statement",
            "language": "en",
            "made_on": "",
            "first_appearance_url": "",
            "new_status": "contradicted",
            "status_note": "Denied later.",
            "history-TOTAL_FORMS": "0",
            "history-INITIAL_FORMS": "0",
            "evidence-TOTAL_FORMS": "0",
            "evidence-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    change = ClaimStatusChange.objects.get(claim=claim)
    assert (change.from_status, change.to_status, change.note, change.changed_by) == (
        "open",
        "contradicted",
        "Denied later.",
        admin_user,
    )


def test_bulk_accept_pending_evidence(desk):
    pending = [EvidenceFactory(), EvidenceFactory()]
    already = EvidenceFactory(review_state="rejected")
    response = desk.post(
        "/admin/claims/evidence/",
        {"action": "accept_selected", "_selected_action": [e.pk for e in pending] + [already.pk]},
    )
    assert response.status_code == 302
    states = dict(Evidence.objects.values_list("pk", "review_state"))
    assert [states[e.pk] for e in pending] == ["accepted", "accepted"]
    assert states[already.pk] == "rejected"


def test_load_demo_gives_editors_desk_rights(db):
    from django.core.management import call_command

    call_command("load_demo", stdout=__import__("io").StringIO())
    editors = Permission.objects.filter(group__name="editors").values_list("codename", flat=True)
    assert {"add_claim", "change_evidence"} <= set(editors)
    assert Claim.objects.filter(language="ar").count() == 3


def test_a_claimant_added_at_the_desk_is_found_by_the_api_under_a_spelling_variant(desk, editor_client):
    response = desk.post("/admin/claims/claimant/add/", {"name": "قاسم  جومرت   توكاييف", "kind": "person"})
    assert response.status_code == 302

    created = editor_client.post(
        "/api/v1/claims/", {"text": "The withdrawal will be soon.", "claimant": "قاسم جومرت توكاييف"}, format="json"
    )

    assert created.status_code == 201
    assert Claimant.objects.count() == 1


def test_the_desk_lists_rows_to_review_without_their_copies_and_shows_the_copies_on_the_original(desk):
    original = EvidenceFactory(excerpt="The last troops left on 19 January, the alliance said in a statement.")
    copy = EvidenceFactory(claim=original.claim, copy_of=original)

    listed = desk.get("/admin/claims/evidence/", {"is_copy": "no", "review_state__exact": "pending"})
    assert [row.pk for row in listed.context["cl"].result_list] == [original.pk]
    page = desk.get(f"/admin/claims/evidence/{original.pk}/change/").content.decode()
    assert f"#{copy.pk} {copy.article}" in page


def test_the_desk_reopens_reviewed_evidence_and_shows_its_review_history(desk, admin_user):
    reviewed = EvidenceFactory(review_state="accepted")
    pending = EvidenceFactory()

    response = desk.post(
        "/admin/claims/evidence/", {"action": "reopen_selected", "_selected_action": [reviewed.pk, pending.pk]}
    )

    assert response.status_code == 302
    assert set(Evidence.objects.values_list("review_state", flat=True)) == {"pending"}
    assert [(r.action, r.reviewed_by) for r in reviewed.reviews.all()] == [("reopened", admin_user)]
    page = desk.get(f"/admin/claims/evidence/{reviewed.pk}/change/").content.decode()
    assert "Reopened for review" in page
