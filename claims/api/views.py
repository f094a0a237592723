"""Claims and evidence endpoints: validate, call one service or selector, serialize."""

from __future__ import annotations

from django.conf import settings
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from .. import search, selectors, services
from ..claimreview import claim_review_document
from ..filters import ClaimFilter, EvidenceFilter
from ..models import Claimant
from ..search import SEARCH_TEXT_MAX_CHARS
from .serializers import (
    BackfillRunSerializer,
    ClaimInputSerializer,
    ClaimOutputSerializer,
    ClaimSearchInputSerializer,
    ClaimSearchOutputSerializer,
    ClaimSimilarInputSerializer,
    EvidenceOutputSerializer,
    EvidenceReopenInputSerializer,
    EvidenceReviewInputSerializer,
    EvidenceReviewManyInputSerializer,
    EvidenceReviewRecordSerializer,
    StatusChangeInputSerializer,
    StatusChangeOutputSerializer,
)


def _single_valued(query_params) -> dict[str, str]:
    """Query parameters as a dict, refusing one given twice: which value would win depends on
    the order a client or a proxy wrote them in. ``format`` (the renderer) is left out."""
    repeated = {name: ["Give this parameter once."] for name, values in query_params.lists() if len(values) > 1}
    if repeated:
        raise ValidationError(repeated)
    return {name: value for name, value in query_params.items() if name != "format"}


class SearchUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    wait = 5  # seconds, sent as Retry-After


def _claimant_from(value):
    if value is None or isinstance(value, Claimant):
        return value
    return services.claimant_get_or_create(name=value)


