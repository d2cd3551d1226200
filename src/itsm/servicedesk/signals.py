"""Service desk reactions to the core write path: SLA clocks follow every change; new
tickets are assigned automatically (REQ-3)."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from itsm.core import signals

from .models import Incident, Ticket

logger = logging.getLogger(__name__)

#: Ticket fields whose change moves the deadlines.
SLA_FIELDS = frozenset({"priority", "service_id", "organization_id"})


def _is_ticket(sender) -> bool:
    return isinstance(sender, type) and issubclass(sender, Ticket)


@receiver(signals.record_created)
def assign_new_ticket(sender, record, actor=None, **kwargs) -> None:
    """Automatic assignment (REQ-3) of a ticket created without a team or assignee.

    Connected before ``start_clocks``: the assignment's own transition recomputes the
    clocks, ``start_clocks`` then runs on the assigned ticket, and a major incident
    declared there inherits the team. A failed assignment leaves the ticket as created
    (its savepoint is rolled back) and is logged; it never prevents the creation.
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
def start_clocks(sender, record, actor=None, **kwargs) -> None:
    """Start the clocks of a new ticket. One that already left its initial status was
    assigned automatically, and that transition computed its clocks (``follow_status``)."""
    if _is_ticket(sender) and record.status == record.workflow.initial:
        from .sla import new_ticket_history, recompute_clocks

        recompute_clocks(record, history=new_ticket_history(record))
    if sender is Incident:
        from .major import declare_major_incident, qualifies_as_major

        if qualifies_as_major(record):
            declare_major_incident(record, actor=None)


@receiver(signals.record_transitioned)
def follow_status(sender, record, **kwargs) -> None:
    if _is_ticket(sender):
        from .sla import recompute_clocks

        recompute_clocks(record)


@receiver(signals.record_updated)
def follow_targets(sender, record, changes, **kwargs) -> None:
    if _is_ticket(sender) and SLA_FIELDS & set(changes):
        from .sla import recompute_clocks

        recompute_clocks(record)


@receiver(signals.comment_added)
def first_response(sender, record, comment, **kwargs) -> None:
    if _is_ticket(sender) and not comment.internal and record.first_response_at is None:
        from .sla import recompute_clocks

        recompute_clocks(record)
