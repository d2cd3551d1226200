"""Service desk reactions to the core write path: SLA clocks follow every change; new
tickets are assigned automatically (REQ-3)."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from itsm.core import signals

from .models import Incident, Ticket

logger = logging.getLogger(__name__)

def _is_ticket(sender) -> bool:
    return isinstance(sender, type) and issubclass(sender, Ticket)


# The receivers of ``record_created`` run in this order: clocks, assignment, major incident.


@receiver(signals.record_created)
def start_clocks(sender, record, actor=None, **kwargs) -> None:
    """Start the clocks of a new ticket (planned before its insert; ``sla``)."""
    if _is_ticket(sender):
        from .sla import start_new_clocks

        start_new_clocks(record)


@receiver(signals.record_created)
def assign_new_ticket(sender, record, actor=None, **kwargs) -> None:
    """Automatic assignment (REQ-3) of a ticket created without a team or assignee.

    A failed assignment leaves the ticket as created (its savepoint is rolled back) and
    is logged; it never prevents the creation.
    """
    if not _is_ticket(sender):
        return
    from django.core.exceptions import PermissionDenied, ValidationError

    from itsm.core.exceptions import WorkflowError

    from .services import assign_automatically

    try:
        assign_automatically(record)
    except (ValidationError, WorkflowError, PermissionDenied):
        logger.warning("Automatic assignment of %s failed", record.number, exc_info=True)


@receiver(signals.record_created)
def declare_major(sender, record, actor=None, **kwargs) -> None:
    """A new incident that qualifies becomes a major incident (after its assignment, so
    that the major incident inherits the team)."""
    if sender is Incident:
        from .major import declare_major_incident, qualifies_as_major

        if qualifies_as_major(record):
            declare_major_incident(record, actor=None)


@receiver(signals.record_transitioned)
def follow_status(sender, record, actor=None, transition="", old_status="", **kwargs) -> None:
    if _is_ticket(sender):
        from .sla import moves_clocks, recompute_clocks

        if moves_clocks(record, old_status, transition, actor):
            recompute_clocks(record)


@receiver(signals.record_updated)
def follow_targets(sender, record, changes, **kwargs) -> None:
    from .sla import SLA_FIELDS, recompute_clocks

    if _is_ticket(sender) and SLA_FIELDS & set(changes):
        recompute_clocks(record)


@receiver(signals.comment_added)
def first_response(sender, record, comment, **kwargs) -> None:
    if _is_ticket(sender) and not comment.internal and record.first_response_at is None:
        from .sla import recompute_clocks

        recompute_clocks(record)
