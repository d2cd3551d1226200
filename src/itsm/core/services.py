"""The write path every record type shares.

Views, serializers, jobs and email intake call these functions; nothing else saves
a record. Each one is atomic, checks the actor's permission, validates, writes the
audit entry and the timeline event in the same transaction.
An app wraps them in its own ``services.py`` (``create_service_request`` …).
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Collection
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, audit, signals
from . import rules as perms
from .choices import AuditAction, TimelineKind
from .exceptions import ConflictError, UploadTooLarge, WorkflowError
from .limits import COMMENT_MAX_LENGTH, text_length_errors
from .models import Attachment, Comment, Record, RecordLink, TimelineEvent
from .objects import set_many
from .retention import check_deletable

R = TypeVar("R", bound=Record)

#: Fields no caller sets directly: the service layer owns them.
PROTECTED_FIELDS = frozenset(
    {"id", "number", "status", "organization", "organization_id", "created_by", "created_at",
     "updated_at", "version"}
)
#: The longest comment (``core.limits``).
MAX_COMMENT_LENGTH = COMMENT_MAX_LENGTH


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def add_timeline_event(
    record: Record, kind: str, *, actor=None, internal: bool = False, **data: Any
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        record=record, kind=kind, actor=actor, internal=internal, data=audit.to_json_value(data)
    )


def validate_relations(record: Record, changed: Collection[str] | None = None) -> None:
    """People and teams on a record must belong to its organization or its provider.

    ``changed``: only these fields were set; the others were checked when they were (a
    transition that sets the assignee loads neither the organization nor the requester).
    """
    names = {"requester", "owner", "assignee", "assignee_team"}
    if changed is not None:
        names &= set(changed)
    if not names:
        return
    errors: dict[str, str] = {}
    org = record.organization
    provider_id = org.serving_provider_id
    if "requester" in names and record.requester_id:
        profile = getattr(record.requester, "profile", None)
        if getattr(profile, "organization_id", None) != org.pk:
            errors["requester"] = _("The requester must belong to the record's organization.")
    for name in ("owner", "assignee"):
        person = getattr(record, name) if name in names else None
        if person is not None and not access.is_staff_of(person, provider_id):
            errors[name] = _("Choose a member of the service provider's staff.")
    team = record.assignee_team if "assignee_team" in names else None
    if team is not None and team.organization_id != provider_id:
        errors["assignee_team"] = _("Choose a team of the service provider.")
    if errors:
        raise ValidationError(errors)


def _clean(record: Record, changed: Collection[str] | None = None) -> None:
    # A relation holding an object loaded from the database exists, and one left as it was
    # still does (the foreign key holds it): no query to prove either (Django's full_clean
    # asks the database for every foreign key otherwise).
    known = [f.name for f in record._meta.concrete_fields if f.is_relation and (
        (changed is not None and f.name not in changed)
        or (record._state.fields_cache.get(f.name) is not None
            and record._state.fields_cache[f.name].pk is not None))]
    too_long = text_length_errors(record, changed)
    if too_long:
        raise ValidationError(too_long)
    record.full_clean(exclude=["number", "status", "created_by", *known],
                      validate_unique=False)
    validate_relations(record, changed)


def _lock(record: R) -> R:
    return type(record).objects.select_for_update().get(pk=record.pk)


def reload(record: Record) -> None:
    """Read ``record``'s columns anew (one query), keeping the related objects it holds
    whose ids did not change (``refresh_from_db`` drops them all: a query each later)."""
    fresh = type(record)._base_manager.get(pk=record.pk)
    for field in record._meta.concrete_fields:
        # Setting an id that changed drops the related object held for the old one.
        setattr(record, field.attname, getattr(fresh, field.attname))
    record.__dict__.pop("_prefetched_objects_cache", None)


def _check_version(record: Record, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise ConflictError(
            _("%(number)s was changed by someone else since you opened it. "
              "Reload it and apply your change again.") % {"number": record.number}
        )


@transaction.atomic
def create_record(model: type[R], *, actor, data: dict[str, Any]) -> R:
    """Create a record of ``model`` in its workflow's initial status."""
    if actor is not None:
        _require(perms.can_add_record(actor)
                 and (model.customers_may_create or access.is_staff_writer(actor)),
                 _("You may not create records."))
        if data.get("organization") is None or (
            data["organization"].pk not in access.scope_organization_ids(actor)
        ):
            raise ValidationError({"organization": _("Choose an organization you serve.")})
        if not access.is_staff_writer(actor):
            if not access.sees_all_records_of_organization(actor) or data.get("requester") is None:
                data["requester"] = actor
            for name in model.staff_fields:
                data.pop(name, None)
    unknown = set(data) & PROTECTED_FIELDS - {"organization"}
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in unknown})
    many = _pop_many(model, data)
    record = model(**data)
    record.status = model.workflow.initial
    record.created_by = actor
    signals.record_preparing.send(sender=model, record=record, actor=actor,
                                  provided=frozenset(data))
    _clean(record)
    record.validate_many(many)
    record.number = record.make_number()
    signals.record_inserting.send(sender=model, record=record, actor=actor)
    record.save()
    many_delta = set_many(record, many)
    audit.log(action=AuditAction.CREATE, instance=record, actor=actor,
              changes=audit.diff({}, audit.snapshot(record)) | many_delta)
    add_timeline_event(record, TimelineKind.CREATED, actor=actor)
    signals.record_created.send(sender=model, record=record, actor=actor)
    return record


