"""The daily evaluation of quality targets (``targets.evaluate``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource

from .targets import evaluate


@db_periodic_task(crontab(hour="6", minute="10"))
@lock_task("itsm-quality-targets")
def evaluate_quality_targets() -> int:
    """Daily at 06:10: every target's last complete period not evaluated yet (a period
    that ended overnight is evaluated the morning after)."""
    with audit_context(source=AuditSource.JOB):
        return len(evaluate())
