"""CSV/XLSX exports of lists, and visibility of record children.

An export is a table of typed cells. A resource (django-import-export) declares the
columns, whose headings the import reads back (``core.imports``); ``RecordResource``
turns each value into what a spreadsheet reader expects: dates and times as date cells,
local to the reader and without a time zone (Excel has none); numbers as numbers;
choices and yes/no in the reader's language; text through ``spreadsheet_text``. The
XLSX sheet is named after the list, its columns are as wide as their text (a Chinese
character takes two places) and its heading row stays in view. CSV gets the same cells
as text. Rows are read in chunks: related rows by ``select_related``, anything else a
resource needs (a ticket's SLA clocks) with one query per chunk in ``prepare_rows``.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

import tablib
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from rest_framework.exceptions import ValidationError

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
#: Number formats of date and time cells (what the list pages show).
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
#: Characters Excel refuses in a sheet's name, and the longest name it takes.
SHEET_TITLE_FORBIDDEN = str.maketrans("", "", "[]:*?/\\")
SHEET_TITLE_MAX = 31
#: Column widths in characters (a CJK character counts two): headings and short codes
#: stay readable, long descriptions do not make a column wider than a screen.
MIN_COLUMN_WIDTH = 6
MAX_COLUMN_WIDTH = 60
#: Records read (and prepared by the resource) at a time.
CHUNK_SIZE = 2000
BOLD = Font(bold=True)


def spreadsheet_text(value: str) -> str:
    """Text safe for a CSV/XLSX cell: control characters (from mail or API clients) are
    not allowed in XLSX cells, and text a spreadsheet would run as a formula
    (=HYPERLINK(…), +cmd|…, @SUM …) is kept as text with a leading apostrophe (OWASP
    "CSV injection")."""
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_value(value: Any) -> Any:
    """A Python value as a typed spreadsheet cell: local naive date/time, number, yes/no
    in the active language, or safe text (None stays empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, dt.date | int | float | Decimal):
        return value
    return spreadsheet_text(str(value))


def cell_text(value: Any) -> str:
    """A typed cell (``cell_value``) as CSV text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass
class ExportTable:
    """What an export writes: a title (the sheet's name), headings and typed rows."""

    title: str
    headers: list[str]
    rows: list[list[Any]]


def display_width(text: str) -> int:
    """Columns ``text`` takes in a spreadsheet: wide and full-width characters (Chinese,
    full-width punctuation) two, others one; the longest line of several."""
    if text.isascii() and "\n" not in text:
        return len(text)
    return max((sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)
                for line in text.splitlines()), default=0)