def _pop_many(model: type[Record], data: dict[str, Any]) -> dict[str, list]:
    """Take the many-to-many values (e.g. a change's services) out of ``data``."""
    names = {f.name for f in model._meta.many_to_many}
    return {name: list(data.pop(name)) for name in list(data) if name in names}


def _editable_fields(record: Record, actor) -> set[str]:
    fields = ({f.name for f in record._meta.concrete_fields if f.editable}
              | {f.name for f in record._meta.many_to_many}) - PROTECTED_FIELDS
    if actor is None or access.is_staff_writer(actor):
        return fields
    return fields & set(record.requester_editable_fields)


@transaction.atomic
def update_record(
    record: R, *, actor, changes: dict[str, Any], expected_version: int | None = None
) -> R:
    """Change fields of a record; ``expected_version`` makes the update optimistic."""
    record = _lock(record)
    if actor is not None:
        _require(perms.can_change_record(actor, record), _("You may not edit this record."))
    _check_version(record, expected_version)
    not_allowed = set(changes) - _editable_fields(record, actor)
    if not_allowed:
        raise ValidationError({name: _("You may not change this field.") for name in not_allowed})
    before = audit.snapshot(record)
    changes = dict(changes)
    many = _pop_many(type(record), changes)
    for name, value in changes.items():
        setattr(record, name, value)
    _clean(record, changes)
    record.validate_many(many)
    delta = audit.diff(before, audit.snapshot(record)) | set_many(record, many)
    if not delta:
        return record
    record.version += 1
    record.updated_at = timezone.now()
    record.save()
    audit.log(action=AuditAction.UPDATE, instance=record, actor=actor, changes=delta)
    add_timeline_event(record, TimelineKind.UPDATED, actor=actor, fields=sorted(delta))
    signals.record_updated.send(sender=type(record), record=record, actor=actor, changes=delta)
    return record


@transaction.atomic
def transition_record(
    record: R,
    name: str,
    *,
    actor,
    values: dict[str, Any] | None = None,
    comment: str = "",
    expected_version: int | None = None,
    on_decision: bool = False,
    locked: bool = False,
) -> R:
    """Move a record along its workflow, enforcing the declaration for every caller.

    ``on_decision``: the application performs an automatic transition because of
    ``actor``'s decision (a vote); ``actor`` is recorded but not checked against the
    transition's actors. ``locked``: the caller holds the row and ``record`` is current
    (created or locked in this transaction): it is moved on in place, without reading it
    again first.
    """
    if not locked:
        record = _lock(record)
    workflow = record.workflow
    transition = workflow.get(name)
    if transition is None:
        raise WorkflowError(_("Unknown action “%(name)s”.") % {"name": name}, "unknown_transition")
    if record.status not in transition.sources:
        raise WorkflowError(
            _("“%(action)s” is not possible while %(number)s is “%(status)s”.")
            % {"action": transition.label, "number": record.number,
               "status": record.status_label}
        )
    if actor is not None and not (on_decision and transition.automatic):
        _require(
            perms.can_view_record(actor, record) and transition.allowed_for(actor, record),
            _("You may not perform “%(action)s” on this record.") % {"action": transition.label},
        )
    _check_version(record, expected_version)
    values = dict(values or {})
    extra = set(values) - set(transition.fields)
    if extra:
        raise ValidationError(
            {n: _("This field cannot be set by “%(action)s”.") % {"action": transition.label}
             for n in extra}
        )
    before = audit.snapshot(record)
    for field_name, value in values.items():
        setattr(record, field_name, value)
    current = {f: getattr(record, f, None) for r in transition.required for f in r.split("|")}
    missing = transition.missing_fields(current)
    comment = (comment or "").strip()
    errors = {f: _("Required for “%(action)s”.") % {"action": transition.label} for f in missing}
    if transition.comment_required and not comment:
        errors["comment"] = _("Please give a reason for “%(action)s”.") % {
            "action": transition.label}
    if errors:
        raise ValidationError(errors)
    old_status = record.status
    record.status = transition.target
    if transition.stamp:
        setattr(record, transition.stamp, timezone.now())
    _clean(record, values)
    record.version += 1
    record.updated_at = timezone.now()
    record.save()
    audit.log(action=AuditAction.TRANSITION, instance=record, actor=actor,
              changes={"transition": name, **audit.diff(before, audit.snapshot(record))})
    add_timeline_event(record, TimelineKind.TRANSITIONED, actor=actor, transition=name,
                       old_status=old_status, new_status=record.status)
    signals.record_transitioned.send(sender=type(record), record=record, actor=actor,
                                     transition=name, old_status=old_status)
    if comment:
        add_comment(record, actor=actor, body=comment)
    reload(record)  # receivers may have moved it on (e.g. automatic approval)
    return record


