"""Outlets, articles and feeds endpoints."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from .. import selectors, services
from ..choices import ArticleOrigin
from ..filters import ArticleFilter
from .serializers import ArticleInputSerializer, ArticleOutputSerializer, FeedSerializer, OutletSerializer


class OutletViewSet(viewsets.ModelViewSet):
    """News outlets articles are attached to (by id, or by domain for fetched pages)."""

    serializer_class = OutletSerializer
    filterset_fields = ["language", "country", "domain"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return selectors.outlet_list()


class ArticleViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Articles in: by body, or by URL for the worker to fetch. Each is stored once."""

    serializer_class = ArticleOutputSerializer
    filterset_class = ArticleFilter
    ordering_fields = ["created_at", "published_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.article_list()

    @extend_schema(
        request=ArticleInputSerializer,
        responses={201: ArticleOutputSerializer, 200: ArticleOutputSerializer},
        description="201 with the queued article; 200 with the existing row when the same article was already submitted.",
    )
    def create(self, request):
        data = ArticleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article, created = services.article_submit(
            origin=ArticleOrigin.API, created_by=request.user, **data.validated_data
        )
        return Response(
            ArticleOutputSerializer(article).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class FeedViewSet(viewsets.ModelViewSet):
    """RSS/Atom feeds polled on their own interval."""

    serializer_class = FeedSerializer
    filterset_fields = ["outlet", "is_active"]
    ordering = ["id"]

    def get_queryset(self):
        return selectors.feed_list()

    def perform_create(self, serializer):
        serializer.instance = services.feed_register(created_by=self.request.user, **serializer.validated_data)
