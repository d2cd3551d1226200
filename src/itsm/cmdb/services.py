"""Write path for the CMDB: configuration items, relations and record ↔ CI links.

Provider staff who may write (everyone but a pure auditor) maintain the items of the
organizations they serve; customers and auditors only read. Every function is atomic,
validates like a form (``ValidationError`` with field messages), bumps ``updated_at``
of the items it touches and appends to the audit log (``core.audit``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.catalog.models import Service
from itsm.core import access, audit, imports, objects
from itsm.core.choices import AuditAction
from itsm.core.models import Organization

from .choices import CIStatus, Environment, RelationKind
from .impact import open_records_touching
from .models import CIRelation, CIType, ConfigurationItem, RecordCI

#: Fields of an item that ``create_item``/``update_item`` accept.
ITEM_FIELDS = ("organization", "name", "ci_type", "status", "environment", "owner",
               "owner_team", "service", "description", "attributes")


# --- Permissions ------------------------------------------------------------------------


def can_write(user, organization_id: int | None) -> bool:
    """``None`` is the system (migrations, jobs, tests) and is always allowed."""
    if user is None:
        return True
    return access.is_staff_writer(user) and organization_id in access.scope_organization_ids(
        user)


def _require_writer(actor) -> None:
    if actor is not None and not access.is_staff_writer(actor):
        raise PermissionDenied(_("Only service staff may change configuration items."))


def _visible(actor, item: ConfigurationItem) -> bool:
    return actor is None or item.organization_id in access.scope_organization_ids(actor)


# --- Validation ---------------------------------------------------------------------------


def _validate_item(item: ConfigurationItem, actor) -> None:
    errors: dict[str, list[str]] = {}
    if item.organization_id is not None and actor is not None and (
            item.organization_id not in access.scope_organization_ids(actor)):
        errors["organization"] = [_("Choose an organization you serve.")]
    attributes = item.attributes
    if not isinstance(attributes, dict):
        errors["attributes"] = [_("Attributes must be an object of names and values.")]
    elif item.ci_type_id is not None:
        allowed = {str(a) for a in (item.ci_type.attributes or [])}
        unknown = sorted(str(k) for k in attributes if str(k) not in allowed)
        if unknown:
            errors["attributes"] = [
                _("Unknown attributes for %(type)s: %(names)s. Allowed: %(allowed)s.") % {
                    "type": item.ci_type.name, "names": ", ".join(unknown),
                    "allowed": ", ".join(sorted(allowed)) or _("none")}]
    if item.owner_id is not None and item.organization_id is not None:
        profile = getattr(item.owner, "profile", None)
        owner_org = profile.organization if profile is not None else None
        item_org = item.organization
        provider_id = item_org.pk if item_org.provider_id is None else item_org.provider_id
        if owner_org is None or owner_org.pk not in (item_org.pk, provider_id):
            errors["owner"] = [_("The owner must belong to the item's organization or "
                                 "its provider.")]
    if item.owner_team_id is not None and item.organization_id is not None:
        item_org = item.organization
        provider_id = item_org.pk if item_org.provider_id is None else item_org.provider_id
        if item.owner_team.organization_id not in (item_org.pk, provider_id):
            errors["owner_team"] = [_("The team must belong to the item's organization or "
                                      "its provider.")]
    if item.service_id is not None and item.organization_id is not None:
        item_org = item.organization
        provider_id = item_org.pk if item_org.provider_id is None else item_org.provider_id
        if item.service.provider_id != provider_id:
            errors["service"] = [_("Choose a service of the item's provider.")]
    try:
        item.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _check_fields(data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(ITEM_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in unknown})


# --- Items -----------------------------------------------------------------------------


def _item_cleaner(actor) -> Callable[[ConfigurationItem], None]:
    def clean(item: ConfigurationItem) -> None:
        if item.attributes is None:
            item.attributes = {}
        _validate_item(item, actor)
    return clean


@transaction.atomic
def create_item(*, actor, data: dict[str, Any]) -> ConfigurationItem:
    """Create a configuration item (400 with field messages when invalid)."""
    _require_writer(actor)
    _check_fields(data)
    return objects.save_object(ConfigurationItem, actor=actor, data=data,
                               clean=_item_cleaner(actor))


@transaction.atomic
def update_item(item: ConfigurationItem, *, actor, changes: dict[str, Any]
                ) -> ConfigurationItem:
    """Change fields of an item (its current organization and the new one must be yours)."""
    _require_writer(actor)
    if not can_write(actor, item.organization_id):
        raise PermissionDenied(_("You may not change this configuration item."))
    _check_fields(changes)
    return objects.save_object(item, actor=actor, data=changes, clean=_item_cleaner(actor))


def save_item(item: ConfigurationItem | None, *, actor, data: dict[str, Any]
              ) -> ConfigurationItem:
    """Create (``item`` None) or update an item: the pages' write path."""
    if item is None:
        return create_item(actor=actor, data=data)
    return update_item(item, actor=actor, changes=data)


