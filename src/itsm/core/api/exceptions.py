"""Map service-layer errors to HTTP answers with clear messages (never a 500)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

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
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
