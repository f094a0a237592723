"""Subscriptions, webhooks, alerts and deliveries over the API: roles, validation (400 naming the field)."""

from __future__ import annotations

import base64

import pytest

from claims.alerts import services
from claims.models import Alert, Subscription, WebhookEndpoint
from tests.factories import ClaimantFactory, ClaimFactory

pytestmark = pytest.mark.django_db


def test_editor_subscribes_and_manages_only_their_own(editor_client, editor, reader_client, admin_client_api):
    editor.email = "editor@example.org"
    editor.save()
    claimant = ClaimantFactory()
    response = editor_client.post(
        "/api/v1/subscriptions/",
        {
            "scope": "claimant",
            "claimant": claimant.pk,
            "events": ["evidence.created", "claim.status_changed"],
            "channels": ["email"],
            "language": "ar",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["scope"] == "claimant" and body["claimant"] == claimant.pk and body["language"] == "ar"
    assert body["email_mode"] == "digest"

    assert (
        reader_client.post(
            "/api/v1/subscriptions/", {"events": ["evidence.created"], "channels": ["email"]}, format="json"
        ).status_code
        == 403
    )
    assert reader_client.get(f"/api/v1/subscriptions/{body['id']}/").status_code == 404  # not theirs
    assert admin_client_api.get(f"/api/v1/subscriptions/{body['id']}/").status_code == 200

    patched = editor_client.patch(f"/api/v1/subscriptions/{body['id']}/", {"is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert editor_client.delete(f"/api/v1/subscriptions/{body['id']}/").status_code == 204
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"events": ["claim.exploded"], "channels": ["email"]}, "events"),
        ({"events": [], "channels": ["email"]}, "events"),
        ({"events": ["evidence.created"], "channels": ["pigeon"]}, "channels"),
        ({"events": ["evidence.created"], "channels": ["email"], "scope": "claim"}, "claim"),
        ({"events": ["evidence.created"], "channels": ["email"], "claim": 1}, "claim"),
        ({"events": ["evidence.created"], "channels": ["webhook"]}, "webhook"),
        ({"events": ["evidence.created"], "channels": ["email"], "language": "fr"}, "language"),
        ({"events": ["evidence.created"], "channels": ["email"], "email": "not-an-address"}, "email"),
        ({"events": ["evidence.created"], "channels": ["email"], "colour": "red"}, "colour"),
    ],
)
def test_bad_subscription_input_is_a_400_naming_the_field(editor_client, editor, payload, field):
    editor.email = "editor@example.org"
    editor.save()
    ClaimFactory(pk=1)
    response = editor_client.post("/api/v1/subscriptions/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_admin_registers_webhook_and_sees_the_secret_once(admin_client_api):
    response = admin_client_api.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook", "events": ["evidence.created"]}, format="json"
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_") and len(base64.b64decode(created["secret"][6:])) == 32
    shown = admin_client_api.get(f"/api/v1/webhooks/{created['id']}/").json()
    assert "secret" not in shown and shown["events"] == ["evidence.created"]
    assert all("secret" not in row for row in admin_client_api.get("/api/v1/webhooks/").json()["results"])
    # Registration subscribed the endpoint to its events on every claim.
    subscription = Subscription.objects.get(webhook_id=created["id"])
    assert subscription.scope == "all" and subscription.channels == ["webhook"]

    mine = "whsec_" + base64.b64encode(b"k" * 32).decode()
    given = admin_client_api.post(
        "/api/v1/webhooks/",
        {"url": "https://127.0.0.1/x", "events": ["claim.status_changed"], "secret": mine},
        format="json",
    )
    assert given.status_code == 201 and given.json()["secret"] == mine

    # Events edited later follow through to the registration's subscription.
    patched = admin_client_api.patch(
        f"/api/v1/webhooks/{created['id']}/", {"events": ["claim.follow_up_due"]}, format="json"
    )
    assert patched.status_code == 200
    assert Subscription.objects.get(webhook_id=created["id"]).events == ["claim.follow_up_due"]


def test_only_admins_manage_webhooks(editor_client, reader_client):
    payload = {"url": "http://127.0.0.1:9/hook", "events": ["evidence.created"]}
    assert editor_client.post("/api/v1/webhooks/", payload, format="json").status_code == 403
    assert reader_client.get("/api/v1/webhooks/").status_code == 403


@pytest.mark.parametrize(
    ("payload", "field", "private_ok"),
    [
        ({"url": "ftp://example.org/hook", "events": ["evidence.created"]}, "url", True),
        ({"url": "not a url", "events": ["evidence.created"]}, "url", True),
        ({"url": "http://127.0.0.1:9/hook", "events": ["evidence.created"]}, "url", False),
        ({"url": "http://10.1.2.3/hook", "events": ["evidence.created"]}, "url", False),
        ({"url": "http://127.0.0.1:9/hook", "events": ["claim.deleted"]}, "events", True),
        ({"url": "http://127.0.0.1:9/hook", "events": ["evidence.created"], "secret": "hunter2"}, "secret", True),
        ({"url": "http://127.0.0.1:9/hook", "events": ["evidence.created"], "scope": "tag"}, "tag", True),
    ],
)
def test_bad_webhook_input_is_a_400_naming_the_field(admin_client_api, settings, payload, field, private_ok):
    settings.FETCH_ALLOW_PRIVATE_NETWORKS = private_ok
    response = admin_client_api.post("/api/v1/webhooks/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not WebhookEndpoint.objects.exists()


def test_re_enabling_a_disabled_webhook_clears_its_failures(admin_client_api, admin_user):
    endpoint = services.webhook_register(owner=admin_user, url="http://127.0.0.1:9/", events=["evidence.created"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, consecutive_failures=15, disabled_reason="Disabled after 15 consecutive failed deliveries"
    )
    response = admin_client_api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert response.json()["consecutive_failures"] == 0 and response.json()["disabled_reason"] == ""


def test_alerts_visible_to_readers_deliveries_only_to_their_owner(
    reader_client, admin_client_api, anon_client, editor_client, editor
):
    claim = ClaimFactory(kind="promise")
    editor.email = "ed@example.org"
    editor.save()
    services.subscription_create(owner=editor, events=["claim.follow_up_due"], channels=["email"])
    alert = services.alert_record(event="claim.follow_up_due", claim_id=claim.pk, dedup_key="k1", payload={"claim": {}})
    services.alert_fan_out(alert_id=alert.pk)

    listed = reader_client.get("/api/v1/alerts/?event=claim.follow_up_due").json()
    assert [a["id"] for a in listed["results"]] == [alert.pk]
    assert listed["results"][0]["deliveries"] == {"queued": 1}
    assert reader_client.get("/api/v1/alerts/?event=nope").status_code == 400
    assert anon_client.get("/api/v1/alerts/").status_code == 401

    assert reader_client.get("/api/v1/deliveries/").json()["count"] == 0
    own = editor_client.get("/api/v1/deliveries/").json()["results"]
    assert [(d["recipient"], d["state"], d["event"]) for d in own] == [
        ("ed@example.org", "queued", "claim.follow_up_due")
    ]
    assert admin_client_api.get(f"/api/v1/deliveries/?alert={alert.pk}").json()["count"] == 1
    assert Alert.objects.count() == 1
