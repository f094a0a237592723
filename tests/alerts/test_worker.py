"""Alerts through a real Celery worker (Redis + PostgreSQL): once-only follow-ups, signed and retried webhooks."""

from __future__ import annotations

import time
from datetime import date

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from claims.alerts.tasks import follow_ups_due_task
from claims.models import Alert, Delivery, WebhookEndpoint
from tests.conftest import wait_for
from tests.factories import ClaimFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PROMISE = "سينسحب الجيش من المدينة خلال أسبوعين"


def _register(client, url: str, events: list[str]) -> dict:
    response = client.post("/api/v1/webhooks/", {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_due_promise_alerts_once_and_receiver_verifies_signature(alerts_worker, admin_client_api, receiver):
    claim = ClaimFactory(text=PROMISE, language="ar", kind="promise", follow_up_date=date(2022, 1, 24))
    ClaimFactory(kind="promise", follow_up_date=date(2999, 1, 1))  # not due yet
    hook = _register(admin_client_api, receiver.url, ["claim.follow_up_due"])

    # Two runs of the beat job, queued back to back.
    follow_ups_due_task.delay()
    follow_ups_due_task.delay()

    wait_for(lambda: len(receiver.requests) >= 1, timeout=20)
    wait_for(lambda: Delivery.objects.filter(state="sent").exists(), timeout=10)
    time.sleep(1.5)  # room for a duplicate to show up if there were one
    assert Alert.objects.filter(event="claim.follow_up_due").count() == 1
    assert Alert.objects.get().claim_id == claim.pk
    assert len(receiver.requests) == 1

    headers, body = receiver.requests[0]
    payload = Webhook(hook["secret"]).verify(body, headers)
    assert payload["type"] == "claim.follow_up_due"
    assert payload["data"]["claim"]["id"] == claim.pk
    assert payload["data"]["claim"]["text"] == PROMISE
    assert payload["data"]["follow_up"]["date"] == "2022-01-24"
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUJD" * 11).verify(body, headers)  # any other secret fails

    delivery = Delivery.objects.get()
    assert delivery.response_status == 204 and delivery.attempts == 1
    assert headers["webhook-id"] == delivery.message_id

    # A third run later still finds nothing new to say.
    follow_ups_due_task.delay()
    time.sleep(1.5)
    assert Alert.objects.count() == 1 and len(receiver.requests) == 1


def test_failing_receiver_is_retried_then_disabled(alerts_worker, admin_client_api, receiver):
    receiver.status = 500
    claim = ClaimFactory(kind="prediction", follow_up_date=date(2022, 2, 1))
    hook = _register(admin_client_api, receiver.url, ["claim.follow_up_due"])

    follow_ups_due_task.delay()

    endpoint = wait_for(lambda: WebhookEndpoint.objects.filter(pk=hook["id"], is_active=False).first(), timeout=25)
    assert "3 consecutive failed deliveries" in endpoint.disabled_reason
    assert "HTTP 500" in endpoint.disabled_reason
    assert len(receiver.requests) == 3
    # Every retry carries the same message id and body, freshly signed.
    assert len({h["webhook-id"] for h, _ in receiver.requests}) == 1
    for headers, body in receiver.requests:
        Webhook(hook["secret"]).verify(body, headers)

    delivery = wait_for(lambda: Delivery.objects.filter(alert__claim=claim, state="failed").first(), timeout=5)
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.response_status for a in attempts] == [500, 500, 500]
    assert not any(a.succeeded for a in attempts)
    # Back-off grows: the gaps between tries are about 0.3 s then 0.6 s.
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)]
    assert gaps[0] >= 0.25 and gaps[1] >= 0.5, gaps

    api = admin_client_api.get(f"/api/v1/webhooks/{hook['id']}/").json()
    assert api["is_active"] is False and api["disabled_reason"] == endpoint.disabled_reason
