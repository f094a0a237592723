"""Filter pieces shared by the apps' query-string filter sets."""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters
from django.core.exceptions import ValidationError

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
