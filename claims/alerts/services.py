"""Writes for alerting: record alerts once, fan them out to deliveries, manage subscriptions and webhooks, run the scans."""

from __future__ import annotations

import base64
import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from factcheck.api.exceptions import DomainError
from sources.fetching import FetchError, ensure_fetchable_url

from ..choices import ClaimStatus
from ..models import (
    Alert,
    AlertChannel,
    AlertEvent,
    AlertLanguage,
    Claim,
    Claimant,
    ClaimStatusChange,
    Delivery,
    DeliveryState,
    EmailMode,
    Evidence,
    Subscription,
    SubscriptionScope,
    Tag,
    WebhookEndpoint,
)
from . import selectors

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
_UNSET = object()


# --------------------------------------------------------------------------- payloads


def claim_url(claim_id: int) -> str:
    return f"{settings.ALERTS_SITE_URL.rstrip('/')}/api/v1/claims/{claim_id}/"


def _claim_data(claim: Claim) -> dict:
    return {
        "id": claim.pk,
        "text": claim.text,
        "language": claim.language,
        "kind": claim.kind,
        "status": claim.status,
        "claimant": claim.claimant.name if claim.claimant_id else None,
        "made_on": claim.made_on.isoformat() if claim.made_on else None,
        "follow_up_date": claim.follow_up_date.isoformat() if claim.follow_up_date else None,
        "url": claim_url(claim.pk),
    }


def _status_change_data(change: ClaimStatusChange) -> dict:
    return {
        "id": change.pk,
        "from": change.from_status,
        "to": change.to_status,
        "note": change.note,
        "changed_by": change.changed_by.username if change.changed_by_id else None,
        "changed_at": change.changed_at.isoformat(),
    }


def _evidence_data(evidence: Evidence) -> dict:
    return {
        "id": evidence.pk,
        "stance": evidence.stance,
        "confidence": round(evidence.confidence, 4),
        "high_confidence": evidence.high_confidence,
        "excerpt": evidence.excerpt,
        "review_state": evidence.review_state,
        "article": {"id": evidence.article_id, "title": evidence.article.title, "url": evidence.article.url},
    }


# --------------------------------------------------------------------------- alerts


def alert_record(*, event: str, claim_id: int, dedup_key: str, payload: dict) -> Alert | None:
    """Create the alert unless one with this key exists; its fan-out is queued after commit.

    Returns None when the alert already existed, so a rerun never alerts twice.
    """
    try:
        with transaction.atomic():
            alert = Alert.objects.create(event=event, claim_id=claim_id, dedup_key=dedup_key, payload=payload)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _enqueue_fan_out(alert.pk))
    return alert


def _enqueue_fan_out(alert_id: int) -> None:
    from .tasks import alert_fan_out_task

    alert_fan_out_task.delay(alert_id)


def alert_for_status_change(*, status_change_id: int) -> Alert | None:
    change = (
        ClaimStatusChange.objects.select_related("claim", "claim__claimant", "changed_by")
        .filter(pk=status_change_id)
        .first()
    )
    if change is None:
        return None
    payload = {"claim": _claim_data(change.claim), "status_change": _status_change_data(change)}
    return alert_record(
        event=AlertEvent.STATUS_CHANGED,
        claim_id=change.claim_id,
        dedup_key=f"{AlertEvent.STATUS_CHANGED}:change={change.pk}",
        payload=payload,
    )


def alert_for_evidence(*, evidence_id: int) -> Alert | None:
    evidence = Evidence.objects.select_related("claim", "claim__claimant", "article").filter(pk=evidence_id).first()
    if evidence is None:
        return None
    payload = {"claim": _claim_data(evidence.claim), "evidence": _evidence_data(evidence)}
    return alert_record(
        event=AlertEvent.EVIDENCE_CREATED,
        claim_id=evidence.claim_id,
        dedup_key=f"{AlertEvent.EVIDENCE_CREATED}:evidence={evidence.pk}",
        payload=payload,
    )