@transaction.atomic
def delete_item(item: ConfigurationItem, *, actor) -> None:
    """Delete an item and its relations; refused while open records link to it."""
    _require_writer(actor)
    if not can_write(actor, item.organization_id):
        raise PermissionDenied(_("You may not change this configuration item."))
    open_records = open_records_touching({item.pk})
    if open_records:
        numbers = ", ".join(sorted(str(getattr(r, "number", r.pk)) for r in open_records))
        raise ValidationError(
            _("%(item)s is linked to open records (%(numbers)s) and cannot be deleted; "
              "unlink it or close them first.") % {"item": item.name, "numbers": numbers})
    neighbours = set(CIRelation.objects.filter(source=item).values_list("target_id", flat=True))
    neighbours |= set(CIRelation.objects.filter(target=item).values_list("source_id",
                                                                         flat=True))
    objects.delete_object(item, actor=actor)
    _touch(neighbours)


def _touch(item_ids: set[int]) -> None:
    if item_ids:
        ConfigurationItem.objects.filter(pk__in=item_ids).update(updated_at=timezone.now())


# --- Relations ------------------------------------------------------------------------


@transaction.atomic
def add_relation(source: ConfigurationItem, target: ConfigurationItem, *, kind: str,
                 actor) -> CIRelation:
    """``source`` *kind* ``target``; both items must be in the actor's scope."""
    _require_writer(actor)
    errors: dict[str, list[str]] = {}
    if not _visible(actor, source):
        errors["source"] = [_("No configuration item that you can see.")]
    if not _visible(actor, target):
        errors["target"] = [_("No configuration item that you can see.")]
    if kind not in RelationKind.values:
        errors["kind"] = [_("Choose one of: %(kinds)s.")
                          % {"kinds": ", ".join(RelationKind.values)}]
    if not errors and source.pk == target.pk:
        errors["target"] = [_("An item cannot be related to itself.")]
    if not errors and CIRelation.objects.filter(source=source, target=target,
                                                kind=kind).exists():
        errors["target"] = [_("This relation already exists.")]
    if errors:
        raise ValidationError(errors)
    relation = CIRelation.objects.create(source=source, target=target, kind=kind)
    audit.log(action=AuditAction.CREATE, instance=relation, actor=actor,
              organization_id=source.organization_id,
              changes={"source": [None, source.pk], "target": [None, target.pk],
                       "kind": [None, kind]})
    _touch({source.pk, target.pk})
    return relation


@transaction.atomic
def remove_relation(relation: CIRelation, *, actor) -> None:
    _require_writer(actor)
    if not (_visible(actor, relation.source) and _visible(actor, relation.target)):
        raise PermissionDenied(_("You may not change this relation."))
    audit.log(action=AuditAction.DELETE, instance=relation, actor=actor,
              organization_id=relation.source.organization_id,
              changes={"source": [relation.source_id, None],
                       "target": [relation.target_id, None], "kind": [relation.kind, None]})
    ids = {relation.source_id, relation.target_id}
    relation.delete()
    _touch(ids)


# --- Records ↔ items --------------------------------------------------------------------


def _record_link_query(record: models.Model, ci: ConfigurationItem):
    return RecordCI.objects.filter(record_type=ContentType.objects.get_for_model(record),
                                   record_id=record.pk, ci=ci)


@transaction.atomic
def link_record_ci(record: models.Model, ci: ConfigurationItem, *, actor) -> RecordCI:
    """The record (incident, request, problem, change …) touches ``ci``."""
    _require_writer(actor)
    if not _visible(actor, ci):
        raise ValidationError({"ci": [_("No configuration item that you can see.")]})
    if actor is not None and (
            record.organization_id not in access.scope_organization_ids(actor)):
        raise PermissionDenied(_("You may not change this record."))
    if _record_link_query(record, ci).exists():
        raise ValidationError({"ci": [_("This item is already linked to the record.")]})
    link = RecordCI.objects.create(record_type=ContentType.objects.get_for_model(record),
                                   record_id=record.pk, ci=ci)
    audit.log(action=AuditAction.UPDATE, instance=record, actor=actor,
              changes={"configuration_items": [None, f"+{ci.pk} {ci.name}"]})
    _touch({ci.pk})
    return link


