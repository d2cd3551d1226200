"""Periodic survey jobs: reminders to recipients who have not answered, and closing
campaigns past their close time (imported by ``registrations``, so every process
registers the same tasks)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource

from . import services


@db_periodic_task(crontab(minute="15", hour="9"))
@lock_task("itsm-survey-reminders")
def survey_reminders() -> dict[str, int]:
    """Every morning at 09:15: close due campaigns, remind those who have not answered."""
    with audit_context(source=AuditSource.JOB):
        return {"closed": services.close_due_campaigns(),
                "reminded": services.remind_unanswered()}