def alert_fan_out(*, alert_id: int) -> list[Delivery]:
    """Create one delivery per matching recipient (once), and queue the ones sent immediately."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("claim").filter(pk=alert_id).first()
        if alert is None or alert.fanned_out_at is not None:
            return []
        deliveries: list[Delivery] = []
        addresses: set[str] = set()
        endpoints: set[int] = set()
        for subscription in selectors.subscriptions_matching(alert=alert):
            if AlertChannel.EMAIL in subscription.channels:
                address = subscription.recipient_email().lower()
                if address and address not in addresses:
                    addresses.add(address)
                    digest = subscription.email_mode == EmailMode.DIGEST
                    deliveries.append(
                        Delivery(
                            alert=alert,
                            subscription=subscription,
                            channel=AlertChannel.EMAIL,
                            recipient=address,
                            language=subscription.language,
                            state=DeliveryState.QUEUED if digest else DeliveryState.PENDING,
                        )
                    )
            endpoint = subscription.webhook
            if (
                AlertChannel.WEBHOOK in subscription.channels
                and endpoint is not None
                and endpoint.pk not in endpoints
                and alert.event in (endpoint.events or [])
            ):
                endpoints.add(endpoint.pk)
                deliveries.append(
                    Delivery(
                        alert=alert,
                        subscription=subscription,
                        channel=AlertChannel.WEBHOOK,
                        endpoint=endpoint,
                        recipient=endpoint.url,
                        state=DeliveryState.PENDING if endpoint.is_active else DeliveryState.SKIPPED,
                        error="" if endpoint.is_active else f"Endpoint disabled: {endpoint.disabled_reason}",
                    )
                )
        for delivery in deliveries:
            delivery.message_id = f"msg_{uuid.uuid4().hex}"
            delivery.save()
        alert.fanned_out_at = timezone.now()
        alert.save(update_fields=["fanned_out_at"])
        to_send = [(d.pk, d.channel) for d in deliveries if d.state == DeliveryState.PENDING]
        transaction.on_commit(lambda: _enqueue_deliveries(to_send))
    return deliveries


def _enqueue_deliveries(deliveries: Sequence[tuple[int, str]]) -> None:
    from .tasks import email_deliver_task, webhook_deliver_task

    for delivery_id, channel in deliveries:
        (webhook_deliver_task if channel == AlertChannel.WEBHOOK else email_deliver_task).delay(delivery_id)


# --------------------------------------------------------------------------- scans


def follow_ups_due_scan(*, today: date | None = None) -> list[Alert]:
    """Raise one ``claim.follow_up_due`` alert per open claim whose follow-up date has come.

    Safe to run twice at once: rows another run holds are skipped, ``follow_up_alerted_on``
    records the date already alerted, and the alert's unique key catches anything left.
    """
    today = today or timezone.localdate()
    created: list[Alert] = []
    with transaction.atomic():
        due = list(
            Claim.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ClaimStatus.OPEN, follow_up_date__lte=today)
            .filter(Q(follow_up_alerted_on__isnull=True) | ~Q(follow_up_alerted_on=F("follow_up_date")))
            .select_related("claimant")
            .order_by("follow_up_date", "id")[: settings.ALERTS_SCAN_BATCH]
        )
        for claim in due:
            payload = {
                "claim": _claim_data(claim),
                "follow_up": {
                    "date": claim.follow_up_date.isoformat(),
                    "source": claim.follow_up_source,
                    "phrase": claim.follow_up_phrase,
                    "days_overdue": (today - claim.follow_up_date).days,
                },
            }
            alert = alert_record(
                event=AlertEvent.FOLLOW_UP_DUE,
                claim_id=claim.pk,
                dedup_key=f"{AlertEvent.FOLLOW_UP_DUE}:claim={claim.pk}:date={claim.follow_up_date.isoformat()}",
                payload=payload,
            )
            Claim.objects.filter(pk=claim.pk).update(follow_up_alerted_on=claim.follow_up_date)
            if alert:
                created.append(alert)
    return created


def stale_claims_scan(*, now=None) -> list[Alert]:
    """Raise one ``claim.stale`` alert per quiet spell of an open claim with no new evidence."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ALERTS_STALE_AFTER_DAYS)
    latest_evidence = Evidence.objects.filter(claim=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    created: list[Alert] = []
    with transaction.atomic():
        stale = list(
            Claim.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=ClaimStatus.OPEN)
            .annotate(last_activity=Coalesce(Subquery(latest_evidence), F("created_at")))
            .filter(last_activity__lt=cutoff)
            .select_related("claimant")
            .order_by("last_activity", "id")[: settings.ALERTS_SCAN_BATCH]
        )
        for claim in stale:
            since = claim.last_activity
            payload = {
                "claim": _claim_data(claim),
                "stale": {"last_activity": since.isoformat(), "quiet_days": (now - since).days},
            }
            # Keyed on the last activity: the same quiet spell alerts once, a new one alerts again.
            alert = alert_record(
                event=AlertEvent.STALE,
                claim_id=claim.pk,
                dedup_key=f"{AlertEvent.STALE}:claim={claim.pk}:since={since.isoformat()}",
                payload=payload,
            )
            if alert:
                created.append(alert)
    return created


