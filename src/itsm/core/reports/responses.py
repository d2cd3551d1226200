"""The answers every report route gives, on a page or in the API: which report a reader
may see (403 for the provider's staff the report is not for, 404 for anyone else), and
the files as downloads, each read audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from .. import access, audit
from ..choices import AuditAction
from ..models import ArchivedReport
from .registry import Report
from .registry import report as registered
from .rendering import CONTENT_TYPES, ReportFile


def visible_report(user, key: str) -> Report:
    """The report ``key`` if ``user`` may see it: else 403 for the provider's staff (they
    know the report exists), 404 for anyone else."""
    try:
        found = registered(key)
    except KeyError:
        raise Http404 from None
    if not found.visible(user):
        if access.is_provider_staff(user):
            raise PermissionDenied(_("You may not see this report."))
        raise Http404
    return found


def provider_of(user):
    """The provider whose name heads a report ``user`` asks for."""
    organization = access.organization_of(user)
    if organization is None or organization.provider_id is None:
        return organization
    return organization.provider


def download_response(produced: ReportFile, user, report: Report, query: dict) -> HttpResponse:
    """The file as a download, the read audited (who took which report)."""
    audit.log_event(
        action=AuditAction.READ, object_type="core.report", object_id=report.key,
        object_repr=f"{produced.file_name}"[:255], actor=user,
        changes={"query": query, "format": produced.file_name.rpartition(".")[2]},
        organization_id=getattr(access.organization_of(user), "pk", None))
    response = HttpResponse(produced.content, content_type=produced.content_type)
    response["Content-Disposition"] = content_disposition_header(True, produced.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def query_of(form) -> dict[str, Any]:
    """The parameters the form was given, as query-string values."""
    return {name: form[name].data for name in form.fields
            if form[name].data not in (None, "", [])}


def archived_file_response(archived: ArchivedReport, user) -> FileResponse:
    """The archived file as a download, the read audited."""
    audit.log(action=AuditAction.READ, instance=archived, actor=user,
              changes={"read": archived.file_name}, organization_id=archived.provider_id)
    response = FileResponse(archived.file.open("rb"), as_attachment=True,
                            filename=archived.file_name,
                            content_type=CONTENT_TYPES.get(archived.format,
                                                           "application/octet-stream"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
