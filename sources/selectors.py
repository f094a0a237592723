"""Reads on sources."""

from django.db.models import Count, Min, Q, QuerySet

from .choices import ArticleState
from .models import Article, Feed, Outlet


def article_list() -> QuerySet[Article]:
    # Sentence vectors are for the pipeline; never load them for the API.
    return Article.objects.select_related("outlet").defer("sentence_vectors", "sentences")


def outlet_list() -> QuerySet[Outlet]:
    return Outlet.objects.all()


def feed_list() -> QuerySet[Feed]:
    return Feed.objects.select_related("outlet")


def pipeline_counts(*, now) -> dict:
    """Articles by state, how long the oldest waiting one has waited, and feeds failing to poll.

    A growing wait is the sign that no worker is taking articles (the sweep re-queues
    articles a crashed worker left, but cannot process them itself).
    """
    by_state = dict(Article.objects.values_list("state").annotate(count=Count("id")).order_by())
    oldest = Article.objects.filter(state__in=[ArticleState.QUEUED, ArticleState.PROCESSING]).aggregate(
        oldest=Min("state_changed_at")
    )["oldest"]
    feeds = Feed.objects.filter(is_active=True).aggregate(
        active=Count("id"), failing=Count("id", filter=Q(consecutive_failures__gt=0))
    )
    return {
        "articles": {state: by_state.get(state, 0) for state in ArticleState.values},
        "oldest_waiting_since": oldest,
        "oldest_waiting_seconds": None if oldest is None else round((now - oldest).total_seconds(), 1),
        "feeds": feeds,
    }
