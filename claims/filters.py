"""Query-string filters of the claims API."""

from __future__ import annotations

import django_filters

from factcheck.api.filters import BooleanFilter, FilterSet
from factnlp.text import normalize_for_search

from .choices import ClaimKind, ClaimStatus, ReviewState, Stance
from .models import Claim, Evidence
from .services import claimant_name_key


class ClaimFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ClaimStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=ClaimKind.choices)
    language = django_filters.CharFilter()
    claimant = django_filters.CharFilter(method="filter_claimant", help_text="Claimant id or name")
    tag = django_filters.CharFilter(field_name="tags__name", help_text="Tag name")
    q = django_filters.CharFilter(
        method="filter_text", help_text="Text search, insensitive to case, Arabic diacritics and alef/hamza forms"
    )
    made_after = django_filters.DateFilter(field_name="made_on", lookup_expr="gte")
    made_before = django_filters.DateFilter(field_name="made_on", lookup_expr="lte")
    follow_up_before = django_filters.DateFilter(field_name="follow_up_date", lookup_expr="lte")
    has_pending_evidence = BooleanFilter()

    class Meta:
        model = Claim
        fields = ["status", "kind", "language", "claimant", "tag", "q"]

    def filter_claimant(self, queryset, name, value):
        # isdecimal(), not isdigit(): int() refuses digits such as "²" and "①". A bigint id has at
        # most 19 digits and int() refuses over 4,300, so longer numbers are searched as names too.
        if value.isdecimal() and len(value) <= 19:
            return queryset.filter(claimant_id=int(value))
        return queryset.filter(claimant__name_normalized__contains=claimant_name_key(value))

    def filter_text(self, queryset, name, value):
        needle = normalize_for_search(value).strip()
        if not needle:
            return queryset
        words = needle.split()
        for word in words:
            queryset = queryset.filter(text_normalized__contains=word)
        return queryset


class EvidenceFilter(FilterSet):
    review_state = django_filters.MultipleChoiceFilter(choices=ReviewState.choices)
    stance = django_filters.MultipleChoiceFilter(choices=Stance.choices)
    min_confidence = django_filters.NumberFilter(field_name="confidence", lookup_expr="gte")
    is_copy = BooleanFilter(
        field_name="copy_of", lookup_expr="isnull", exclude=True, label="Copies of an earlier row (true) or not (false)"
    )

    class Meta:
        model = Evidence
        fields = ["claim", "article", "review_state", "stance", "high_confidence"]
