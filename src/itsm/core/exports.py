"""CSV/XLSX exports of lists, and visibility of record children."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from . import access, audit
from . import rules as perms
from .choices import AuditAction
from .models import Attachment, display_name

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


#: First characters that make a spreadsheet cell a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """Text safe for a CSV/XLSX cell: control characters (from mail or API clients) are
    not allowed in XLSX cells, and text a spreadsheet would run as a formula
    (=HYPERLINK(…), +cmd|…, @SUM …) is kept as text with a leading apostrophe (OWASP
    "CSV injection")."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class PersonField(fields.Field):
    def get_value(self, obj):
        return display_name(super().get_value(obj))


class RecordResource(resources.ModelResource):
    """Export columns every record type shares; subclasses add their own."""

    organization = fields.Field(attribute="organization__name", column_name=_("organization"))
    status = fields.Field(attribute="status_label", column_name=_("status"))
    priority = fields.Field(attribute="get_priority_display", column_name=_("priority"))
    requester = PersonField(attribute="requester", column_name=_("requester"))
    assignee = PersonField(attribute="assignee", column_name=_("assignee"))
    assignee_team = fields.Field(attribute="assignee_team__name", column_name=_("team"))

    base_fields_order = ("number", "title", "organization", "status", "priority", "requester",
                         "assignee", "assignee_team", "created_at", "updated_at")

    def get_export_headers(self, *args, **kwargs) -> list[str]:
        headers = []
        for field in self.get_export_fields(*args, **kwargs):
            model_field = None
            try:
                model_field = self._meta.model._meta.get_field(field.attribute or "")
            except Exception:  # not a model field: keep the column name
                model_field = None
            label = field.column_name
            if model_field is not None and label == field.attribute:
                label = model_field.verbose_name
            headers.append(str(label))
        return headers

    def export_field(self, field, instance, **kwargs):
        value = field.get_value(instance)
        if hasattr(value, "tzinfo") and value is not None and timezone.is_aware(value):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if value is None:
            return ""
        if isinstance(value, str):
            return spreadsheet_text(value)
        return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def export_response(resource_class, queryset, file_format: str, *, actor) -> HttpResponse:
    """Render ``queryset`` with ``resource_class``; the export itself is audited."""
    if file_format not in FORMATS:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({"file_format": [_("Choose csv or xlsx.")]})
    dataset = resource_class().export(queryset=queryset)
    content = dataset.export(file_format)
    if file_format == "csv":
        content = "\ufeff" + content  # Excel needs the BOM to read UTF-8 Chinese text
    model = queryset.model
    audit.log_event(
        action=AuditAction.READ, object_type=model._meta.label_lower, object_id="export",
        object_repr=f"{file_format} export, {len(dataset)} rows", actor=actor,
        changes={"rows": len(dataset)},
        organization_id=getattr(access.organization_of(actor), "pk", None),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type=FORMATS[file_format])
    response["Content-Disposition"] = (
        f'attachment; filename="{model._meta.model_name}-{stamp}.{file_format}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def attachment_visible(attachment: Attachment, user) -> bool:
    """An attachment is visible exactly when its record is (internal ones to staff only)."""
    record = attachment.record
    if record is None or not perms.can_view_record(user, record):
        return False
    return not attachment.internal or access.is_provider_staff(user)
