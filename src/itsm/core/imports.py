"""Bulk import of records from JSON rows or an uploaded CSV/XLSX table (GEN-9).

Every row is validated by the record type's API serializer — the create endpoint's one
validation path, with the importing person's permissions and scope — and all rows are
created in one transaction through the serializer's save, i.e. ``services.create_record``
(numbering, SLA clocks, audit, automatic assignment, notifications queued on commit):
all or nothing. The import itself gets one audit entry.

Files: the first non-empty row names the fields, by their API name, their label or the
column heading our export writes, in any language of the UI. A cell may name a related
object by id or by its code, name, user name or email (as the export writes it), and a
choice by its value or its label; an empty cell is a field left out. Row numbers are the
ones a spreadsheet shows (the header is row 1); rows of a JSON body count from 1.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from . import access, audit
from .api.exceptions import validation_detail
from .api.serializers import StrictPrimaryKeyRelatedField
from .choices import AuditAction
from .exports import FORMULA_STARTS
from .models import Record, display_name
from .services import check_upload_size

#: Rows one import may hold; a larger one is refused as a whole. The rows are created in
#: one transaction that holds the numbering counter and the audit chain's head until it
#: commits (other writers wait), and the request must end within gunicorn's 60 s timeout:
#: 1,000 rows took 36 s on the benchmark machine (bench/servicedesk.py, bulk import).
MAX_IMPORT_ROWS = 1000
#: Model fields tried to find the related object a file cell names.
NATURAL_KEYS = ("code", "username", "email", "name")
#: Values looked up per query (SQLite allows 32,766 parameters in one statement).
LOOKUP_CHUNK = 1000
#: An XLSX upload may unpack to this many times the upload limit (a "zip bomb" may not).
MAX_XLSX_EXPANSION = 4


class ImportFailed(Exception):
    """Some rows are invalid, so nothing was imported.

    ``errors``: ``{row number: {field: [messages]}}`` with the rows as the person sees
    them (1-based rows of a JSON body; spreadsheet rows of a file).
    """

    def __init__(self, errors: dict[int, dict[str, list[str]]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class Table:
    """Rows read from a file: serializer input by field name, and their row numbers."""

    rows: list[dict[str, str]]
    numbers: list[int]


# --- Reading files ------------------------------------------------------------------------


def read_upload(upload) -> tuple[str, Iterator[list[str]]]:
    """The format and the rows of cell texts of an uploaded CSV (UTF-8 with or without
    BOM, or GB18030 as Chinese Excel writes it) or XLSX file (its first sheet)."""
    check_upload_size(upload.size)
    content = upload.read()
    if is_workbook(upload.name, content):
        return "xlsx", _xlsx_cells(content)
    return "csv", csv_cells(content)


def is_workbook(name: str | None, content: bytes) -> bool:
    """An XLSX file by its name or its first bytes (a ZIP archive)."""
    return (name or "").lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04"


def csv_cells(content: bytes) -> Iterator[list[str]]:
    """The rows of a CSV file in UTF-8 (with or without BOM) or GB18030; a 400 for a file
    the csv module cannot read."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - almost any byte sequence decodes as GB18030
        raise ValidationError({"file": [_("The file is neither UTF-8 nor GB18030 text.")]})
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise ValidationError({"file": [_("The file is not readable CSV: %(error)s")
                                        % {"error": exc}]}) from exc


def open_workbook(content: bytes):
    """An XLSX workbook (read-only, values): a 400 for one that is not readable or that
    would unpack to far more than an upload may be (a ZIP bomb). Close it after use."""
    from openpyxl import load_workbook

    unreadable = ValidationError({"file": [_("The file is not a readable XLSX workbook.")]})
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise unreadable from exc
    if unpacked > MAX_XLSX_EXPANSION * settings.MAX_UPLOAD_BYTES:
        raise ValidationError({"file": [_("The workbook unpacks to an unreasonable size.")]})
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise unreadable from exc


def sheet_cells(sheet) -> Iterator[list[str]]:
    for row in sheet.iter_rows(values_only=True):
        yield ["" if value is None else str(value) for value in row]


def _xlsx_cells(content: bytes) -> Iterator[list[str]]:
    book = open_workbook(content)
    try:
        yield from sheet_cells(book.worksheets[0])
    finally:
        book.close()


