"""Webhook deliveries: sign with Standard Webhooks, POST through the SSRF-safe client, record every attempt."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from sources.fetching import BlockedAddressError, FetchError, UnsupportedSchemeError, safe_request

from ..models import AlertChannel, Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint

RESPONSE_MAX_BYTES = 64 * 1024
_RETRYABLE = (DeliveryState.PENDING, DeliveryState.RETRYING)


@dataclass(frozen=True)
class AttemptOutcome:
    """What became of one try; ``retry_in`` is the back-off in seconds when another try is due."""

    state: str
    retry_in: float | None = None


def webhook_body(*, delivery: Delivery) -> str:
    """The JSON sent to the receiver, in the Standard Webhooks envelope (type, timestamp, data)."""
    alert = delivery.alert
    return json.dumps(
        {"type": alert.event, "timestamp": alert.created_at.isoformat(), "data": alert.payload},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body),
        "Content-Type": "application/json; charset=utf-8",
    }


def backoff_seconds(*, attempt: int) -> float:
    """Exponential back-off after the ``attempt``-th failure (1-based), capped."""
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** (attempt - 1)), settings.WEBHOOK_RETRY_MAX_SECONDS)


def delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """Try one webhook delivery; decide whether to retry, give up, or disable the endpoint."""
    delivery = (
        Delivery.objects.select_related("alert", "endpoint")
        .filter(pk=delivery_id, channel=AlertChannel.WEBHOOK)
        .first()
    )
    if delivery is None or delivery.state not in _RETRYABLE:
        return AttemptOutcome(state=delivery.state if delivery else "missing")
    endpoint = delivery.endpoint
    if endpoint is None or not endpoint.is_active:
        reason = endpoint.disabled_reason if endpoint else "endpoint deleted"
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.SKIPPED, error=f"Endpoint disabled: {reason}"
        )
        return AttemptOutcome(state=DeliveryState.SKIPPED)
    number = delivery.attempts + 1
    # Claiming the attempt number makes a duplicated task message a no-op instead of a second POST.
    claimed = Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts, state__in=_RETRYABLE).update(
        attempts=number, body=delivery.body or webhook_body(delivery=delivery)
    )
    if not claimed:
        return AttemptOutcome(state="claimed-elsewhere")
    delivery.refresh_from_db(fields=["body", "attempts"])

    started = timezone.now()
    clock = time.monotonic()
    status, error = None, ""
    permanent = False
    try:
        result = safe_request(
            "POST",
            endpoint.url,
            allow_private=settings.FETCH_ALLOW_PRIVATE_NETWORKS,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            max_bytes=RESPONSE_MAX_BYTES,
            headers=signed_headers(
                secret=endpoint.secret, message_id=delivery.message_id, body=delivery.body, at=datetime.now(tz=UTC)
            ),
            body=delivery.body.encode("utf-8"),
            max_redirects=0,
            raise_for_status=False,
        )
        status = result.status
        if not 200 <= status < 300:
            error = f"HTTP {status}: {result.text[:300]}".strip()
    except FetchError as exc:
        status, error = exc.status, exc.reason
        permanent = isinstance(exc, BlockedAddressError | UnsupportedSchemeError)
    duration_ms = int((time.monotonic() - clock) * 1000)
    succeeded = status is not None and 200 <= status < 300 and not error
    return _record(
        delivery=delivery,
        endpoint=endpoint,
        number=number,
        started=started,
        duration_ms=duration_ms,
        status=status,
        error=error,
        succeeded=succeeded,
        permanent=permanent,
    )


def _record(*, delivery, endpoint, number, started, duration_ms, status, error, succeeded, permanent) -> AttemptOutcome:
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=started,
            duration_ms=duration_ms,
            response_status=status,
            error=error[:2000],
            succeeded=succeeded,
        )
        if succeeded:
            Delivery.objects.filter(pk=delivery.pk).update(
                state=DeliveryState.SENT, sent_at=now, response_status=status, error=""
            )
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0, last_success_at=now)
            return AttemptOutcome(state=DeliveryState.SENT)

        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.consecutive_failures = F("consecutive_failures") + 1
        locked.last_failure_at = now
        locked.save(update_fields=["consecutive_failures", "last_failure_at"])
        locked.refresh_from_db(fields=["consecutive_failures"])
        if locked.is_active and locked.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
            locked.is_active, locked.disabled_at = False, now
            locked.disabled_reason = (
                f"Disabled after {locked.consecutive_failures} consecutive failed deliveries; "
                f"last: {error or 'no answer'} ({now:%Y-%m-%d %H:%M} UTC)."
            )[:2000]
            locked.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
        give_up = permanent or not locked.is_active or number >= settings.WEBHOOK_MAX_ATTEMPTS
        state = DeliveryState.FAILED if give_up else DeliveryState.RETRYING
        Delivery.objects.filter(pk=delivery.pk).update(state=state, response_status=status, error=error[:2000])
    return AttemptOutcome(state=state, retry_in=None if give_up else backoff_seconds(attempt=number))
