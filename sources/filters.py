"""Query-string filters of the sources API."""

import django_filters

from .choices import ArticleState
from .models import Article


class ArticleFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ArticleState.choices)
    published_after = django_filters.DateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = django_filters.DateTimeFilter(field_name="published_at", lookup_expr="lte")
    claim = django_filters.NumberFilter(
        field_name="evidence__claim", distinct=True, help_text="Articles with evidence for this claim"
    )

    class Meta:
        model = Article
        fields = ["outlet", "language", "state", "feed", "origin"]