def _cell(text: str) -> str:
    """A cell as the serializer gets it: stripped; the apostrophe our export puts before
    text a spreadsheet would take for a formula is removed again."""
    text = text.strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def table_rows(cells: Iterable[list[str]], headings: dict[str, str | None]) -> Table:
    """Serializer input per data row from the cells of a file.

    ``headings`` maps a lower-cased heading to the field its column fills, or to None
    for a known column that is not imported (see ``column_headings``); any other
    heading is refused, so that a misspelt one cannot silently drop a column. Blank
    rows are skipped but keep their number; more than ``MAX_IMPORT_ROWS`` are refused.
    """
    columns: list[str | None] | None = None
    rows, numbers = [], []
    for number, row in enumerate(cells, start=1):
        texts = [_cell(c) for c in row]
        if not any(texts):
            continue
        if columns is None:
            keys = [t.lstrip("\ufeff").strip().lower() for t in texts]
            unknown = [t for t, key in zip(texts, keys, strict=True)
                       if key and key not in headings]
            if unknown:
                raise ValidationError({"file": [
                    _("Unknown columns: %(columns)s. Name the fields as the API, the form or "
                      "the export does.") % {"columns": ", ".join(unknown)}]})
            columns = [headings.get(key) for key in keys]
            continue
        if len(rows) == MAX_IMPORT_ROWS:
            raise ValidationError({"file": [too_many_rows()]})
        rows.append({name: text for name, text in zip(columns, texts, strict=False)
                     if name and text})
        numbers.append(number)
    if not rows:
        raise ValidationError({"file": [_("The file has no rows to import.")]})
    return Table(rows, numbers)


def too_many_rows() -> str:
    return _("At most %(limit)s rows can be imported at once.") % {"limit": MAX_IMPORT_ROWS}


# --- Headings and cell values ------------------------------------------------------------


def writable_fields(serializer: serializers.Serializer) -> dict[str, serializers.Field]:
    return {name: field for name, field in serializer.fields.items() if not field.read_only}


def column_headings(serializer: serializers.Serializer, resource_class=None
                    ) -> dict[str, str | None]:
    """Lower-cased column headings → the writable field the column fills, or None for
    a column that is known but not imported (a read-only field such as the number or
    the status of an exported list). Headings: the API name, the model field's label and
    the export's column heading, in every language of the UI."""
    model = serializer.Meta.model
    writable = writable_fields(serializer)
    resource = resource_class() if resource_class is not None else None
    exported = list(resource.get_export_order()) if resource is not None else []
    model_fields = {f.name: f for f in model._meta.concrete_fields}
    names = [*serializer.fields, *(n for n in exported if n not in serializer.fields)]
    headings: dict[str, str | None] = {}

    def add(label: Any, name: str) -> None:
        key = str(label).strip().lower()
        if headings.get(key) is None:  # a column that is imported wins
            headings[key] = name if name in writable else None

    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for name in names:
                add(name, name)
                if name in model_fields:
                    add(model_fields[name].verbose_name, name)
                if name in exported:
                    for heading in resource.get_export_headers(selected_fields=[name]):
                        add(heading, name)
    return headings


def resolve_cells(rows: list[dict[str, str]], serializer: serializers.Serializer) -> None:
    """Replace, in place, the labels of choices by their values and the names of related
    objects by their ids, looked up once per import among the serializer's own (scoped)
    choices. A value that names nothing, or several things, is left as it is: the
    serializer then refuses it with the message it gives for an unknown id."""
    for name, field in writable_fields(serializer).items():
        values = {row[name] for row in rows if name in row}
        if not values:
            continue
        if isinstance(field, serializers.PrimaryKeyRelatedField):
            found, key = natural_keys(field.get_queryset(), values), str
        elif isinstance(field, serializers.ChoiceField):
            found, key = choice_labels(field.choices.items()), str.lower
        else:
            continue
        for row in rows:
            if name in row:
                row[name] = found.get(key(row[name]), row[name])


def natural_keys(queryset: QuerySet, values: set[str]) -> dict[str, Any]:
    """``{value: pk}`` for the values that name exactly one object of ``queryset`` by a
    natural key (code, user name, email, name; people also by their display name)."""
    model = queryset.model
    names = {f.name for f in model._meta.get_fields()}
    keys = [k for k in NATURAL_KEYS if k in names]
    queryset = queryset.order_by()
    people = model is get_user_model()
    if people:
        queryset = queryset.annotate(
            _family_first=Concat("last_name", "first_name"),
            _given_first=Concat("first_name", Value(" "), "last_name"))
        keys += ["_family_first", "_given_first"]
    if not keys:
        return {}
    matches: dict[str, set] = {}
    wanted = sorted(v for v in values if "\x00" not in v)  # PostgreSQL refuses NUL in text
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start:start + LOOKUP_CHUNK]
        for obj in queryset.filter(reduce(or_, (Q(**{f"{k}__in": chunk}) for k in keys))):
            texts = {str(getattr(obj, k)) for k in keys if not k.startswith("_")}
            if people:
                texts.add(display_name(obj))
            for text in texts & values:
                matches.setdefault(text, set()).add(obj.pk)
    return {value: pks.pop() for value, pks in matches.items() if len(pks) == 1}


