"""The audit log: who did what, when, from where, with the field diff.

Entries are appended in the same transaction as the change they describe, so a
rolled-back change leaves no entry. Appends are serialized through the chain head
row (``SELECT … FOR UPDATE``), which makes the hash chain linear under concurrency.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from .choices import AuditAction, AuditSource
from .models import AuditChainHead, AuditEntry, display_name

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditContext:
    source: str = AuditSource.CLI
    ip_address: str | None = None


DEFAULT_CONTEXT = AuditContext()
_context: ContextVar[AuditContext | None] = ContextVar("itsm_audit_context", default=None)


def current_context() -> AuditContext:
    return _context.get() or DEFAULT_CONTEXT


@contextlib.contextmanager
def audit_context(**changes: Any) -> Iterator[AuditContext]:
    """Run a block with a different audit source/IP (jobs, email intake, imports)."""
    token = _context.set(replace(current_context(), **changes))
    try:
        yield current_context()
    finally:
        _context.reset(token)


def set_context(ctx: AuditContext):
    return _context.set(ctx)


def reset_context(token) -> None:
    _context.reset(token)


def to_json_value(value: Any) -> Any:
    """A JSON-native, stable representation of a field value for diffs and hashing."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            return value.astimezone(dt.UTC).isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Concrete field values of an instance, by attribute name (``requester_id``)."""
    return {
        f.attname: to_json_value(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _entry_hash(entry: AuditEntry) -> str:
    payload = {
        "occurred_at": to_json_value(entry.occurred_at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "source": entry.source,
        "ip_address": entry.ip_address,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "organization_id": entry.organization_id,
        "changes": entry.changes,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def log(
    *,
    action: str,
    instance: models.Model,
    actor=None,
    changes: dict[str, Any] | None = None,
    organization_id: int | None = None,
) -> AuditEntry:
    """Append one entry for ``instance``; call inside the transaction of the change."""
    return log_event(
        action=action, object_type=instance._meta.label_lower, object_id=str(instance.pk),
        object_repr=str(instance), actor=actor, changes=changes,
        organization_id=organization_id or getattr(instance, "organization_id", None),
    )


def log_event(
    *,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    actor=None,
    changes: dict[str, Any] | None = None,
    organization_id: int | None = None,
) -> AuditEntry:
    """Append one entry to the chain (serialized by the locked chain head row)."""
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return log_event(action=action, object_type=object_type, object_id=object_id,
                             object_repr=object_repr, actor=actor, changes=changes,
                             organization_id=organization_id)
    ctx = current_context()
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH)
    entry = AuditEntry(
        occurred_at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_name=display_name(actor)[:150] if actor is not None else "",
        source=ctx.source,
        ip_address=ctx.ip_address,
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        object_repr=object_repr[:255],
        organization_id=organization_id,
        changes=to_json_value(changes or {}),
        prev_hash=head.last_hash,
    )
    entry.hash = _entry_hash(entry)
    entry.save()
    AuditChainHead.objects.filter(pk=1).update(last_hash=entry.hash)
    return entry


def log_read(instance: models.Model, actor, what: str) -> AuditEntry:
    """Record a sensitive read (attachment download, export)."""
    record = getattr(instance, "record", None)
    return log(action=AuditAction.READ, instance=instance, actor=actor, changes={"read": what},
               organization_id=getattr(record, "organization_id", None))


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    broken_entry: AuditEntry | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def verify_chain(batch_size: int = 2000) -> VerifyResult:
    """Walk the chain oldest first; report the first entry that does not verify."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.prev_hash != expected_prev:
                return VerifyResult(
                    checked, entry, "previous-hash link broken (an entry was removed or reordered)"
                )
            if _entry_hash(entry) != entry.hash:
                return VerifyResult(checked, entry, "content does not match its hash")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != expected_prev:
        return VerifyResult(checked, None, "the newest entries were removed (chain head differs)")
    return VerifyResult(checked)
