"""Filter pieces shared by the apps' query-string filter sets."""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend

# Python accepts UTC offsets up to 24 hours, to the microsecond; PostgreSQL refuses 16 hours
# and more, and fractions of a second, with a DataError.
_UTC_OFFSET_LIMIT = timedelta(hours=16)


def validate_storable_utc_offset(value: datetime) -> None:
    offset = value.utcoffset()
    if offset is not None and (abs(offset) >= _UTC_OFFSET_LIMIT or offset.microseconds):
        raise ValidationError("Enter a UTC offset between -15:59 and +15:59.", code="utc_offset")


class _StorableUtcOffsetMixin:
    def __init__(self, *args, **kwargs):
        kwargs["validators"] = [*kwargs.get("validators", []), validate_storable_utc_offset]
        super().__init__(*args, **kwargs)


class DateTimeFilter(_StorableUtcOffsetMixin, django_filters.DateTimeFilter):
    """django-filter's DateTimeFilter, refusing UTC offsets the database cannot store."""


class IsoDateTimeFilter(_StorableUtcOffsetMixin, django_filters.IsoDateTimeFilter):
    """django-filter's IsoDateTimeFilter, refusing UTC offsets the database cannot store."""


class _StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no, any case); anything else is an error, not "no filter".

    django-filter's own boolean filters read an unknown word, "1" included, as absent, so
    ``?is_active=1`` silently answered with every row.
    """

    _WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        try:
            return self._WORDS[str(value).strip().lower()]
        except KeyError:
            raise ValidationError("Enter true or false.", code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField


class FilterSet(django_filters.FilterSet):
    """The project's filter sets: model boolean fields get :class:`BooleanFilter`, and a filter
    that takes one value refuses to be given two (django-filter would use the last one, so
    ``?is_copy=true&is_copy=false`` read as false; which one a client or proxy puts last is chance)."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if not hasattr(self.data, "getlist"):
            return valid
        for name, declared in self.filters.items():
            repeated = len(self.data.getlist(name)) > 1
            if repeated and not isinstance(declared, django_filters.MultipleChoiceFilter):
                if name not in self.form.errors:  # is_valid may be asked more than once
                    self.form.add_error(name, ValidationError("Give this parameter once.", code="repeated"))
                valid = False
        return valid


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend whose filter sets built from ``filterset_fields`` are :class:`FilterSet`."""

    filterset_base = FilterSet
