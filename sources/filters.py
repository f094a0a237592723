"""Query-string filters of the sources API."""

import django_filters

from factcheck.api.filters import DateTimeFilter, FilterSet

from .choices import ArticleState
from .models import Article


class ArticleFilter(FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ArticleState.choices)
    published_after = DateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = DateTimeFilter(field_name="published_at", lookup_expr="lte")
    # Ids start at 1. django-filter caps only the top (1e50), so without a floor -1e5000 reached psycopg and crashed.
    claim = django_filters.NumberFilter(
        field_name="evidence__claim", distinct=True, min_value=1, help_text="Articles with evidence for this claim"
    )

    class Meta:
        model = Article
        fields = ["outlet", "language", "state", "feed", "origin"]
