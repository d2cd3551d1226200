"""Map service-layer errors to HTTP answers with clear messages (never a 500)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .. import limits
from ..exceptions import (
    DATABASE_UNAVAILABLE,
    UploadTooLarge,
    WorkflowError,
    service_unavailable,
)

logger = logging.getLogger(__name__)


def validation_detail(error: DjangoValidationError) -> dict | list:
    if hasattr(error, "error_dict"):
        return {
            (field if field != "__all__" else "non_field_errors"): [str(m) for m in msgs]
            for field, msgs in error.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in error.messages]}


def too_large_detail(request) -> str:
    """What Django's own limit (``DATA_UPLOAD_MAX_MEMORY_SIZE``) refused, in words: the
    form fields of a multipart upload, or a body that announced no length."""
    if (getattr(request, "content_type", "") or "").startswith("multipart/"):
        return _("The form fields of this upload are larger than %(limit)s (files do not "
                 "count).") % {"limit": limits.size_text(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
    return limits.body_too_large_message()


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, WorkflowError):
        return Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
    if isinstance(exc, UploadTooLarge):
        return Response({"detail": exc.message, "code": "too_large"},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        # The database is down or restarting: a clean 503 the client may retry, with
        # the driver's message in the log only (one line: an outage repeats it often).
        request = context.get("request")
        logger.error("Database unavailable (%s %s): %s: %s", getattr(request, "method", ""),
                     getattr(request, "path", ""), type(exc).__name__,
                     " ".join(str(exc).split())[:500])
        return service_unavailable(request)
    if isinstance(exc, SuspiciousOperation):
        # Django would log it so and answer with its HTML "Bad Request (400)" page.
        logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        if isinstance(exc, RequestDataTooBig):
            return Response({"detail": too_large_detail(context.get("request")),
                             "code": "too_large"},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        # Too many form fields or files …
        return Response({"detail": _("The request is malformed."), "code": "bad_request"},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