@transaction.atomic
def unlink_record_ci(record: models.Model, ci: ConfigurationItem, *, actor) -> None:
    _require_writer(actor)
    if actor is not None and (
            record.organization_id not in access.scope_organization_ids(actor)):
        raise PermissionDenied(_("You may not change this record."))
    deleted, _rows = _record_link_query(record, ci).delete()
    if not deleted:
        raise ValidationError({"ci": [_("This item is not linked to the record.")]})
    audit.log(action=AuditAction.UPDATE, instance=record, actor=actor,
              changes={"configuration_items": [f"-{ci.pk} {ci.name}", None]})
    _touch({ci.pk})


def linked_items(record: models.Model, user) -> models.QuerySet:
    """Items linked to ``record`` that ``user`` may see."""
    ids = RecordCI.objects.filter(record_type=ContentType.objects.get_for_model(record),
                                  record_id=record.pk).values("ci_id")
    return (ConfigurationItem.objects.visible_to(user).filter(pk__in=ids)
            .select_related("ci_type", "organization"))


# --- Import from CSV / XLSX -------------------------------------------------------------

#: Columns of the item sheet; any other column is an attribute of the item's type.
IMPORT_COLUMNS = ("name", "type", "organization", "status", "environment", "owner",
                  "service", "description")
RELATION_COLUMNS = ("source", "target", "kind", "source_organization",
                    "target_organization")
#: Name of the XLSX sheet with relations (the first sheet holds the items).
RELATIONS_SHEET = "relations"


