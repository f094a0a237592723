"""GET /api/v1/status/: is the pipeline keeping up, and what waits for the desk?"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import selectors as claim_selectors
from claims.alerts.selectors import claims_due
from sources import selectors as source_selectors


class _ArticleCounts(serializers.Serializer):
    queued = serializers.IntegerField()
    processing = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()


class _FeedCounts(serializers.Serializer):
    active = serializers.IntegerField()
    failing = serializers.IntegerField(help_text="Active feeds whose last poll failed")


class _EvidenceCounts(serializers.Serializer):
    pending = serializers.IntegerField()
    pending_high_confidence = serializers.IntegerField()


class _BackfillCounts(serializers.Serializer):
    queued = serializers.IntegerField()
    running = serializers.IntegerField()


class StatusSerializer(serializers.Serializer):
    articles = _ArticleCounts()
    oldest_waiting_since = serializers.DateTimeField(
        allow_null=True, help_text="When the longest-waiting queued or processing article entered that state"
    )
    oldest_waiting_seconds = serializers.FloatField(
        allow_null=True, help_text="Grows while no worker takes articles: the figure to alert on"
    )
    feeds = _FeedCounts()
    evidence = _EvidenceCounts()
    open_claims = serializers.IntegerField()
    follow_ups_due = serializers.IntegerField(help_text="Open claims whose follow-up date has come")
    backfills = _BackfillCounts()


class StatusView(APIView):
    """Counts for a dashboard or a monitor; every role may read them."""

    @extend_schema(responses={200: StatusSerializer})
    def get(self, request):
        now = timezone.now()
        status = {
            **source_selectors.pipeline_counts(now=now),
            **claim_selectors.review_counts(),
            "follow_ups_due": claims_due(today=timezone.localdate(now)).count(),
        }
        return Response(StatusSerializer(status).data)
