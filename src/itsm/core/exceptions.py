"""Errors the service layer raises; the UI shows their message, the API maps them."""

from __future__ import annotations

from django.core.exceptions import ValidationError


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


__all__ = ["ConflictError", "RetentionError", "UploadTooLarge", "ValidationError",
           "WorkflowError"]
