"""Alert e-mails in the subscriber's language (Arabic or English): single alerts and the daily digest."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ..models import (
    Alert,
    AlertChannel,
    AlertLanguage,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    EmailDigest,
    Subscription,
)
from . import selectors

logger = logging.getLogger(__name__)

# Labels live here rather than in gettext catalogues: the project ships no .po files yet,
# and a subscriber's language is not the request's language.
LABELS = {
    "en": {
        "events": {
            "evidence.created": "New evidence",
            "claim.status_changed": "Status changed",
            "claim.follow_up_due": "Follow-up due",
            "claim.stale": "No new evidence for a while",
        },
        "status": {
            "open": "open",
            "confirmed": "confirmed",
            "contradicted": "contradicted",
            "mixed": "mixed",
            "unverifiable": "unverifiable",
        },
        "stance": {"confirms": "confirms", "contradicts": "contradicts", "discusses": "discusses"},
    },
    "ar": {
        "events": {
            "evidence.created": "دليل جديد",
            "claim.status_changed": "تغيّرت حالة الادعاء",
            "claim.follow_up_due": "حان موعد المتابعة",
            "claim.stale": "لا أدلة جديدة منذ مدة",
        },
        "status": {
            "open": "مفتوح",
            "confirmed": "مؤكَّد",
            "contradicted": "مدحوض",
            "mixed": "مختلط",
            "unverifiable": "غير قابل للتحقق",
        },
        "stance": {"confirms": "يؤكّد", "contradicts": "يدحض", "discusses": "يناقش"},
    },
}


def _language(value: str) -> str:
    return value if value in AlertLanguage.values else AlertLanguage.ENGLISH


def _alert_context(alert: Alert, language: str) -> dict:
    labels = LABELS[language]
    payload = alert.payload
    claim = payload.get("claim", {})
    change = payload.get("status_change")
    evidence = payload.get("evidence")
    return {
        "event": alert.event,
        "event_label": labels["events"].get(alert.event, alert.event),
        "claim": claim,
        "claim_status": labels["status"].get(claim.get("status"), claim.get("status")),
        "change": change,
        "from_status": labels["status"].get(change["from"], change["from"]) if change else "",
        "to_status": labels["status"].get(change["to"], change["to"]) if change else "",
        "evidence": evidence,
        "stance": labels["stance"].get(evidence["stance"], evidence["stance"]) if evidence else "",
        "follow_up": payload.get("follow_up"),
        "stale": payload.get("stale"),
    }


def _render(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """(subject, text body, html body): the first line of the text template is the subject."""
    text = render_to_string(f"claims/alerts/{template}.{language}.txt", context).strip()
    subject, _, body = text.partition("\n")
    html = render_to_string(f"claims/alerts/{template}.html", {**context, "body": body.strip(), "language": language})
    return " ".join(subject.split())[:300], body.strip() + "\n", html


def render_alert_email(*, alert: Alert, language: str) -> tuple[str, str, str]:
    language = _language(language)
    return _render("alert_email", _alert_context(alert, language), language)


def _send(*, to: str, subject: str, body: str, html: str) -> None:
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)


def email_deliver(*, delivery_id: int) -> str:
    """Send one immediate alert e-mail once; a failure is recorded, not retried."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("alert")
            .filter(pk=delivery_id, channel=AlertChannel.EMAIL)
            .first()
        )
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return delivery.state if delivery else "missing"
        subject, body, html = render_alert_email(alert=delivery.alert, language=delivery.language)
        started = timezone.now()
        delivery.attempts += 1
        delivery.subject, delivery.body = subject, body
        try:
            _send(to=delivery.recipient, subject=subject, body=body, html=html)
        except Exception as exc:  # SMTP errors come in many types; all of them mean "not sent"
            delivery.state, delivery.error = DeliveryState.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        else:
            delivery.state, delivery.sent_at = DeliveryState.SENT, timezone.now()
        delivery.save()
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started,
            error=delivery.error,
            succeeded=delivery.state == DeliveryState.SENT,
        )
    return delivery.state


def digests_send(*, day: date | None = None) -> list[EmailDigest]:
    """One e-mail per subscriber address and language: queued alerts plus evidence waiting for review.

    ``EmailDigest`` is unique per address, language and day, so a second run the same day
    (or a concurrent one) sends nothing more.
    """
    day = day or timezone.localdate()
    groups: dict[tuple[str, str], list[Subscription]] = defaultdict(list)
    for subscription in Subscription.objects.filter(is_active=True).select_related("owner").order_by("id"):
        if AlertChannel.EMAIL in subscription.channels and subscription.recipient_email():
            groups[(subscription.recipient_email().lower(), _language(subscription.language))].append(subscription)
    queued_addresses = (
        Delivery.objects.filter(channel=AlertChannel.EMAIL, state=DeliveryState.QUEUED)
        .values_list("recipient", "language")
        .distinct()
    )
    for address, language in queued_addresses:
        groups.setdefault((address, _language(language)), [])
    sent = []
    for (address, language), subscriptions in sorted(groups.items()):
        try:
            digest = _digest_send_one(address=address, language=language, subscriptions=subscriptions, day=day)
        except Exception:  # one bad mailbox must not hold back everyone else's digest
            logger.exception("digest to %s failed; its alerts stay queued for the next run", address)
            continue
        if digest:
            sent.append(digest)
    return sent


def _digest_send_one(
    *, address: str, language: str, subscriptions: list[Subscription], day: date
) -> EmailDigest | None:
    wants_pending = [s for s in subscriptions if "evidence.created" in s.events]
    with transaction.atomic():
        queued = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(channel=AlertChannel.EMAIL, state=DeliveryState.QUEUED, recipient=address, language=language)
            .select_related("alert")
            .order_by("alert__created_at", "id")
        )
        pending = selectors.pending_evidence_for(subscriptions=wants_pending) if wants_pending else None
        pending_count = pending.count() if pending is not None else 0
        if not queued and not pending_count:
            return None
        try:
            with transaction.atomic():
                digest = EmailDigest.objects.create(recipient=address, language=language, day=day)
        except IntegrityError:
            return None  # already sent today, or being sent by a concurrent run
        labels = LABELS[language]
        sections: dict[str, list[dict]] = defaultdict(list)
        for delivery in queued:
            sections[delivery.alert.event].append(_alert_context(delivery.alert, language))
        context = {
            "day": day,
            "sections": [
                {"label": labels["events"].get(event, event), "items": items}
                for event, items in sorted(sections.items())
            ],
            "alert_count": len(queued),
            "pending_count": pending_count,
            "pending": [
                {
                    "evidence": e,
                    "stance": labels["stance"].get(e.stance, e.stance),
                    "claim_status": labels["status"].get(e.claim.status, e.claim.status),
                }
                for e in (pending[: settings.ALERTS_DIGEST_MAX_ITEMS] if pending is not None else [])
            ],
        }
        subject, body, html = _render("digest_email", context, language)
        _send(to=address, subject=subject, body=body, html=html)
        now = timezone.now()
        digest.subject, digest.body, digest.pending_evidence, digest.sent_at = subject, body, pending_count, now
        digest.save()
        Delivery.objects.filter(pk__in=[d.pk for d in queued]).update(
            state=DeliveryState.SENT, sent_at=now, digest=digest, subject=subject
        )
    return digest
