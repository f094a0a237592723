"""Webhook deliveries in-process (tasks inline): signing, private-address refusal at send time, disabled endpoints."""

from __future__ import annotations

import pytest
from standardwebhooks.webhooks import Webhook

from claims import services as claim_services
from claims.alerts import services
from claims.alerts.webhook import backoff_seconds
from claims.models import Delivery, WebhookEndpoint
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def _change_status(claim, capture, status="confirmed"):
    with capture(execute=True):
        claim_services.claim_change_status(claim=claim, status=status, changed_by=None)


def test_status_change_reaches_a_subscribed_webhook_signed(receiver, admin_user, django_capture_on_commit_callbacks):
    claim = ClaimFactory(text="الانسحاب سيتم قريبًا", language="ar")
    endpoint = services.webhook_register(owner=admin_user, url=receiver.url, events=["claim.status_changed"])
    _change_status(claim, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    payload = Webhook(endpoint.secret).verify(body, headers)
    assert payload["type"] == "claim.status_changed"
    assert payload["data"]["status_change"]["from"] == "open" and payload["data"]["status_change"]["to"] == "confirmed"
    assert payload["data"]["claim"]["text"] == "الانسحاب سيتم قريبًا"  # UTF-8, not \u escapes
    assert "الانسحاب".encode() in body
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.response_status, delivery.recipient) == ("sent", 204, receiver.url)
    assert delivery.body == body.decode()


def test_private_target_is_refused_at_send_time(receiver, admin_user, settings, django_capture_on_commit_callbacks):
    services.webhook_register(owner=admin_user, url=receiver.url, events=["claim.status_changed"])
    settings.FETCH_ALLOW_PRIVATE_NETWORKS = False  # e.g. DNS now points somewhere private
    _change_status(ClaimFactory(), django_capture_on_commit_callbacks)

    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.state == "failed" and delivery.attempts == 1  # no point retrying a blocked address
    assert "loopback" in delivery.error


def test_disabled_endpoint_gets_nothing(receiver, admin_user, django_capture_on_commit_callbacks):
    endpoint = services.webhook_register(owner=admin_user, url=receiver.url, events=["claim.status_changed"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason="Too many failures")
    _change_status(ClaimFactory(), django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert Delivery.objects.get().state == "skipped"


def test_failing_receiver_in_process_is_retried_then_disabled(
    receiver, admin_user, fast_retry_settings, django_capture_on_commit_callbacks
):
    receiver.status = 503
    endpoint = services.webhook_register(owner=admin_user, url=receiver.url, events=["claim.status_changed"])
    _change_status(ClaimFactory(), django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 3
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "HTTP 503" in endpoint.disabled_reason
    assert Delivery.objects.get().state == "failed"


def test_backoff_doubles_and_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 30, 200
    assert [backoff_seconds(attempt=n) for n in range(1, 6)] == [30, 60, 120, 200, 200]
