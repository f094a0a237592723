"""Reads for alerting: due follow-ups, matching subscriptions, alert and delivery lists, feed entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from factcheck.api.permissions import is_admin

from .. import selectors as claim_selectors
from ..choices import ClaimStatus, ReviewState
from ..models import (
    Alert,
    Claim,
    ClaimStatusChange,
    Delivery,
    Evidence,
    Subscription,
    SubscriptionScope,
    WebhookEndpoint,
)


def claims_due(*, today: date | None = None) -> QuerySet[Claim]:
    """Open claims whose follow-up date has come, oldest deadline first."""
    today = today or timezone.localdate()
    return (
        claim_selectors.claim_list()
        .filter(status=ClaimStatus.OPEN, follow_up_date__lte=today)
        .order_by("follow_up_date", "id")
    )


def subscriptions_matching(*, alert: Alert) -> list[Subscription]:
    """Active subscriptions whose scope covers the alert's claim and whose events include it."""
    claim = alert.claim
    tag_ids = list(claim.tags.values_list("id", flat=True))
    scope = Q(scope=SubscriptionScope.ALL) | Q(scope=SubscriptionScope.CLAIM, claim_id=claim.pk)
    if claim.claimant_id:
        scope |= Q(scope=SubscriptionScope.CLAIMANT, claimant_id=claim.claimant_id)
    if tag_ids:
        scope |= Q(scope=SubscriptionScope.TAG, tag_id__in=tag_ids)
    candidates = Subscription.objects.filter(scope, is_active=True).select_related("owner", "webhook").order_by("id")
    # Event lists are tiny JSON arrays; filtering them here keeps SQLite and PostgreSQL alike.
    return [s for s in candidates if alert.event in (s.events or [])]


def pending_evidence_for(*, subscriptions: list[Subscription]) -> QuerySet[Evidence]:
    """Evidence awaiting review on claims any of these subscriptions covers."""
    scope = Q()
    for subscription in subscriptions:
        if subscription.scope == SubscriptionScope.ALL:
            scope = Q()
            break
        if subscription.scope == SubscriptionScope.CLAIM:
            scope |= Q(claim_id=subscription.claim_id)
        elif subscription.scope == SubscriptionScope.CLAIMANT:
            scope |= Q(claim__claimant_id=subscription.claimant_id)
        elif subscription.scope == SubscriptionScope.TAG:
            scope |= Q(claim__tags__id=subscription.tag_id)
    return (
        Evidence.objects.filter(
            scope, review_state=ReviewState.PENDING, copy_of__isnull=True, claim__status=ClaimStatus.OPEN
        )
        .select_related("claim", "article")
        .distinct()
        .order_by("-confidence", "-id")
    )


def subscription_list(*, user) -> QuerySet[Subscription]:
    queryset = Subscription.objects.select_related("owner", "claim", "claimant", "tag", "webhook")
    if is_admin(user):
        return queryset
    return queryset.filter(owner=user)


def webhook_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("owner")


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.select_related("claim").prefetch_related("deliveries")


def delivery_list(*, user) -> QuerySet[Delivery]:
    """Every delivery for admins; for anyone else only those of their own subscriptions."""
    queryset = Delivery.objects.select_related("alert", "endpoint", "subscription").prefetch_related("attempt_log")
    if is_admin(user):
        return queryset
    return queryset.filter(subscription__owner=user)


@dataclass(frozen=True)
class FeedEntry:
    """One Atom entry: a status change or an accepted piece of evidence."""

    guid: str
    claim: Claim
    title: str
    description: str
    published: datetime
    link_fragment: str


def feed_entries(*, claim_id: int | None = None, limit: int = 50) -> list[FeedEntry]:
    """Status changes and accepted evidence, newest first, for one claim or all of them."""
    changes = ClaimStatusChange.objects.select_related("claim").exclude(from_status="").order_by("-changed_at", "-id")
    accepted = (
        Evidence.objects.filter(review_state=ReviewState.ACCEPTED, copy_of__isnull=True)  # a reprint is no news
        .select_related("claim", "article")
        .order_by("-reviewed_at", "-id")
    )
    if claim_id is not None:
        changes, accepted = changes.filter(claim_id=claim_id), accepted.filter(claim_id=claim_id)
    entries = [
        FeedEntry(
            guid=f"status-change-{change.pk}",
            claim=change.claim,
            title=f"{change.get_from_status_display()} → {change.get_to_status_display()}: {change.claim.text[:120]}",
            description=change.note or f"Status changed to {change.get_to_status_display()}.",
            published=change.changed_at,
            link_fragment=f"status-change-{change.pk}",
        )
        for change in changes[:limit]
    ]
    entries += [
        FeedEntry(
            guid=f"evidence-{evidence.pk}",
            claim=evidence.claim,
            title=f"{evidence.get_stance_display()}: {evidence.claim.text[:120]}",
            description=f"{evidence.excerpt}\n\n— {evidence.article.title} {evidence.article.url or ''}".strip(),
            published=evidence.reviewed_at or evidence.created_at,
            link_fragment=f"evidence-{evidence.pk}",
        )
        for evidence in accepted[:limit]
    ]
    entries.sort(key=lambda entry: entry.published, reverse=True)
    return entries[:limit]
