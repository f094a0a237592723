"""The alerting desk: due follow-ups, subscriptions, webhooks and a read-only log of alerts and deliveries."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .alerts import services
from .choices import ClaimStatus
from .models import Alert, Delivery, DeliveryAttempt, DueFollowUp, EmailDigest, Subscription, WebhookEndpoint


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log: nothing here is added or edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DueFollowUp)
class DueFollowUpAdmin(ReadOnlyAdmin):
    list_display = [
        "claim_link",
        "claimant",
        "kind",
        "follow_up_date",
        "follow_up_source",
        "follow_up_phrase",
        "alerted",
    ]
    list_filter = ["kind", "follow_up_source"]
    search_fields = ["text", "text_normalized", "claimant__name"]
    ordering = ["follow_up_date", "id"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=ClaimStatus.OPEN, follow_up_date__lte=timezone.localdate())
            .select_related("claimant")
        )

    @admin.display(description=_("Claim"))
    def claim_link(self, obj):
        return format_html(
            '<a href="{}" dir="auto">{}</a>', reverse("admin:claims_claim_change", args=[obj.pk]), obj.text[:100]
        )

    @admin.display(boolean=True, description=_("Alert sent"))
    def alerted(self, obj):
        return obj.follow_up_alerted_on == obj.follow_up_date


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "owner",
        "scope",
        "claim",
        "claimant",
        "tag",
        "events",
        "channels",
        "email_mode",
        "language",
        "webhook",
        "is_active",
    ]
    list_filter = ["scope", "email_mode", "language", "is_active"]
    search_fields = ["owner__username", "email"]
    autocomplete_fields = ["claim", "claimant", "tag"]
    raw_id_fields = ["owner", "webhook"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = [
        "url",
        "events",
        "is_active",
        "consecutive_failures",
        "disabled_reason",
        "last_success_at",
        "last_failure_at",
    ]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    fields = [
        "url",
        "description",
        "events",
        "owner",
        "masked_secret",
        "is_active",
        "disabled_reason",
        "disabled_at",
        "consecutive_failures",
        "last_success_at",
        "last_failure_at",
        "created_at",
    ]
    readonly_fields = [
        "masked_secret",
        "disabled_reason",
        "disabled_at",
        "consecutive_failures",
        "last_success_at",
        "last_failure_at",
        "created_at",
    ]
    raw_id_fields = ["owner"]
    actions = ["enable_selected"]

    def has_add_permission(self, request):
        return False  # registered through POST /api/v1/webhooks/, which shows the secret once

    @admin.display(description=_("Secret"))
    def masked_secret(self, obj):
        return f"{obj.secret[:10]}…" if obj.secret else ""

    @admin.action(description=_("Re-enable selected endpoints (clears the failure count)"))
    def enable_selected(self, request, queryset):
        for endpoint in queryset:
            services.webhook_update(endpoint=endpoint, is_active=True)
        self.message_user(request, _("%(n)d endpoints enabled.") % {"n": queryset.count()}, messages.SUCCESS)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "recipient", "state", "attempts", "response_status", "error", "sent_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["event", "claim", "created_at", "fanned_out_at", "delivery_count"]
    list_filter = ["event"]
    search_fields = ["claim__text_normalized", "dedup_key"]
    date_hierarchy = "created_at"
    list_select_related = ["claim"]
    inlines = [DeliveryInline]

    @admin.display(description=_("Deliveries"))
    def delivery_count(self, obj):
        return obj.deliveries.count()


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "response_status", "error", "succeeded"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "alert",
        "channel",
        "recipient",
        "language",
        "state",
        "attempts",
        "response_status",
        "sent_at",
        "created_at",
    ]
    list_filter = ["channel", "state", "language"]
    search_fields = ["recipient", "message_id", "subject"]
    date_hierarchy = "created_at"
    list_select_related = ["alert"]
    inlines = [AttemptInline]


@admin.register(EmailDigest)
class EmailDigestAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "language", "day", "pending_evidence", "sent_at"]
    list_filter = ["language", "day"]
    search_fields = ["recipient", "subject"]
