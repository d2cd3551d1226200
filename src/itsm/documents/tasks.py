"""The documents' daily job: lent documents past their return date become overdue
(their reminders are ``core.reminders``' job)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource

from .loans import mark_overdue


@db_periodic_task(crontab(hour="0", minute="20"))
@lock_task("itsm-document-loans-overdue")
def mark_overdue_loans() -> int:
    """At 00:20: loans past their return date are marked overdue."""
    with audit_context(source=AuditSource.JOB):
        return mark_overdue()