# --------------------------------------------------------------------------- subscriptions


def _check_events(events: Sequence[str], *, field: str = "events") -> list[str]:
    unknown = [e for e in events if e not in AlertEvent.values]
    if unknown or not events:
        raise DomainError(
            f"Unknown event(s) {unknown}; use some of {', '.join(AlertEvent.values)}."
            if unknown
            else f"Name at least one event: {', '.join(AlertEvent.values)}.",
            field=field,
        )
    return sorted(set(events))


def _scope_targets(*, scope: str, claim: Claim | None, claimant: Claimant | None, tag: Tag | None) -> dict:
    needed = {
        SubscriptionScope.CLAIM: ("claim", claim),
        SubscriptionScope.CLAIMANT: ("claimant", claimant),
        SubscriptionScope.TAG: ("tag", tag),
    }
    if scope not in SubscriptionScope.values:
        raise DomainError(f"'{scope}' is not a scope; use one of {', '.join(SubscriptionScope.values)}.", field="scope")
    targets = {"claim": None, "claimant": None, "tag": None}
    if scope != SubscriptionScope.ALL:
        name, value = needed[scope]
        if value is None:
            raise DomainError(f"A subscription with scope '{scope}' needs a {name}.", field=name)
        targets[name] = value
    for name, value in (("claim", claim), ("claimant", claimant), ("tag", tag)):
        if value is not None and targets[name] is None:
            raise DomainError(f"'{name}' only goes with scope '{name}'.", field=name)
    return targets


def subscription_create(
    *,
    owner,
    events: Sequence[str],
    channels: Sequence[str],
    scope: str = SubscriptionScope.ALL,
    claim: Claim | None = None,
    claimant: Claimant | None = None,
    tag: Tag | None = None,
    email: str = "",
    email_mode: str = EmailMode.DIGEST,
    language: str = AlertLanguage.ENGLISH,
    webhook: WebhookEndpoint | None = None,
) -> Subscription:
    """Subscribe ``owner`` to events on claims in a scope, by e-mail and/or a webhook."""
    subscription = Subscription(owner=owner, is_active=True)
    _subscription_apply(
        subscription,
        events=events,
        channels=channels,
        scope=scope,
        claim=claim,
        claimant=claimant,
        tag=tag,
        email=email,
        email_mode=email_mode,
        language=language,
        webhook=webhook,
    )
    subscription.save()
    return subscription


def subscription_update(*, subscription: Subscription, **changes) -> Subscription:
    """Change a subscription; fields left out keep their value."""
    current = {
        "events": subscription.events,
        "channels": subscription.channels,
        "scope": subscription.scope,
        "claim": subscription.claim,
        "claimant": subscription.claimant,
        "tag": subscription.tag,
        "email": subscription.email,
        "email_mode": subscription.email_mode,
        "language": subscription.language,
        "webhook": subscription.webhook,
    }
    if "scope" in changes:  # a new scope replaces the old target
        current.update(claim=None, claimant=None, tag=None)
    is_active = changes.pop("is_active", None)
    current.update(changes)
    _subscription_apply(subscription, **current)
    if is_active is not None:
        subscription.is_active = is_active
    subscription.save()
    return subscription