def _cell_width(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return 16                                       # yyyy-mm-dd hh:mm
    if isinstance(value, dt.date):
        return 10
    return display_width(cell_text(value))


def column_widths(table: ExportTable) -> list[int]:
    """The width of each column: its widest heading or cell plus a margin, between the
    limits (a column at the limit is not measured any further)."""
    widths = [display_width(header) for header in table.headers]
    for row in table.rows:
        for index, value in enumerate(row):
            if widths[index] < MAX_COLUMN_WIDTH:
                widths[index] = max(widths[index], _cell_width(value))
    return [max(MIN_COLUMN_WIDTH, min(MAX_COLUMN_WIDTH, width + 2)) for width in widths]


def sheet_title(title: str) -> str:
    """A valid sheet name: the characters Excel refuses removed, at most 31 long, not
    wrapped in apostrophes."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(title)).translate(SHEET_TITLE_FORBIDDEN)
    text = text.strip().strip("'")[:SHEET_TITLE_MAX].strip().strip("'")
    return text or "Sheet1"


def xlsx_content(table: ExportTable) -> bytes:
    """The table as an XLSX workbook of one sheet (streamed: large lists stay fast)."""
    return xlsx_workbook([table])


def xlsx_workbook(tables: Sequence[ExportTable]) -> bytes:
    """An XLSX workbook of one sheet per table: headings bold and kept in view, columns
    as wide as their contents, text guarded against formulas, times as date cells."""
    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(sheet_title(table.title))
        for index, width in enumerate(column_widths(table), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for name in table.headers:
            cell = WriteOnlyCell(sheet, value=spreadsheet_text(str(name)))
            cell.font = BOLD
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, value: Any) -> Any:
    """A typed cell (``cell_value``); dates and times with their number format."""
    value = cell_value(value)
    if isinstance(value, dt.datetime | dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, dt.datetime) else DATE_FORMAT
        return cell
    return value


def csv_content(table: ExportTable) -> str:
    """The table as CSV text, with the byte-order mark Excel needs to read UTF-8."""
    dataset = tablib.Dataset(headers=table.headers)
    for row in table.rows:
        dataset.append([cell_text(value) for value in row])
    return "\ufeff" + dataset.export("csv")


class PersonField(fields.Field):
    def get_value(self, obj):
        return display_name(super().get_value(obj))


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(items, size)):
        yield chunk


class RecordResource(resources.ModelResource):
    """Export columns every record type shares; subclasses add their own.

    Headings are lazy (the reader's language, and every language for the import);
    a column of a model field with choices shows the choice's label.
    """

    organization = fields.Field(attribute="organization__name",
                                column_name=gettext_lazy("organization"))
    status = fields.Field(attribute="status_label", column_name=gettext_lazy("status"))
    priority = fields.Field(attribute="get_priority_display",
                            column_name=gettext_lazy("priority"))
    requester = PersonField(attribute="requester", column_name=gettext_lazy("requester"))
    assignee = PersonField(attribute="assignee", column_name=gettext_lazy("assignee"))
    assignee_team = fields.Field(attribute="assignee_team__name",
                                 column_name=gettext_lazy("team"))

    base_fields_order = ("number", "title", "organization", "status", "priority", "requester",
                         "assignee", "assignee_team", "created_at", "updated_at")

    def model_field(self, field: fields.Field) -> models.Field | None:
        """The model field a column shows directly (None: a path, a method, computed)."""
        try:
            return self._meta.model._meta.get_field(field.attribute or "")
        except FieldDoesNotExist:
            return None

    def get_export_headers(self, *args, **kwargs) -> list[str]:
        headers = []
        for field in self.get_export_fields(*args, **kwargs):
            model_field = self.model_field(field)
            label = field.column_name
            if model_field is not None and label == field.attribute:
                label = model_field.verbose_name
            headers.append(str(label))
        return headers

    def related_paths(self) -> list[str]:
        """The relations the columns read, for ``select_related``: no query per row."""
        paths = set()
        for field in self.get_export_fields():
            attribute = field.attribute or ""
            if "__" in attribute:
                paths.add(attribute.rsplit("__", 1)[0])
            elif isinstance(self.model_field(field), models.ForeignKey):
                paths.add(attribute)
        return sorted(paths)

    def prepare_rows(self, records: list[models.Model]) -> None:
        """Load what the columns need beyond the row, for a chunk of records at once."""

    def choice_labels(self, field: fields.Field) -> dict[Any, Any] | None:
        """Value → label of the column's choices (None: a column without choices)."""
        model_field = self.model_field(field)
        if model_field is None or not model_field.choices:
            return None
        return dict(model_field.flatchoices)

    def export_field(self, field, instance, **kwargs) -> Any:
        """The typed cell of one column: ``labels`` (its choices) when the caller has
        them at hand, else looked up."""
        labels = kwargs["labels"] if "labels" in kwargs else self.choice_labels(field)
        value = field.get_value(instance)
        if labels is not None and value is not None:
            value = labels.get(value, value)
        return cell_value(value)

    def export_table(self, queryset: models.QuerySet, title: str) -> ExportTable:
        """The typed rows of ``queryset`` under the headings of the columns."""
        columns = [(field, self.choice_labels(field)) for field in self.get_export_fields()]
        rows = []
        records = queryset.select_related(*self.related_paths()).iterator(
            chunk_size=CHUNK_SIZE)
        for chunk in _chunks(records, CHUNK_SIZE):
            self.prepare_rows(chunk)
            rows += [[self.export_field(field, record, labels=labels)
                      for field, labels in columns] for record in chunk]
        return ExportTable(title=title, headers=self.get_export_headers(), rows=rows)


def export_response(resource_class, queryset, file_format: str, *, actor,
                    title: str | None = None) -> HttpResponse:
    """Render ``queryset`` with ``resource_class``; the export itself is audited. The
    sheet is named ``title`` (default: the record type's plural name)."""
    if file_format not in FORMATS:
        raise ValidationError({"file_format": [_("Choose csv or xlsx.")]})
    model = queryset.model
    table = resource_class().export_table(
        queryset, title or capfirst(str(model._meta.verbose_name_plural)))
    if file_format == "csv":
        content: bytes | str = csv_content(table)
    else:
        content = xlsx_content(table)
    audit.log_event(
        action=AuditAction.READ, object_type=model._meta.label_lower, object_id="export",
        object_repr=f"{file_format} export, {len(table.rows)} rows", actor=actor,
        changes={"rows": len(table.rows)},
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
