"""Input and output shapes of the alerting API: subscriptions, webhooks, alerts and deliveries."""

from __future__ import annotations

from rest_framework import serializers

from factcheck.api.serializers import StrictInputSerializer

from ..models import (
    Alert,
    AlertChannel,
    AlertEvent,
    AlertLanguage,
    Claim,
    Claimant,
    Delivery,
    DeliveryAttempt,
    EmailMode,
    Subscription,
    SubscriptionScope,
    Tag,
    WebhookEndpoint,
)


class _ScopeInput(StrictInputSerializer):
    scope = serializers.ChoiceField(choices=SubscriptionScope.choices, required=False)
    claim = serializers.PrimaryKeyRelatedField(queryset=Claim.objects.all(), required=False, allow_null=True)
    claimant = serializers.PrimaryKeyRelatedField(queryset=Claimant.objects.all(), required=False, allow_null=True)
    tag = serializers.SlugRelatedField(slug_field="name", queryset=Tag.objects.all(), required=False, allow_null=True)


class SubscriptionInputSerializer(_ScopeInput):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertEvent.choices), min_length=1, max_length=10
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertChannel.choices), min_length=1, max_length=2
    )
    email = serializers.EmailField(required=False, allow_blank=True)
    email_mode = serializers.ChoiceField(choices=EmailMode.choices, required=False)
    language = serializers.ChoiceField(choices=AlertLanguage.choices, required=False)
    webhook = serializers.PrimaryKeyRelatedField(
        queryset=WebhookEndpoint.objects.all(), required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)


class SubscriptionOutputSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    tag = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "owner",
            "scope",
            "claim",
            "claimant",
            "tag",
            "events",
            "channels",
            "email",
            "email_mode",
            "language",
            "webhook",
            "is_active",
            "created_at",
        ]


class WebhookInputSerializer(_ScopeInput):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertEvent.choices), min_length=1, max_length=10
    )
    secret = serializers.CharField(max_length=200, required=False, allow_blank=True, write_only=True)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)


class WebhookUpdateSerializer(StrictInputSerializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertEvent.choices), min_length=1, max_length=10, required=False
    )
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class WebhookOutputSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", default=None, read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "owner",
            "is_active",
            "disabled_reason",
            "disabled_at",
            "consecutive_failures",
            "last_success_at",
            "last_failure_at",
            "created_at",
        ]


class WebhookCreatedSerializer(WebhookOutputSerializer):
    """The only response that carries the secret: store it now, it is not shown again."""

    class Meta(WebhookOutputSerializer.Meta):
        fields = WebhookOutputSerializer.Meta.fields + ["secret"]


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["number", "started_at", "duration_ms", "response_status", "error", "succeeded"]


class DeliveryOutputSerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="alert.event", read_only=True)
    claim = serializers.IntegerField(source="alert.claim_id", read_only=True)
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "alert",
            "event",
            "claim",
            "channel",
            "recipient",
            "endpoint",
            "subscription",
            "language",
            "state",
            "message_id",
            "subject",
            "body",
            "attempts",
            "response_status",
            "error",
            "digest",
            "created_at",
            "sent_at",
            "attempt_log",
        ]


class AlertOutputSerializer(serializers.ModelSerializer):
    deliveries = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = ["id", "event", "claim", "payload", "created_at", "fanned_out_at", "deliveries"]

    def get_deliveries(self, alert) -> dict[str, int]:
        """Delivery counts by state; recipients are listed under /deliveries/."""
        counts: dict[str, int] = {}
        for delivery in alert.deliveries.all():
            counts[delivery.state] = counts.get(delivery.state, 0) + 1
        return counts
