"""Request parsers that refuse text the database and the JSON renderer cannot hold.

PostgreSQL text columns refuse NUL characters, and a lone UTF-16 surrogate (which a JSON
``"\\ud800"`` escape decodes to) can be neither stored nor rendered back: a field that
echoes an invalid value in its error message then fails in the renderer. DRF's ``CharField``
checks NUL only on the fields it declares, so the check runs once here, on every string of
the body, keys included, and names where each bad one is.
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _printable(text: str) -> str:
    """The text with surrogates escaped, so that an error message naming it can be rendered."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _problem(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Text must not contain NUL characters."
    return "Text must not contain unpaired surrogate characters (U+D800 to U+DFFF)."


def unstorable_text(data) -> dict[str, list[str]]:
    """Where ``data`` (parsed JSON, or a form's fields) holds unstorable strings: path -> problems.

    Walks without recursion: a body nested a few hundred levels deep is valid JSON.
    """
    problems: dict[str, list[str]] = {}
    pending = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            problem = _problem(value)
            if problem:
                problems.setdefault(_printable(path) or "non_field_errors", []).append(problem)
        elif isinstance(value, dict):
            for key, item in value.items():
                key = str(key)
                child = f"{path}.{key}" if path else key
                problem = _problem(key)
                if problem:
                    problems.setdefault(_printable(child), []).append(f"Field name: {problem}")
                pending.append((child, item))
        elif isinstance(value, list | tuple):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return problems


def _refuse_unstorable(data) -> None:
    problems = unstorable_text(data)
    if problems:
        raise ValidationError(problems)


def _form_fields(query_dict) -> dict:
    """A form's fields, a field sent once as its value (so errors name ``note``, not ``note[0]``)."""
    return {key: values[0] if len(values) == 1 else values for key, values in query_dict.lists()}


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        _refuse_unstorable(data)
        return data


class StrictFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_unstorable(_form_fields(data))
        return data


class StrictMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_unstorable(_form_fields(parsed.data))
        return parsed
