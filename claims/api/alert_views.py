"""Alerting endpoints: due follow-ups, subscriptions, webhooks (admins only), alerts and deliveries.

Roles: any account reads alerts and the due list; editors manage their own
subscriptions (and may delete them); webhooks are admin-only, reads included,
because their URLs and failure reasons describe other systems; deliveries list
only the reader's own unless they are an admin.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from factcheck.api.filters import FilterSet, IsoDateTimeFilter
from factcheck.api.permissions import RolePermission, is_admin, is_editor

from ..alerts import selectors, services
from ..models import Alert, AlertChannel, AlertEvent, Delivery, DeliveryState, Subscription
from .alert_serializers import (
    AlertOutputSerializer,
    DeliveryOutputSerializer,
    SubscriptionInputSerializer,
    SubscriptionOutputSerializer,
    WebhookCreatedSerializer,
    WebhookInputSerializer,
    WebhookOutputSerializer,
    WebhookUpdateSerializer,
)
from .serializers import ClaimOutputSerializer


class SubscriptionPermission(RolePermission):
    """RolePermission, except that editors may also delete (their own) subscriptions."""

    def has_permission(self, request, view) -> bool:
        if request.method == "DELETE":
            return is_editor(request.user)
        return super().has_permission(request, view)


class AdminOnly(RolePermission):
    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)


class DueClaimListView(generics.ListAPIView):
    """Open claims whose follow-up date has come (GET /api/v1/claims/due/), oldest deadline first."""

    serializer_class = ClaimOutputSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.claims_due()


class SubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Your subscriptions (admins see everyone's): events, scope, channels, language."""

    serializer_class = SubscriptionOutputSerializer
    permission_classes = [IsAuthenticated, SubscriptionPermission]
    filterset_fields = ["scope", "is_active"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Subscription.objects.none()
        return selectors.subscription_list(user=self.request.user)

    @extend_schema(request=SubscriptionInputSerializer, responses={201: SubscriptionOutputSerializer})
    def create(self, request):
        data = SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("is_active", None)
        subscription = services.subscription_create(owner=request.user, **values)
        return Response(SubscriptionOutputSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SubscriptionInputSerializer, responses={200: SubscriptionOutputSerializer})
    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = SubscriptionInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_update(subscription=subscription, **data.validated_data)
        return Response(SubscriptionOutputSerializer(subscription).data)


class WebhookViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Webhook endpoints; the secret is returned once, by POST. PATCH is_active=true re-enables one."""

    serializer_class = WebhookOutputSerializer
    permission_classes = [AdminOnly]
    write_role = "admin"
    filterset_fields = ["is_active"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.webhook_list()

    @extend_schema(request=WebhookInputSerializer, responses={201: WebhookCreatedSerializer})
    def create(self, request):
        data = WebhookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["secret"] = values.get("secret") or None
        values.setdefault("scope", "all")
        endpoint = services.webhook_register(owner=request.user, **values)
        return Response(WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookUpdateSerializer, responses={200: WebhookOutputSerializer})
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        data = WebhookUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_update(endpoint=endpoint, **data.validated_data)
        return Response(WebhookOutputSerializer(endpoint).data)


class AlertFilter(FilterSet):
    event = django_filters.MultipleChoiceFilter(choices=AlertEvent.choices)
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Alert
        fields = ["event", "claim"]


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Every alert raised, with its delivery counts by outcome."""

    serializer_class = AlertOutputSerializer
    filterset_class = AlertFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.alert_list()


class DeliveryFilter(FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=DeliveryState.choices)
    channel = django_filters.ChoiceFilter(choices=AlertChannel.choices)

    class Meta:
        model = Delivery
        fields = ["alert", "endpoint", "channel", "state"]


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """What was sent, to whom, when, and every attempt's outcome."""

    serializer_class = DeliveryOutputSerializer
    permission_classes = [IsAuthenticated, RolePermission]
    filterset_class = DeliveryFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Delivery.objects.none()
        return selectors.delivery_list(user=self.request.user)
