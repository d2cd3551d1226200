"""Serving a version's content: downloads and the in-browser preview, both behind the
document's visibility (the callers look the version up through ``visible_to``), both
logged. The stored SHA-256 is checked on every read: an altered file is refused and the
refusal recorded (access log and audit log).

The preview shows PDFs and images inline (their content must match their type: a file
named ``.png`` that is not a PNG downloads); everything else is a download. Every
answer disables sniffing and scripts (``X-Content-Type-Options``, a sandboxing
``Content-Security-Policy``) and is never cached; only a preview may be framed, by our
own pages (the document page embeds it).
"""

from __future__ import annotations

import hashlib

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from itsm.core import audit
from itsm.core.choices import AuditAction
from itsm.core.services import ACTIVE_CONTENT_TYPES

from .choices import AccessAction
from .models import DocumentVersion
from .services import log_access, log_refused

#: How the content of a previewable type starts.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
#: A download: no script, no plugin, nothing loaded, never framed.
DOWNLOAD_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
#: A preview: the file alone, in a frame of our own pages, sandboxed (no script).
PREVIEW_POLICY = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                  "object-src 'self'; frame-ancestors 'self'; sandbox")


def stored_digest(version: DocumentVersion) -> str:
    """The SHA-256 of the version's content as stored now."""
    digest = hashlib.sha256()
    if version.has_file:
        with version.file.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1024 * 1024), b""):
                digest.update(chunk)
    else:
        digest.update(version.text.encode())
    return digest.hexdigest()


def looks_like(version: DocumentVersion) -> bool:
    """Whether the file's first bytes are those of its (previewable) type."""
    signatures = SIGNATURES.get(version.mime_type)
    if not signatures:
        return False
    with version.file.open("rb") as stream:
        head = stream.read(16)
    if version.mime_type == "image/webp" and head[8:12] != b"WEBP":
        return False
    return head.startswith(signatures)


def refused(version: DocumentVersion, request: HttpRequest) -> HttpResponse:
    log_refused(version.document, version, user=request.user, request=request)
    response = HttpResponse(_("The stored file of %(version)s no longer matches its "
                              "checksum: it was altered and is not served. The refusal "
                              "is recorded.") % {"version": version},
                            status=409, content_type="text/plain; charset=utf-8")
    response["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response


def version_response(version: DocumentVersion, request: HttpRequest, *, preview: bool
                     ) -> HttpResponse:
    """The version's content for ``request.user``: inline when ``preview`` asks for it
    and the file may be shown, else a download; logged either way."""
    try:
        intact = stored_digest(version) == version.sha256
    except OSError:
        intact = False
    if not intact:
        return refused(version, request)
    inline = preview and (not version.has_file or (version.previewable and looks_like(version)))
    document = version.document
    log_access(document, user=request.user, version=version, request=request,
               action=AccessAction.PREVIEW if inline else AccessAction.DOWNLOAD)
    if not inline:
        audit.log(action=AuditAction.READ, instance=version, actor=request.user,
                  organization_id=document.organization_id,
                  changes={"read": version.original_name or f"v{version.label}"})
    if version.has_file:
        content_type = version.mime_type
        if content_type in ACTIVE_CONTENT_TYPES or not content_type:
            content_type = "application/octet-stream"
        response: HttpResponse = FileResponse(
            version.file.open("rb"), as_attachment=not inline,
            filename=version.original_name, content_type=content_type)
    else:
        response = HttpResponse(version.text, content_type="text/plain; charset=utf-8")
        if not inline:
            name = f"{document.number}-v{version.label}.txt"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = PREVIEW_POLICY if inline else DOWNLOAD_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN" if inline else "DENY"
    response["Cache-Control"] = "private, no-store"
    return response
