"""The nightly purge of closed records whose retention period is over (GEN-7); the
periods and the deletion check are ``retention``'s."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone

from . import audit, services
from .choices import AuditAction, AuditSource
from .exceptions import RetentionError
from .retention import check_deletable, expired_queryset, record_types_with_retention

logger = logging.getLogger(__name__)


def purge_expired(*, now: dt.datetime | None = None, dry_run: bool = False,
                  batch_size: int = 500, source: str = AuditSource.JOB) -> dict[str, int]:
    """Delete every closed record whose retention period is over (GEN-7).

    Only record types with a retention period are considered, and only records in a
    final status: an open record is never purged. Each deletion goes through
    ``services.delete_record`` under the audit ``source`` (the job by default), so it
    is audited like an administrator's; one summary entry follows. A record that cannot
    be deleted (retention check, protected references) is skipped and logged.
    ``dry_run`` only counts. Returns the number of (deletable) records per model label.
    """

    today = timezone.localdate(now) if now is not None else timezone.localdate()
    counts: dict[str, int] = {}
    skipped: dict[str, int] = {}
    with audit.audit_context(source=source):
        for model in record_types_with_retention():
            label = model._meta.label_lower
            counts[label] = 0
            queryset = expired_queryset(model, today)
            last_pk = 0
            while True:
                batch = list(queryset.filter(pk__gt=last_pk)[:batch_size])
                if not batch:
                    break
                last_pk = batch[-1].pk
                for record in batch:
                    until = record.retained_until
                    if not record.is_final or until is None or until > today:
                        continue
                    if dry_run:
                        counts[label] += 1
                        continue
                    try:
                        with transaction.atomic():
                            check_deletable(record)
                            services.delete_record(record, actor=None)
                    except (RetentionError, ProtectedError, RestrictedError) as exc:
                        skipped[label] = skipped.get(label, 0) + 1
                        logger.warning("purge-expired: %s %s skipped: %s",
                                       label, record.number, exc)
                        continue
                    counts[label] += 1
        if not dry_run and (any(counts.values()) or skipped):
            audit.log_event(
                action=AuditAction.DELETE, object_type="core.record", object_id="purge-expired",
                object_repr=f"purge of expired records: {sum(counts.values())} deleted",
                changes={"deleted": counts, "skipped": skipped,
                         "today": today.isoformat()})
    return counts
