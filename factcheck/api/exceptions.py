"""One exception handler: every API error is JSON with a stable shape.

Validation errors keep DRF's ``{"field": ["problem"]}`` body, so clients can
point at each field; everything else is ``{"detail": "...", "code": "..."}``.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback


class DomainError(Exception):
    """A business rule refused the request; views answer with its status."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(
        self, message: str, *, field: str | None = None, status_code: int | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": "Request body is larger than the server accepts.", "code": "request_too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    # A refused request must leave nothing behind: with ATOMIC_REQUESTS, DRF rolls back the
    # request's transaction for its own exceptions only, so these two do it themselves.
    if isinstance(exc, DomainError):
        set_rollback()
        body = {exc.field: [exc.message]} if exc.field else {"detail": exc.message, "code": exc.code}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", None) or "error"
    return response


def _api_or_default(default_view, *, status_code: int, detail: str, code: str):
    """Django's own error page for the site, a JSON body for API paths (which DRF never saw:
    an unmatched URL, or a request Django refused before any view ran)."""

    def view(request, exception=None):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail, "code": code}, status=status_code)
        # Django calls its 500 view without the exception.
        return default_view(request) if status_code >= 500 else default_view(request, exception)

    return view


bad_request = _api_or_default(
    defaults.bad_request,
    status_code=status.HTTP_400_BAD_REQUEST,
    detail="The request could not be read (for example: too many form fields, or a bad Host header).",
    code="bad_request",
)
not_found = _api_or_default(
    defaults.page_not_found, status_code=status.HTTP_404_NOT_FOUND, detail="Not found.", code="not_found"
)
server_error = _api_or_default(
    defaults.server_error,
    status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    detail="Something went wrong on our side; it has been logged.",
    code="server_error",
)