def _subscription_apply(
    subscription: Subscription, *, events, channels, scope, claim, claimant, tag, email, email_mode, language, webhook
) -> None:
    events = _check_events(events)
    channels = sorted(set(channels))
    unknown = [c for c in channels if c not in AlertChannel.values]
    if unknown or not channels:
        raise DomainError(f"Channels are some of {', '.join(AlertChannel.values)}.", field="channels")
    if AlertChannel.WEBHOOK in channels and webhook is None:
        raise DomainError("The webhook channel needs a registered webhook id.", field="webhook")
    if AlertChannel.WEBHOOK not in channels and webhook is not None:
        raise DomainError("Add 'webhook' to channels to use a webhook.", field="channels")
    if AlertChannel.EMAIL in channels and not (email or getattr(subscription.owner, "email", "")):
        raise DomainError("Your account has no e-mail address; give one.", field="email")
    if language not in AlertLanguage.values:
        raise DomainError(f"Language is one of {', '.join(AlertLanguage.values)}.", field="language")
    if email_mode not in EmailMode.values:
        raise DomainError(f"E-mail mode is one of {', '.join(EmailMode.values)}.", field="email_mode")
    for name, value in _scope_targets(scope=scope, claim=claim, claimant=claimant, tag=tag).items():
        setattr(subscription, name, value)
    subscription.scope = scope
    subscription.events, subscription.channels = events, channels
    subscription.email, subscription.email_mode, subscription.language = email, email_mode, language
    subscription.webhook = webhook


# --------------------------------------------------------------------------- webhooks


def webhook_secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _check_secret(secret: str) -> str:
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else ""
    try:
        key = base64.b64decode(raw + "==", validate=False) if raw else b""
    except ValueError:
        key = b""
    if len(key) < 24:
        raise DomainError("A secret is 'whsec_' followed by at least 24 bytes in base64.", field="secret")
    return secret


def _check_target(url: str) -> str:
    try:
        ensure_fetchable_url(url=url, allow_private=settings.FETCH_ALLOW_PRIVATE_NETWORKS)
    except FetchError as exc:
        raise DomainError(f"This URL cannot receive webhooks: {exc.reason}.", field="url") from exc
    return url


def webhook_register(
    *,
    owner,
    url: str,
    events: Sequence[str],
    secret: str | None = None,
    description: str = "",
    scope: str = SubscriptionScope.ALL,
    claim: Claim | None = None,
    claimant: Claimant | None = None,
    tag: Tag | None = None,
) -> WebhookEndpoint:
    """Register a receiver URL and subscribe it to ``events`` in ``scope`` (everything by default)."""
    events = _check_events(events)
    _check_target(url)
    secret = _check_secret(secret) if secret else webhook_secret_generate()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            owner=owner, url=url, events=events, secret=secret, description=description
        )
        subscription_create(
            owner=owner,
            events=events,
            channels=[AlertChannel.WEBHOOK],
            scope=scope,
            claim=claim,
            claimant=claimant,
            tag=tag,
            webhook=endpoint,
        )
    return endpoint


def webhook_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Sequence[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Edit an endpoint; turning it back on clears its failure count and reason."""
    if url is not None:
        endpoint.url = _check_target(url)
    if description is not None:
        endpoint.description = description
    with transaction.atomic():
        if events is not None:
            old, endpoint.events = endpoint.events, _check_events(events)
            # The subscription made at registration follows the endpoint's events.
            endpoint.subscriptions.filter(channels=[AlertChannel.WEBHOOK], events=old).update(events=endpoint.events)
        if is_active is True and not endpoint.is_active:
            endpoint.is_active, endpoint.consecutive_failures = True, 0
            endpoint.disabled_reason, endpoint.disabled_at = "", None
        elif is_active is False and endpoint.is_active:
            endpoint.is_active, endpoint.disabled_at = False, timezone.now()
            endpoint.disabled_reason = "Disabled by an administrator."
        endpoint.save()
    return endpoint