class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Claims editors log; status changes are recorded in their history."""

    serializer_class = ClaimOutputSerializer
    filterset_class = ClaimFilter
    ordering_fields = ["created_at", "made_on", "follow_up_date", "status", "id"]
    ordering = ["-created_at", "-id"]
    throttle_scope = None  # the search action names its own rate (ScopedRateThrottle)
    post_is_read = False  # the search action's POST only reads (RolePermission)

    def get_queryset(self):
        return selectors.claim_list()

    def filter_queryset(self, queryset):
        # The list's filters (?made_after=..., ?status=...) select claims to list; a claim named
        # by its id is found whatever the query string says (its evidence reads its own filters).
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def _output(self, claim, status_code=status.HTTP_200_OK):
        claim = self.get_queryset().get(pk=claim.pk)
        return Response(ClaimOutputSerializer(claim, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(request=ClaimInputSerializer, responses={201: ClaimOutputSerializer})
    def create(self, request):
        data = ClaimInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["claimant"] = _claimant_from(values.get("claimant"))
        claim = services.claim_create(created_by=request.user, **values)
        return self._output(claim, status.HTTP_201_CREATED)

    @extend_schema(request=ClaimInputSerializer, responses={200: ClaimOutputSerializer})
    def update(self, request, pk=None, partial=False):
        claim = self.get_object()
        data = ClaimInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "claimant" in values:
            values["claimant"] = _claimant_from(values["claimant"])
        claim = services.claim_update(claim=claim, updated_by=request.user, **values)
        return self._output(claim)

    @extend_schema(request=ClaimInputSerializer, responses={200: ClaimOutputSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(responses={200: StatusChangeOutputSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        claim = self.get_object()
        page = self.paginate_queryset(selectors.claim_history(claim=claim))
        return self.get_paginated_response(StatusChangeOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: EvidenceOutputSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None)
    def evidence(self, request, pk=None):
        claim = self.get_object()
        filterset = EvidenceFilter(request.query_params, queryset=selectors.evidence_list().filter(claim=claim))
        if not filterset.is_valid():  # as /evidence/ answers: a 400 naming the parameter
            raise translate_validation(filterset.errors)
        queryset = filterset.qs
        page = self.paginate_queryset(queryset.order_by("-confidence", "-id"))
        return self.get_paginated_response(EvidenceOutputSerializer(page, many=True).data)

    @extend_schema(responses={200: BackfillRunSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def backfills(self, request, pk=None):
        """Checks of this claim against already-ingested articles, newest first, with their progress."""
        claim = self.get_object()
        page = self.paginate_queryset(claim.backfills.order_by("-created_at", "-id"))
        return self.get_paginated_response(BackfillRunSerializer(page, many=True).data)

    @extend_schema(request=StatusChangeInputSerializer, responses={201: StatusChangeOutputSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        claim = self.get_object()
        data = StatusChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.claim_change_status(
            claim=claim,
            status=data.validated_data["status"],
            note=data.validated_data["note"],
            evidence_ids=data.validated_data["evidence"],
            changed_by=request.user,
        )
        return Response(StatusChangeOutputSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"], parameters=[ClaimSearchInputSerializer], responses={200: ClaimSearchOutputSerializer}
    )
    @extend_schema(methods=["POST"], request=ClaimSearchInputSerializer, responses={200: ClaimSearchOutputSerializer})
    @action(
        detail=False,
        methods=["get", "post"],
        filterset_class=None,
        throttle_classes=[*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle],
        throttle_scope="claim_search",
        post_is_read=True,
    )
    def search(self, request):
        """Logged claims that a text (a tweet, a forwarded message, a quote) repeats, in any of
        the index's languages, best first: "has this been checked already, and what was found?"

        GET takes the fields in the query string; POST takes the same as a JSON body, for texts
        too long for a URL (an Arabic letter is 6 bytes there). Any role may do either.
        """
        options = self._search_options(ClaimSearchInputSerializer)
        return self._search_response(text=options.pop("text"), **options)

    @extend_schema(parameters=[ClaimSimilarInputSerializer], responses={200: ClaimSearchOutputSerializer})
    @action(
        detail=True,
        methods=["get"],
        throttle_classes=[*api_settings.DEFAULT_THROTTLE_CLASSES, ScopedRateThrottle],
        throttle_scope="claim_search",
    )
    def similar(self, request, pk=None):
        """Other logged claims saying the same, in any language: duplicates to merge or link."""
        claim = self.get_object()
        options = self._search_options(ClaimSimilarInputSerializer)
        return self._search_response(
            text=claim.text[:SEARCH_TEXT_MAX_CHARS],
            limit=options["limit"],
            min_score=options["min_score"],
            exclude=claim,
        )

    def _search_options(self, serializer_class) -> dict:
        if self.request.method == "POST":
            data = serializer_class(data=self.request.data)
        else:
            data = serializer_class(data=_single_valued(self.request.query_params))
        data.is_valid(raise_exception=True)
        options = dict(data.validated_data)
        options.setdefault("min_score", settings.MATCH_MIN_RETRIEVAL_SCORE)
        return options

    def _search_response(self, *, text: str, limit: int, min_score: float, exclude=None) -> Response:
        # A claim searched with its own text finds itself first: ask for one more, then drop it.
        wanted = limit + 1 if exclude is not None else limit
        try:
            results = search.search_claims(text=text, limit=wanted, min_score=min_score, claims=self.get_queryset())
        except search.SearchUnavailable as error:
            raise SearchUnavailable(str(error), code=error.code) from None
        results = [hit for hit in results if hit["claim"] != exclude][:limit]
        context = self.get_serializer_context()
        return Response(ClaimSearchOutputSerializer({"count": len(results), "results": results}, context=context).data)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def claimreview(self, request, pk=None):
        claim = self.get_object()
        url = request.build_absolute_uri(f"/api/v1/claims/{claim.pk}/")
        return Response(claim_review_document(claim=claim, url=url), content_type="application/ld+json")


class EvidenceViewSet(viewsets.ReadOnlyModelViewSet):
    """What the pipeline found; editors accept or reject it."""

    serializer_class = EvidenceOutputSerializer
    filterset_class = EvidenceFilter
    ordering_fields = ["created_at", "confidence", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.evidence_list()

    def filter_queryset(self, queryset):
        # As for claims: the list's filters select rows to list; a row named by its id (to read,
        # review, reopen or see its history) is found whatever the query string says.
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(
        operation_id="v1_evidence_review_many",
        request=EvidenceReviewManyInputSerializer,
        responses={200: EvidenceOutputSerializer(many=True)},
    )
    @action(detail=False, methods=["post"], url_path="review", url_name="review-many")
    def review_many(self, request):
        """Accept or reject several pending rows at once: all of them, or none (409 naming those
        already reviewed, 400 naming unknown ids)."""
        data = EvidenceReviewManyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = services.evidence_review_many(
            evidence_ids=data.validated_data["evidence"],
            decision=data.validated_data["decision"],
            note=data.validated_data["note"],
            reviewed_by=request.user,
        )
        reviewed = selectors.evidence_list().filter(pk__in=[row.pk for row in rows]).order_by("pk")
        return Response(EvidenceOutputSerializer(reviewed, many=True).data)

    @extend_schema(request=EvidenceReviewInputSerializer, responses={200: EvidenceOutputSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        evidence = self.get_object()
        data = EvidenceReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = services.evidence_review(
            evidence=evidence,
            decision=data.validated_data["decision"],
            note=data.validated_data["note"],
            reviewed_by=request.user,
        )
        return Response(EvidenceOutputSerializer(selectors.evidence_list().get(pk=evidence.pk)).data)

    @extend_schema(request=EvidenceReopenInputSerializer, responses={200: EvidenceOutputSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Take back an accept or reject (with the row's copies): pending again, the decision kept
        in its review history (409 if it is pending)."""
        evidence = self.get_object()
        data = EvidenceReopenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.evidence_reopen(evidence=evidence, reopened_by=request.user, note=data.validated_data["note"])
        return Response(EvidenceOutputSerializer(selectors.evidence_list().get(pk=evidence.pk)).data)

    @extend_schema(responses={200: EvidenceReviewRecordSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def reviews(self, request, pk=None):
        """Every decision on the row, oldest first: accepted, rejected, reopened; who, when, why."""
        evidence = self.get_object()
        history = evidence.reviews.select_related("reviewed_by")
        return Response(EvidenceReviewRecordSerializer(history, many=True).data)
