"""Celery tasks for alerting: thin, taking ids, each safe to run twice."""

from __future__ import annotations

import time

from celery import shared_task

from . import email, services, webhook

__all__ = [
    "alert_fan_out_task",
    "webhook_deliver_task",
    "email_deliver_task",
    "follow_ups_due_task",
    "stale_claims_task",
    "email_digests_task",
]


@shared_task(acks_late=True)
def alert_fan_out_task(alert_id: int) -> int:
    """Turn an alert into deliveries for every matching subscription (once)."""
    return len(services.alert_fan_out(alert_id=alert_id))


@shared_task(bind=True, max_retries=None)
def webhook_deliver_task(self, delivery_id: int) -> str:
    """POST one signed delivery; retries with exponential back-off until it succeeds or gives up."""
    outcome = webhook.delivery_attempt(delivery_id=delivery_id)
    # Inline (eager) runs cannot schedule a later try, and Celery re-raises Retry there:
    # wait out the back-off in place instead (tests set it to fractions of a second).
    while outcome.retry_in is not None and self.request.is_eager:
        time.sleep(outcome.retry_in)
        outcome = webhook.delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task
def email_deliver_task(delivery_id: int) -> str:
    return email.email_deliver(delivery_id=delivery_id)


@shared_task(acks_late=True)
def follow_ups_due_task() -> list[int]:
    """Beat: alert once for each open claim whose follow-up date has come."""
    return [alert.pk for alert in services.follow_ups_due_scan()]


@shared_task(acks_late=True)
def stale_claims_task() -> list[int]:
    """Beat: alert once per quiet spell for open claims without new evidence."""
    return [alert.pk for alert in services.stale_claims_scan()]


@shared_task(acks_late=True)
def email_digests_task() -> int:
    """Beat: send each subscriber's digest of queued alerts and evidence waiting for review."""
    return len(email.digests_send())
