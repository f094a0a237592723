"""Serializer pieces every app's API uses."""

from __future__ import annotations

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a misspelt field is an error, not silently dropped."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class LanguageField(serializers.RegexField):
    """An ISO 639-1/639-3 code such as 'ar' or 'en'."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 12)
        super().__init__(
            r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
            error_messages={"invalid": "Use an ISO 639 code such as 'ar' or 'en'."},
            **kwargs,
        )
