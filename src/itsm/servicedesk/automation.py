"""Small automatic steps of the ticket lifecycle.

- A reply by the requester's side while the ticket waits for the customer resumes it
  (transition "customer_replied"), whether it arrives by portal, API or email, so the
  SLA clock restarts without an agent having to notice.
"""

from __future__ import annotations

from django.dispatch import receiver

from itsm.core import rules, services, signals

from .choices import TicketStatus
from .models import Ticket


@receiver(signals.comment_added)
def resume_on_customer_reply(sender, record, comment, actor=None, **kwargs) -> None:
    if not (isinstance(sender, type) and issubclass(sender, Ticket)):
        return
    if (comment.internal or actor is None or record.status != TicketStatus.WAITING_CUSTOMER
            or not rules.is_requester_side(actor, record)):
        return
    fresh = type(record).objects.get(pk=record.pk)
    if fresh.status == TicketStatus.WAITING_CUSTOMER:
        services.transition_record(fresh, "customer_replied", actor=actor)