class ImportFailed(Exception):
    """Some rows are invalid; nothing was imported. ``errors``: [{row, messages}]."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def read_table(name: str, content: bytes) -> dict[str, list[dict[str, str]]]:
    """Rows of an uploaded CSV (UTF-8 with or without BOM, or GBK/GB18030) or XLSX file
    (read as ticket imports read them: ``core.imports``).

    Answers ``{"items": rows, "relations": rows}``; a CSV file fills ``items`` only.
    Each row is a dict of the lower-cased header to the stripped cell text.
    """
    if not imports.is_workbook(name, content):
        return {"items": _rows(list(imports.csv_cells(content))), "relations": []}
    book = imports.open_workbook(content)
    result: dict[str, list[dict[str, str]]] = {"items": [], "relations": []}
    try:
        for index, sheet in enumerate(book.worksheets):
            rows = list(imports.sheet_cells(sheet))
            if sheet.title.strip().lower() == RELATIONS_SHEET or (
                    index == 1 and sheet.title.strip().lower() != "items"):
                result["relations"] = _rows(rows)
            elif index == 0:
                result["items"] = _rows(rows)
    finally:
        book.close()
    return result


def _rows(rows: list[list[str]]) -> list[dict[str, str]]:
    if not rows:
        return []
    header = [str(h).strip().lstrip("\ufeff").lower() for h in rows[0]]
    result = []
    for row in rows[1:]:
        cells = [str(c).strip() for c in row]
        if not any(cells):
            result.append({})  # keeps row numbers right; skipped on import
            continue
        result.append({h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)
                       if h})
    return result


def _choice(choices: type[models.TextChoices], value: str, field: str) -> str:
    """A choice by its code or its label in any language of the UI (files travel)."""
    code = imports.choice_labels(choices.choices).get(value.strip().lower())
    if code is not None:
        return code
    raise ValidationError({field: [_("“%(value)s” is not one of: %(choices)s.") % {
        "value": value, "choices": ", ".join(choices.values)}]})


def _item_data(row: dict[str, str], actor) -> dict[str, Any]:
    from django.contrib.auth import get_user_model



    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {"name": row.get("name", ""),
                            "description": row.get("description", "")}
    type_key = row.get("type", "")
    ci_type = (CIType.objects.filter(code__iexact=type_key).first()
               or CIType.objects.filter(name=type_key).first()) if type_key else None
    if ci_type is None:
        errors["type"] = [_("Unknown CI type “%(value)s”.") % {"value": type_key}
                          if type_key else _("This field is required.")]
    data["ci_type"] = ci_type
    orgs = Organization.objects.all() if actor is None else Organization.objects.visible_to(
        actor)
    org_code = row.get("organization", "")
    organization = orgs.filter(code=org_code).first() if org_code else None
    if organization is None:
        errors["organization"] = [
            _("No organization with code “%(value)s” that you serve.") % {"value": org_code}
            if org_code else _("This field is required.")]
    data["organization"] = organization
    for column, choices in (("status", CIStatus), ("environment", Environment)):
        if row.get(column):
            try:
                data[column] = _choice(choices, row[column], column)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if row.get("owner"):
        owner = get_user_model().objects.filter(username=row["owner"]).first()
        if owner is None:
            errors["owner"] = [_("No person with user name “%(value)s”.")
                               % {"value": row["owner"]}]
        data["owner"] = owner
    if row.get("service"):
        provider_id = None if organization is None else organization.serving_provider_id
        service = Service.objects.filter(provider_id=provider_id, code=row["service"]).first()
        if service is None:
            errors["service"] = [_("No service with code “%(value)s” of this provider.")
                                 % {"value": row["service"]}]
        data["service"] = service
    data["attributes"] = {k: v for k, v in row.items()
                          if k not in IMPORT_COLUMNS and v != ""}
    if errors:
        raise ValidationError(errors)
    return data


def _messages(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k if k != "__all__" else "non_field_errors": [str(m) for m in v]
                for k, v in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _find_item(name: str, org_code: str, actor) -> ConfigurationItem:
    items = ConfigurationItem.objects.all() if actor is None else (
        ConfigurationItem.objects.visible_to(actor))
    items = items.filter(name=name)
    if org_code:
        items = items.filter(organization__code=org_code)
    found = list(items[:2])
    if not found:
        raise ValidationError(_("No configuration item “%(name)s” that you can see.")
                              % {"name": name})
    if len(found) > 1:
        raise ValidationError(_("Several items are named “%(name)s”: add its organization "
                                "code.") % {"name": name})
    return found[0]


def _import_relations(rows: list[dict[str, str]], actor, sheet: str,
                      errors: list[dict[str, Any]]) -> int:
    count = 0
    for number, row in enumerate(rows, start=2):
        if not row:
            continue
        try:
            with transaction.atomic():
                problems: dict[str, list[str]] = {}
                ends = {}
                for end in ("source", "target"):
                    try:
                        if not row.get(end):
                            raise ValidationError(_("This field is required."))
                        ends[end] = _find_item(row[end], row.get(f"{end}_organization", ""),
                                               actor)
                    except ValidationError as exc:
                        problems[end] = [str(m) for m in exc.messages]
                try:
                    kind = _choice(RelationKind, row.get("kind", ""), "kind")
                except ValidationError as exc:
                    problems.update(exc.message_dict)
                if problems:
                    raise ValidationError(problems)
                add_relation(ends["source"], ends["target"], kind=kind, actor=actor)
                count += 1
        except ValidationError as exc:
            errors.append({"sheet": sheet, "row": number, "messages": _messages(exc)})
    return count


@transaction.atomic
def import_items(tables: dict[str, list[dict[str, str]]], *, actor) -> dict[str, int]:
    """Create the items (and relations) of an uploaded table: all or nothing.

    Every row is validated through ``create_item``/``add_relation``; if any fails,
    nothing is kept and ``ImportFailed`` lists ``{sheet, row, messages}`` (row numbers
    as in the file: the header is row 1).
    """
    _require_writer(actor)
    errors: list[dict[str, Any]] = []
    items = 0
    item_rows = tables.get("items", [])
    if not any(item_rows) and not any(tables.get("relations", [])):
        raise ValidationError({"file": [_("The file has no rows to import.")]})
    for number, row in enumerate(item_rows, start=2):
        if not row:
            continue
        try:
            with transaction.atomic():
                create_item(actor=actor, data=_item_data(row, actor))
                items += 1
        except ValidationError as exc:
            errors.append({"sheet": "items", "row": number, "messages": _messages(exc)})
    relations = _import_relations(tables.get("relations", []), actor, RELATIONS_SHEET,
                                  errors)
    if errors:
        transaction.set_rollback(True)
        raise ImportFailed(errors)
    return {"items": items, "relations": relations}


@transaction.atomic
def import_relations(rows: list[dict[str, str]], *, actor) -> dict[str, int]:
    """Create relations from rows of source, target, kind (all or nothing)."""
    _require_writer(actor)
    if not any(rows):
        raise ValidationError({"file": [_("The file has no rows to import.")]})
    errors: list[dict[str, Any]] = []
    count = _import_relations(rows, actor, RELATIONS_SHEET, errors)
    if errors:
        transaction.set_rollback(True)
        raise ImportFailed(errors)
    return {"items": 0, "relations": count}
