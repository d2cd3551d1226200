"""Service desk reactions to the core write path: SLA clocks follow every change."""

from __future__ import annotations

from django.dispatch import receiver

from itsm.core import signals

from .models import Incident, Ticket

#: Ticket fields whose change moves the deadlines.
SLA_FIELDS = frozenset({"priority", "service_id", "organization_id"})


def _is_ticket(sender) -> bool:
    return isinstance(sender, type) and issubclass(sender, Ticket)


@receiver(signals.record_created)
def start_clocks(sender, record, actor=None, **kwargs) -> None:
    if _is_ticket(sender):
        from .sla import recompute_clocks

        recompute_clocks(record)
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
