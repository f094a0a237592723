"""Input and output shapes of the claims API (field names are the client contract)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from factcheck.api.serializers import LanguageField, StrictInputSerializer

from ..choices import ClaimKind, ClaimStatus
from ..models import CLAIM_TEXT_MAX_CHARS, BackfillRun, Claim, Claimant, ClaimStatusChange, Evidence, EvidenceReview
from ..search import NO_WORDS, SEARCH_TEXT_MAX_CHARS, has_words


class ClaimantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Claimant
        fields = ["id", "name", "kind", "description", "link"]


@extend_schema_field(OpenApiTypes.STR)
class ClaimantRefField(serializers.Field):
    """On write, a claimant's id (integer) or name (string, created if new)."""

    default_error_messages = {
        "unknown_id": "No claimant with id {value}.",
        "invalid": "Give a claimant name (text) or an existing claimant id (integer).",
        "too_long": "A claimant name has at most 300 characters.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            claimant = Claimant.objects.filter(pk=data).first()
            if claimant is None:
                self.fail("unknown_id", value=data)
            return claimant
        if isinstance(data, str) and data.strip():
            if len(data) > 300:
                self.fail("too_long")
            return data.strip()
        self.fail("invalid")

    def to_representation(self, value):
        return ClaimantSerializer(value).data


class ClaimOutputSerializer(serializers.ModelSerializer):
    claimant = ClaimantSerializer(allow_null=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    has_pending_evidence = serializers.BooleanField(read_only=True, default=False)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "text",
            "language",
            "claimant",
            "kind",
            "made_on",
            "first_appearance_url",
            "first_appearance_article",
            "status",
            "follow_up_date",
            "follow_up_source",
            "follow_up_phrase",
            "tags",
            "has_pending_evidence",
            "created_by",
            "created_at",
            "updated_at",
        ]


class ClaimInputSerializer(StrictInputSerializer):
    text = serializers.CharField(max_length=CLAIM_TEXT_MAX_CHARS, trim_whitespace=True)
    language = LanguageField(required=False, allow_blank=True)
    claimant = ClaimantRefField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ClaimKind.choices, required=False)
    made_on = serializers.DateField(required=False, allow_null=True)
    first_appearance_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    follow_up_date = serializers.DateField(required=False, allow_null=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=50)
    status = serializers.CharField(required=False)

    def validate_status(self, value):
        raise serializers.ValidationError(
            "Change the status with POST /api/v1/claims/{id}/status/ so the change is recorded in its history."
        )

    def validate(self, attrs):
        made_on, follow_up = attrs.get("made_on"), attrs.get("follow_up_date")
        if made_on and follow_up and follow_up < made_on:
            raise serializers.ValidationError({"follow_up_date": ["The follow-up date is before the claim was made."]})
        return attrs


class StatusChangeInputSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=200
    )


class StatusChangeOutputSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(source="changed_by.username", default=None)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ClaimStatusChange
        fields = ["id", "from_status", "to_status", "changed_by", "changed_at", "note", "evidence"]


class EvidenceOutputSerializer(serializers.ModelSerializer):
    reviewed_by = serializers.CharField(source="reviewed_by.username", default=None)
    article_title = serializers.CharField(source="article.title", read_only=True)
    article_url = serializers.CharField(source="article.url", read_only=True, allow_null=True)
    copies = serializers.PrimaryKeyRelatedField(
        many=True,
        read_only=True,
        help_text="Later rows saying the same (other outlets' copies), reviewed with this one",
    )

    class Meta:
        model = Evidence
        fields = [
            "id",
            "claim",
            "article",
            "article_title",
            "article_url",
            "stance",
            "confidence",
            "high_confidence",
            "excerpt",
            "sentences",
            "retrieval_score",
            "model_version",
            "review_state",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "created_at",
            "copy_of",
            "copies",
        ]


class EvidenceReviewInputSerializer(StrictInputSerializer):
    decision = serializers.ChoiceField(choices=[("accept", "accept"), ("reject", "reject")])
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class EvidenceReopenInputSerializer(StrictInputSerializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, default="", help_text="Why the decision is taken back"
    )


class EvidenceReviewRecordSerializer(serializers.ModelSerializer):
    reviewed_by = serializers.CharField(source="reviewed_by.username", default=None)

    class Meta:
        model = EvidenceReview
        fields = ["id", "evidence", "action", "reviewed_by", "reviewed_at", "note"]


EVIDENCE_REVIEW_MAX_ROWS = 500


class EvidenceReviewManyInputSerializer(EvidenceReviewInputSerializer):
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=EVIDENCE_REVIEW_MAX_ROWS,
        help_text="Ids of pending evidence rows, all reviewed with the same decision and note",
    )


class BackfillRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = BackfillRun
        fields = [
            "id",
            "state",
            "window_days",
            "articles_total",
            "articles_done",
            "evidence_found",
            "error",
            "created_at",
            "finished_at",
        ]


SEARCH_MAX_RESULTS = 50


class ClaimSimilarInputSerializer(StrictInputSerializer):
    limit = serializers.IntegerField(min_value=1, max_value=SEARCH_MAX_RESULTS, default=10)
    min_score = serializers.FloatField(min_value=0.0, max_value=2.0, required=False)  # DRF refuses NaN and inf


class ClaimSearchInputSerializer(ClaimSimilarInputSerializer):
    text = serializers.CharField(max_length=SEARCH_TEXT_MAX_CHARS, trim_whitespace=True)

    def validate_text(self, value: str) -> str:
        if not has_words(value):
            raise serializers.ValidationError(NO_WORDS)
        return value


class ClaimSearchHitSerializer(serializers.Serializer):
    claim = ClaimOutputSerializer()
    score = serializers.FloatField(help_text="What ranks the results: semantic + shared-word agreement.")
    semantic_score = serializers.FloatField(help_text="Cosine similarity of the text and the claim, across languages.")
    lexical_score = serializers.FloatField(help_text="BM25 agreement of their words (Arabic spelling folded), 0..1.")


class ClaimSearchOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = ClaimSearchHitSerializer(many=True)
