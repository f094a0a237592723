"""Top-level routes: the admin (editors' desk), the versioned API and its docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from claims.alerts.feeds import ClaimFeed, ClaimsFeed
from claims.api.alert_views import AlertViewSet, DeliveryViewSet, DueClaimListView, SubscriptionViewSet, WebhookViewSet
from claims.api.views import ClaimViewSet, EvidenceViewSet
from factcheck.api.status import StatusView
from sources.api.views import ArticleViewSet, FeedViewSet, OutletViewSet

# No format-suffix routes (claims.json): the API speaks JSON (?format=api for the browsable
# view), and suffix routes pass a `format` argument that the viewsets' actions do not take.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("claims", ClaimViewSet, basename="claim")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("outlets", OutletViewSet, basename="outlet")
router.register("articles", ArticleViewSet, basename="article")
router.register("feeds", FeedViewSet, basename="feed")
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("alerts", AlertViewSet, basename="alert")
router.register("deliveries", DeliveryViewSet, basename="delivery")

api_v1 = [
    # DRF's token view names its own parsers; the project's refuse what cannot be stored or decoded.
    path("auth/token/", ObtainAuthToken.as_view(parser_classes=api_settings.DEFAULT_PARSER_CLASSES), name="api-token"),
    path("status/", StatusView.as_view(), name="status"),
    *router.urls,
]
# Before the router's claims/<pk>/ route, which would otherwise take "due" for an id.
api_v1.insert(0, path("claims/due/", DueClaimListView.as_view(), name="claim-due"))

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api-auth/", include("rest_framework.urls")),
]
urlpatterns += [
    path("feeds/claims.atom", ClaimsFeed(), name="feed-claims"),
    path("feeds/claims/<int:claim_id>.atom", ClaimFeed(), name="feed-claim"),
]

handler400 = "factcheck.api.exceptions.bad_request"
handler404 = "factcheck.api.exceptions.not_found"
handler500 = "factcheck.api.exceptions.server_error"