def choice_labels(choices: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Lower-cased labels (in every language of the UI: files travel) and values of
    ``choices`` (value, label) → the choice's value."""
    choices = list(choices)
    found: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, label in choices:
                found.setdefault(str(label).strip().lower(), str(value))
    found.update({str(value).lower(): str(value) for value, _label in choices})
    return found


# --- Validating and creating ------------------------------------------------------------


class RememberingRelatedField(StrictPrimaryKeyRelatedField):
    """A related field that looks each value up once: the rows of an import name the
    same organizations, people, teams and services again and again.

    An id or name that is unknown, or outside the importing person's choices, gets one
    message that names the value (a file's cells are names more often than ids)."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("No “{pk_value}” that you may choose."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.remembered: dict[tuple, Any] = {}

    def to_internal_value(self, data: Any) -> Any:
        key = (type(data), data)
        try:
            known = self.remembered.get(key, self)
        except TypeError:  # not hashable: the field refuses it anyway
            return self.look_up(data)
        if known is self:
            try:
                known = self.look_up(data)
            except serializers.ValidationError as exc:
                known = exc
            self.remembered[key] = known
        if isinstance(known, serializers.ValidationError):
            raise serializers.ValidationError(known.detail)
        return known

    def look_up(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(data, str) and exc.get_codes() == ["incorrect_type"]:
                self.fail("does_not_exist", pk_value=data)
            raise


@cache
def row_serializer(serializer_class: type[serializers.ModelSerializer]) -> type:
    """``serializer_class`` itself — same fields, scoping, validation and save — except
    that its related fields remember what they looked up (``RememberingRelatedField``)."""
    return type(f"{serializer_class.__name__}Row", (serializer_class,),
                {"serializer_related_field": RememberingRelatedField,
                 "__module__": __name__, "__doc__": row_serializer.__doc__})


class ImportListSerializer(serializers.ListSerializer):
    """Rows validated by one instance of the record serializer (its scoped choices are
    built once) and created one after another, each through the serializer's save.

    A row the service layer refuses (e.g. a requester of another organization than the
    record's) is reported with its row number, and the others are still tried so that
    every error is listed at once; the caller's transaction is then rolled back.
    """

    def __init__(self, *args: Any, numbers: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.numbers = numbers

    def row_errors(self) -> dict[int, dict[str, list[str]]]:
        # DRF keys the errors of a list by the index of the invalid items.
        return {self.numbers[index]: plain(detail) for index, detail in self.errors.items()}

    def create(self, validated_data: list[dict[str, Any]]) -> list[Record]:
        records, errors = [], {}
        for number, attrs in zip(self.numbers, validated_data, strict=True):
            try:
                records.append(self.child.create(attrs))
            except ValidationError as exc:
                errors[number] = validation_detail(exc)
        if errors:
            raise ImportFailed(errors)
        return records


def plain(detail: Any) -> Any:
    """DRF error details as plain strings, lists and dicts."""
    if isinstance(detail, dict):
        return {str(k): plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [plain(v) for v in detail]
    return str(detail)


def check_rows(rows: Any) -> list:
    """The ``rows`` of a JSON body: a list of 1 to ``MAX_IMPORT_ROWS`` items."""
    if not isinstance(rows, list):
        raise ValidationError({"rows": [_("Give a list of rows.")]})
    if not rows:
        raise ValidationError({"rows": [_("There are no rows to import.")]})
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError({"rows": [too_many_rows()]})
    return rows


def require_importer(user) -> None:
    """Only service staff who may write import (PermissionDenied: 403)."""
    if not access.is_staff_writer(user):
        raise PermissionDenied(_("Only service staff may import records."))


def import_records(serializer_class: type[serializers.ModelSerializer], rows: list, *,
                   request, numbers: list[int] | None = None, file_format: str = "json",
                   resolve: bool = False) -> list[Record]:
    """Validate every row with ``serializer_class`` as ``request.user`` and create them
    all in one transaction; ``ImportFailed`` (nothing created) if any row is invalid.

    ``resolve``: the rows come from a file (cell texts): labels and names are looked up
    first (``resolve_cells``).
    """
    require_importer(request.user)
    numbers = numbers or list(range(1, len(rows) + 1))
    serializer = ImportListSerializer(child=row_serializer(serializer_class)(), data=rows,
                                      numbers=numbers, context={"request": request})
    if resolve:
        resolve_cells(rows, serializer.child)
    if not serializer.is_valid():
        raise ImportFailed(serializer.row_errors())
    model = serializer_class.Meta.model
    with transaction.atomic():
        records = serializer.save()
        audit.log_event(
            action=AuditAction.CREATE, object_type=model._meta.label_lower, object_id="import",
            object_repr=f"{file_format} import, {len(records)} rows", actor=request.user,
            changes={"rows": len(records), "format": file_format,
                     "first": records[0].number, "last": records[-1].number},
            organization_id=getattr(access.organization_of(request.user), "pk", None))
    return records


def import_file(serializer_class: type[serializers.ModelSerializer], upload, *, request,
                resource_class=None) -> list[Record]:
    """``import_records`` for an uploaded CSV or XLSX file."""
    require_importer(request.user)
    file_format, cells = read_upload(upload)
    serializer = serializer_class(context={"request": request})
    table = table_rows(cells, column_headings(serializer, resource_class))
    return import_records(serializer_class, table.rows, request=request,
                          numbers=table.numbers, file_format=file_format, resolve=True)
