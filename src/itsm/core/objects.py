"""The object layer: one audited write path for everything that is not a record.

Records move through ``core.services`` (numbers, workflows, clocks). Master data and the
other plain objects — organizations, teams, services, calendars, configuration items,
change boards, emergency plans, notification templates … — are created, changed and
deleted here, so that every one of them is validated the same way, audited in one
format and refused in one way when still in use:

- ``save_object`` creates (given a model) or updates (given an instance) from a dict of
  field values, many-to-many values included; the audit delta is ``{field: [old, new]}``,
  for a many-to-many field ``[old ids, new ids]`` (sorted).
- ``delete_object`` refuses a record inside its retention period (``RetentionError``) and
  an object other objects still point to (``InUseError``, 409 in the API, a form error
  on a page), and audits the deletion in the same transaction.

Who may write what stays with each app's service functions, which check it and then
call these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from . import audit
from .choices import AuditAction
from .exceptions import WorkflowError
from .limits import text_length_errors
from .models import Record
from .retention import check_deletable

M = TypeVar("M", bound=models.Model)


class InUseError(WorkflowError):
    """Deleting an object that others still point to (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="in_use")


def organization_id_of(instance: models.Model) -> int | None:
    """The organization an object's audit entries belong to: its own, or its provider's."""
    for attname in ("organization_id", "provider_id"):
        if hasattr(instance, attname):
            return getattr(instance, attname)
    return None


def set_many(instance: models.Model, many: dict[str, list]) -> dict[str, list]:
    """Set many-to-many values of a saved object; the audit delta
    ``{name: [old ids, new ids]}`` of those that changed."""
    delta = {}
    for name, values in many.items():
        manager = getattr(instance, name)
        old = sorted(manager.values_list("pk", flat=True))
        new = sorted(v.pk for v in values)
        if old != new:
            manager.set(values)
            delta[name] = [old, new]
    return delta


@transaction.atomic
def save_object(target: M | type[M], *, actor, data: dict[str, Any],
                organization_id: int | None = None,
                extra_changes: dict[str, list[Any]] | None = None,
                clean: Callable[[M], None] | None = None) -> M:
    """Create an object of the model ``target`` or update the instance ``target`` with
    ``data``, validated by ``clean`` (default: ``full_clean``) and the text limits,
    audited as one entry. ``extra_changes`` are added to the delta (rows the caller wrote
    beside it, e.g. an SLA policy's targets); an update that changes nothing saves
    nothing and writes no entry."""
    data = dict(data)
    model = target if isinstance(target, type) else type(target)
    many = {f.name: data.pop(f.name) for f in model._meta.many_to_many if f.name in data}
    if isinstance(target, type):
        instance, before, action = model(**data), {}, AuditAction.CREATE
    else:
        # What is stored, not the instance: a model form has already set its values.
        stored = model._base_manager.filter(pk=target.pk).first()
        before = audit.snapshot(stored) if stored is not None else {}
        instance, action = target, AuditAction.UPDATE
        for name, value in data.items():
            setattr(instance, name, value)
    (clean or type(instance).full_clean)(instance)
    # Django's model validation leaves a TextField's max_length to the forms: checked
    # here for the fields written, so an import or a script cannot store more.
    too_long = text_length_errors(instance, set(data) if before else None)
    if too_long:
        raise ValidationError(too_long)
    delta = audit.diff(before, audit.snapshot(instance))
    if delta or action == AuditAction.CREATE:  # an unchanged object is not saved again
        instance.save()
        if action == AuditAction.CREATE:  # with what saving set (id, time stamps)
            delta = audit.diff(before, audit.snapshot(instance))
    delta |= set_many(instance, many)
    delta.update(extra_changes or {})
    if delta or action == AuditAction.CREATE:
        audit.log(action=action, instance=instance, actor=actor, changes=delta,
                  organization_id=organization_id or organization_id_of(instance))
    return instance


@transaction.atomic
def delete_object(instance: models.Model, *, actor, organization_id: int | None = None,
                  in_use_message: str | None = None) -> None:
    """Delete ``instance``, audited; ``InUseError`` while other objects point to it
    (``in_use_message`` says what to do instead), ``RetentionError`` for a record inside
    its retention period."""
    if isinstance(instance, Record):
        check_deletable(instance)
    audit.log(action=AuditAction.DELETE, instance=instance, actor=actor,
              changes={k: [v, None] for k, v in audit.snapshot(instance).items()},
              organization_id=organization_id or organization_id_of(instance))
    try:
        with transaction.atomic():
            instance.delete()
    except (models.ProtectedError, models.RestrictedError) as exc:
        raise InUseError(in_use_message or _(
            "%(object)s is still in use and cannot be deleted.") % {"object": instance}
        ) from exc
