"""The daily evaluation of quality targets (``targets.evaluate``) and the effect check
of improvement plans (``improvement.check_due_effects``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource

from .improvement import check_due_effects
from .targets import evaluate


@db_periodic_task(crontab(hour="6", minute="10"))
@lock_task("itsm-quality-targets")
def evaluate_quality_targets() -> int:
    """Daily at 06:10: every target's last complete period not evaluated yet (a period
    that ended overnight is evaluated the morning after)."""
    with audit_context(source=AuditSource.JOB):
        return len(evaluate())


@db_periodic_task(crontab(hour="6", minute="20"))
@lock_task("itsm-improvement-effects")
def check_improvement_effects() -> int:
    """Daily at 06:20: the effect of every improvement plan whose evaluation date ended
    (once per plan: a second worker finds it checked and tells nobody again)."""
    with audit_context(source=AuditSource.JOB):
        return check_due_effects()
