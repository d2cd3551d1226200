"""The monthly complaint report, mailed to management with the XLSX attached."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource

from .reports import send_monthly_reports


@db_periodic_task(crontab(day="1", hour="8", minute="15"))
@lock_task("itsm-complaint-report")
def monthly_complaint_report() -> int:
    """On the 1st at 08:15: last month's complaint report to each provider's management."""
    with audit_context(source=AuditSource.JOB):
        return send_monthly_reports()
