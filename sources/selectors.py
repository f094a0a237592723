"""Reads on sources."""

from django.db.models import QuerySet

from .models import Article, Feed, Outlet


def article_list() -> QuerySet[Article]:
    # Sentence vectors are for the pipeline; never load them for the API.
    return Article.objects.select_related("outlet").defer("sentence_vectors", "sentences")


def outlet_list() -> QuerySet[Outlet]:
    return Outlet.objects.all()


def feed_list() -> QuerySet[Feed]:
    return Feed.objects.select_related("outlet")
