"""Input and output shapes of the sources API."""

from datetime import UTC, datetime

from django.utils import timezone
from rest_framework import serializers

from factcheck.api.serializers import LanguageField, StrictInputSerializer

from ..feeds import ENTRY_DATE_FUTURE_SLACK
from ..models import Article, Feed, Outlet
from ..services import ARTICLE_BODY_MAX_CHARS, outlet_domain_key


class OutletSerializer(serializers.ModelSerializer):
    language = LanguageField(required=False, allow_blank=True)

    class Meta:
        model = Outlet
        fields = ["id", "name", "domain", "language", "country", "reliability_note", "created_at"]
        read_only_fields = ["created_at"]

    def validate_domain(self, value):
        if not value.strip():
            return ""
        try:
            # The form article URLs carry once canonical: ASCII (punycode), lower case, no root dot.
            value = outlet_domain_key(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        # The field's own validators (unique, max length) checked the value as typed;
        # check again the form that is stored, or a capitalised duplicate reaches the database.
        self.fields["domain"].run_validators(value)
        return value

    def validate_country(self, value):
        # ASCII only: some letters grow when upper-cased ("ß" becomes "SS").
        if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
            raise serializers.ValidationError("Use an ISO 3166-1 alpha-2 code such as 'KZ'.")
        return value.upper()


class ArticleOutputSerializer(serializers.ModelSerializer):
    outlet_name = serializers.CharField(source="outlet.name", default=None, read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "url",
            "title",
            "body",
            "language",
            "published_at",
            "outlet",
            "outlet_name",
            "origin",
            "feed",
            "state",
            "state_reason",
            "attempts",
            "fetched_at",
            "processed_at",
            "created_at",
        ]


EARLIEST_PUBLICATION_DATE = datetime(1900, 1, 1, tzinfo=UTC)


class ArticleInputSerializer(StrictInputSerializer):
    url = serializers.URLField(max_length=2000, required=False, allow_blank=True, allow_null=True)
    title = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    body = serializers.CharField(
        max_length=ARTICLE_BODY_MAX_CHARS, required=False, allow_blank=True, trim_whitespace=True
    )
    language = LanguageField(required=False, allow_blank=True)
    published_at = serializers.DateTimeField(required=False, allow_null=True)
    outlet = serializers.PrimaryKeyRelatedField(queryset=Outlet.objects.all(), required=False, allow_null=True)

    def validate_url(self, value):
        if value and not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Only http and https URLs can be fetched.")
        return value or None

    def validate_published_at(self, value):
        # A date ahead (a year mistyped) or before any newspaper archive (year 1, which some
        # time zones cannot even show) is refused rather than stored. A day of slack for clocks
        # and time zones, as for feed entries.
        if value is not None and value > timezone.now() + ENTRY_DATE_FUTURE_SLACK:
            raise serializers.ValidationError("A publication date in the future.")
        if value is not None and value < EARLIEST_PUBLICATION_DATE:
            raise serializers.ValidationError("A publication date before 1900.")
        return value

    def validate(self, attrs):
        if not attrs.get("url") and not (attrs.get("title") and attrs.get("body")):
            # Name each field that is missing, so a client that sent a body but no title is told so.
            errors = {"url": ["Give a url to fetch, or a title and a body."]}
            for field in ("title", "body"):
                if not attrs.get(field):
                    errors[field] = ["Required when no url is given."]
            raise serializers.ValidationError(errors)
        return attrs


class FeedSerializer(serializers.ModelSerializer):
    language = LanguageField(required=False, allow_blank=True)
    interval_minutes = serializers.IntegerField(min_value=5, max_value=7 * 24 * 60, required=False)

    class Meta:
        model = Feed
        fields = [
            "id",
            "url",
            "title",
            "outlet",
            "language",
            "interval_minutes",
            "is_active",
            "last_polled_at",
            "next_poll_at",
            "last_status",
            "consecutive_failures",
            "created_at",
        ]
        read_only_fields = ["last_polled_at", "next_poll_at", "last_status", "consecutive_failures", "created_at"]

    def validate_url(self, value):
        if not value.lower().startswith(("http://", "https://")):
            raise serializers.ValidationError("Only http and https feeds can be polled.")
        return value
