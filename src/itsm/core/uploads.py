"""Safe handling of attachment uploads and downloads."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpRequest

from . import audit
from .exceptions import UploadTooLarge
from .models import Attachment
from .services import ACTIVE_CONTENT_TYPES, check_upload_size

#: Room for multipart boundaries and other form fields around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def check_request_size(request: HttpRequest) -> None:
    """Refuse an oversized upload from its Content-Length, before reading the body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
        check_upload_size(length - MULTIPART_OVERHEAD)


def attachment_response(attachment: Attachment, user) -> FileResponse:
    """Always a download (never rendered inline), with sniffing and scripts disabled."""
    audit.log_read(attachment, user, attachment.original_name)
    content_type = attachment.mime_type
    if content_type in ACTIVE_CONTENT_TYPES or not content_type:
        content_type = "application/octet-stream"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


__all__ = ["UploadTooLarge", "attachment_response", "check_request_size"]
