"""Periodic SLA jobs: the escalation sweep and auto-closing resolved tickets.

Imported by ``ServicedeskConfig.ready`` so every process (web and consumer) registers
the same tasks; the consumer that runs periodic tasks schedules them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from itsm.core import services
from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource
from itsm.core.exceptions import WorkflowError

from .choices import TicketStatus
from .models import Incident, ServiceRequest
from .sla import sweep


@db_periodic_task(crontab(minute="*"))
@lock_task("itsm-sla-sweep")
def sla_sweep() -> dict[str, int]:
    """Every minute: SLA warnings, breaches and escalations that are due (SLM-7)."""

    with audit_context(source=AuditSource.JOB):
        return sweep()


def close_resolved(now: dt.datetime | None = None) -> int:
    """Close tickets resolved more than ``ITSM_AUTO_CLOSE_DAYS`` ago (REQ-4)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.ITSM_AUTO_CLOSE_DAYS)
    closed = 0
    with audit_context(source=AuditSource.JOB):
        for model in (ServiceRequest, Incident):
            for ticket in model.objects.filter(status=TicketStatus.RESOLVED,
                                               resolved_at__lt=cutoff):
                try:
                    services.transition_record(ticket, "close", actor=None)
                    closed += 1
                except WorkflowError:  # changed meanwhile: leave it
                    continue
    return closed


@db_periodic_task(crontab(minute="7"))
@lock_task("itsm-auto-close")
def auto_close_resolved() -> int:
    """Hourly: confirm and close tickets the customer left resolved."""
    return close_resolved()
