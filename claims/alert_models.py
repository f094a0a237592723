"""Alerting data: who subscribes to what, each alert raised, and every delivery attempt made for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .models import Claim

__all__ = [
    "AlertEvent",
    "SubscriptionScope",
    "AlertChannel",
    "EmailMode",
    "DeliveryState",
    "AlertLanguage",
    "WebhookEndpoint",
    "Subscription",
    "Alert",
    "EmailDigest",
    "Delivery",
    "DeliveryAttempt",
    "DueFollowUp",
]


class AlertEvent(models.TextChoices):
    EVIDENCE_CREATED = "evidence.created", "New evidence found"
    STATUS_CHANGED = "claim.status_changed", "Claim status changed"
    FOLLOW_UP_DUE = "claim.follow_up_due", "Follow-up due"
    STALE = "claim.stale", "Claim gone stale"


class SubscriptionScope(models.TextChoices):
    ALL = "all", "Every claim"
    CLAIM = "claim", "One claim"
    CLAIMANT = "claimant", "Claims of one claimant"
    TAG = "tag", "Claims with one tag"


class AlertChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class EmailMode(models.TextChoices):
    DIGEST = "digest", "Grouped in the daily digest"
    IMMEDIATE = "immediate", "One e-mail per event"


class AlertLanguage(models.TextChoices):
    ARABIC = "ar", "العربية"
    ENGLISH = "en", "English"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    QUEUED = "queued", "Waiting for the digest"
    RETRYING = "retrying", "Failed, will retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed for good"
    SKIPPED = "skipped", "Not sent"


class WebhookEndpoint(models.Model):
    """A URL that receives signed event deliveries (Standard Webhooks), disabled after repeated failure."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=300, blank=True)
    # Kept in clear: it is the HMAC key every delivery is signed with.
    secret = models.CharField(max_length=200, help_text="whsec_<base64>; shown once when registered")
    events = models.JSONField(default=list, help_text="Event names this endpoint accepts")
    is_active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class Subscription(models.Model):
    """A user's wish to hear about some events on some claims, by e-mail and/or webhook."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscriptions")
    scope = models.CharField(max_length=10, choices=SubscriptionScope.choices, default=SubscriptionScope.ALL)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    claimant = models.ForeignKey("claims.Claimant", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey("claims.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    events = models.JSONField(default=list)
    channels = models.JSONField(default=list, help_text='Any of "email", "webhook"')
    email = models.EmailField(blank=True, help_text="Defaults to the owner's address")
    email_mode = models.CharField(max_length=10, choices=EmailMode.choices, default=EmailMode.DIGEST)
    language = models.CharField(max_length=2, choices=AlertLanguage.choices, default=AlertLanguage.ENGLISH)
    webhook = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="subscription_scope_target",
                condition=(
                    Q(scope="all", claim__isnull=True, claimant__isnull=True, tag__isnull=True)
                    | Q(scope="claim", claim__isnull=False, claimant__isnull=True, tag__isnull=True)
                    | Q(scope="claimant", claim__isnull=True, claimant__isnull=False, tag__isnull=True)
                    | Q(scope="tag", claim__isnull=True, claimant__isnull=True, tag__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.scope} · {', '.join(self.events)}"

    def recipient_email(self) -> str:
        return self.email or getattr(self.owner, "email", "") or ""


class Alert(models.Model):
    """One event worth telling subscribers about; ``dedup_key`` makes each one happen once."""

    event = models.CharField(max_length=30, choices=AlertEvent.choices, db_index=True)
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="alerts")
    dedup_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, help_text="The event data sent to webhooks and used in e-mails")
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} · claim {self.claim_id}"


class EmailDigest(models.Model):
    """One digest e-mail; unique per recipient, language and day so a rerun cannot send it twice."""

    recipient = models.EmailField()
    language = models.CharField(max_length=2, choices=AlertLanguage.choices)
    day = models.DateField()
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    pending_evidence = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "language", "day"], name="email_digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.day}"


class Delivery(models.Model):
    """An alert on its way to one recipient over one channel: what was sent, when, and how it went."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=AlertChannel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    recipient = models.CharField(max_length=2000, help_text="E-mail address or webhook URL")
    language = models.CharField(max_length=2, choices=AlertLanguage.choices, blank=True)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING, db_index=True)
    message_id = models.CharField(max_length=64, unique=True, help_text="webhook-id; the same on every retry")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, help_text="Exactly what was sent")
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    digest = models.ForeignKey(EmailDigest, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "endpoint"], condition=Q(channel="webhook"), name="delivery_once_per_endpoint"
            ),
            models.UniqueConstraint(
                fields=["alert", "recipient"], condition=Q(channel="email"), name="delivery_once_per_address"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.state})"


class DeliveryAttempt(models.Model):
    """One try at sending a delivery, with the receiver's answer or the error."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_number_unique")]

    def __str__(self) -> str:
        return f"#{self.number} {self.response_status or self.error[:40]}"


class DueFollowUp(Claim):
    """Open claims whose follow-up date has come: the admin's "due" list."""

    class Meta:
        proxy = True
        verbose_name = "due follow-up"
        verbose_name_plural = "due follow-ups"