@transaction.atomic
def add_comment(record: Record, *, actor, body: str, internal: bool = False) -> Comment:
    """Add a public reply or (staff only) an internal note."""
    if actor is not None:
        _require(perms.can_comment_record(actor, record), _("You may not comment on this record."))
        if internal:
            _require(perms.can_write_internal(actor, record),
                     _("Only service staff may write internal notes."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("The comment is empty.")})
    if len(body) > MAX_COMMENT_LENGTH:
        raise ValidationError({"body": _("The comment is longer than %(n)d characters.")
                               % {"n": MAX_COMMENT_LENGTH}})
    comment = Comment.objects.create(record=record, author=actor, body=body, internal=internal)
    type(record).objects.filter(pk=record.pk).update(updated_at=timezone.now())
    audit.log(action=AuditAction.CREATE, instance=comment, actor=actor,
              changes={"record": record.number, "internal": internal, "body": body},
              organization_id=record.organization_id)
    add_timeline_event(record, TimelineKind.COMMENTED, actor=actor, internal=internal,
                       comment_id=comment.pk)
    signals.comment_added.send(sender=type(record), record=record, actor=actor, comment=comment)
    return comment


#: Types a browser would render or execute; always served as opaque downloads.
ACTIVE_CONTENT_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/x-shockwave-flash",
})


def check_upload_size(size: int) -> None:
    if size > settings.MAX_UPLOAD_BYTES:
        raise UploadTooLarge(
            _("The file is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"size": size / 1048576, "limit": settings.MAX_UPLOAD_BYTES / 1048576}
        )


@transaction.atomic
def add_attachment(
    record: Record, *, actor, upload: UploadedFile, internal: bool = False
) -> Attachment:
    """Store an uploaded file under a generated name and attach it to the record."""
    if actor is not None:
        _require(perms.can_comment_record(actor, record),
                 _("You may not add attachments to this record."))
        if internal:
            _require(perms.can_write_internal(actor, record),
                     _("Only service staff may add internal attachments."))
    check_upload_size(upload.size)
    name = (upload.name or "").replace("\x00", "").strip()[-255:] or "attachment"
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    attachment = Attachment(
        record=record, original_name=name, size=upload.size, mime_type=mime,
        sha256=digest.hexdigest(), internal=internal, uploaded_by=actor,
    )
    attachment.file.save(name, upload, save=False)
    stored = attachment.file.name
    attachment.save()
    type(record).objects.filter(pk=record.pk).update(updated_at=timezone.now())
    audit.log(action=AuditAction.CREATE, instance=attachment, actor=actor,
              changes={"record": record.number, "file": name, "size": upload.size,
                       "sha256": attachment.sha256, "stored_as": stored},
              organization_id=record.organization_id)
    add_timeline_event(record, TimelineKind.ATTACHED, actor=actor, internal=internal,
                       attachment_id=attachment.pk, name=name)
    return attachment


@transaction.atomic
def delete_record(record: Record, *, actor) -> None:
    """Delete a record with its comments, attachments and timeline (administrators)."""
    if actor is not None:
        _require(perms.can_delete_record(actor, record), _("You may not delete this record."))
    record = _lock(record)
    check_deletable(record)
    files = [a.file.name for a in record.attachments.all()]
    audit.log(action=AuditAction.DELETE, instance=record, actor=actor,
              changes={k: [v, None] for k, v in audit.snapshot(record).items()})
    record_type = ContentType.objects.get_for_model(type(record))
    RecordLink.objects.filter(
        Q(source_type=record_type, source_id=record.pk)
        | Q(target_type=record_type, target_id=record.pk)).delete()
    record.delete()
    storage = Attachment._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
