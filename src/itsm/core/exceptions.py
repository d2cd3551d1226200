"""Errors the service layer raises; the UI shows their message, the API maps them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

#: Database errors that mean "not available right now" (the server is down or
#: restarting, the connection was lost, a lock could not be had): the API and the web
#: answer 503 with ``Retry-After`` instead of a 500, and clients may simply try again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
#: Seconds a client is asked to wait before retrying after a 503.
RETRY_AFTER_SECONDS = 5


def service_unavailable(request) -> HttpResponse:
    """The answer while the database is unavailable: 503 with ``Retry-After``, JSON
    ``{"detail": …, "code": "unavailable"}`` under /api/, else a plain page (rendered
    without context processors: they would query the database that is down)."""
    message = _("The service is temporarily unavailable. Please try again in a moment.")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": message, "code": "unavailable"}, status=503,
            json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(loader.render_to_string("503.html", {"message": message}),
                                status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class WorkflowError(Exception):
    """The requested transition is not allowed from the record's current status (409)."""

    status_code = 409

    def __init__(self, message: str, code: str = "illegal_transition") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ConflictError(WorkflowError):
    """Someone else changed the record since it was read (optimistic locking, 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="version_conflict")


class RetentionError(WorkflowError):
    """Deleting a record inside its retention period (GEN-7), from any interface (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="retention")


class UploadTooLarge(Exception):
    """An attachment larger than the configured limit (413)."""

    status_code = 413

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequestBodyTooLarge(UploadTooLarge):
    """A request body larger than the API reads (413, ``core.limits``)."""


__all__ = ["DATABASE_UNAVAILABLE", "RETRY_AFTER_SECONDS", "ConflictError",
           "RequestBodyTooLarge", "RetentionError", "UploadTooLarge", "ValidationError",
           "WorkflowError", "service_unavailable"]
