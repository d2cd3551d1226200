"""The service desk's reactions to the core write path (imported by
``ServicedeskConfig.ready``). ``core.reactions`` declares the order of the steps; this
module says what each step does for tickets (every concrete ``Ticket`` model).

A new ticket gets its priority from the impact × urgency matrix (``record_preparing``)
and its SLA clocks planned (``record_inserting``) before it is inserted; then
(``record_created``), in that order:

1. ``clocks``: its SLA clocks, planned before the insert, are stored (``sla``);
2. ``assignment``: created without a team or assignee, it is assigned (REQ-3);
3. ``major_incident``: an incident that qualifies (紧急 on a 7×24 service) becomes a
   major incident, after its assignment so that the major incident inherits the team
   (INC-5);
4. ``notifications``: the requester hears of receipt (``notify``), once the assignee
   and the due time are known.

Afterwards: a change of an SLA field, a transition that can move the clocks and the first
public reply recompute the clocks; a reply by the requester's side resumes a ticket
waiting for the customer (whether it comes by portal, API or email), so the clock
restarts without an agent having to notice; transitions and public replies notify
(``notify``) after both.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError

from itsm.catalog.services import priority_for
from itsm.core import rules, services, signals
from itsm.core.exceptions import WorkflowError
from itsm.core.reactions import reaction

from . import fulfilment, notify
from .choices import TicketStatus
from .major import declare_major_incident, qualifies_as_major
from .models import Incident, ServiceRequest, Ticket
from .services import assign_automatically
from .sla import SLA_FIELDS, moves_clocks, plan_new_clocks, recompute_clocks, start_new_clocks

logger = logging.getLogger(__name__)

#: Every concrete ticket model (service requests and incidents).
TICKETS = tuple(model for model in apps.get_models() if issubclass(model, Ticket))


# --- A new ticket ---------------------------------------------------------------------------


@reaction(signals.record_preparing, "defaults", sender=TICKETS)
def priority_from_matrix(sender, record, actor=None, provided=frozenset(), **kwargs) -> None:
    """Priority from the impact × urgency matrix unless the caller chose one (INC-2)."""
    if "priority" not in provided and record.organization_id:
        record.priority = priority_for(record.organization, record.impact, record.urgency)


@reaction(signals.record_preparing, "request_type", sender=ServiceRequest)
def check_request_type(sender, record, actor=None, provided=frozenset(), **kwargs) -> None:
    """A request of a catalogue type: the type is one its organization may ask for, its
    service is the type's, its own fields are valid and someone can approve it."""
    fulfilment.prepare(record, actor)


@reaction(signals.record_inserting, "clocks", sender=TICKETS)
def plan_clocks(sender, record, actor=None, **kwargs) -> None:
    """The SLA clocks, so that the insert carries the policy and due time."""
    plan_new_clocks(record)


@reaction(signals.record_created, "clocks", sender=TICKETS)
def start_clocks(sender, record, actor=None, **kwargs) -> None:
    """Start the clocks of a new ticket (planned before its insert; ``sla``)."""

    start_new_clocks(record)


@reaction(signals.record_created, "request_type", sender=ServiceRequest)
def begin_request_type(sender, record, actor=None, **kwargs) -> None:
    """A request of a catalogue request type waits for its approvals (it is assigned
    once they are given) or gets its fulfilment tasks (``fulfilment``)."""
    if record.request_type_id:
        fulfilment.begin(record)


@reaction(signals.record_created, "assignment", sender=TICKETS)
def assign_new_ticket(sender, record, actor=None, **kwargs) -> None:
    """Automatic assignment (REQ-3) of a ticket created without a team or assignee.

    A failed assignment leaves the ticket as created (its savepoint is rolled back) and
    is logged; it never prevents the creation.
    """

    try:
        assign_automatically(record)
    except (ValidationError, WorkflowError, PermissionDenied):
        logger.warning("Automatic assignment of %s failed", record.number, exc_info=True)


@reaction(signals.record_created, "major_incident", sender=Incident)
def declare_major(sender, record, actor=None, **kwargs) -> None:
    """A new incident that qualifies becomes a major incident (after its assignment, so
    that the major incident inherits the team)."""

    if qualifies_as_major(record):
        declare_major_incident(record, actor=None)


@reaction(signals.record_created, "notifications", sender=TICKETS)
def notify_created(sender, record, actor=None, **kwargs) -> None:
    notify.created(record, actor)


# --- Changes, transitions, replies ----------------------------------------------------------


@reaction(signals.record_updated, "clocks", sender=TICKETS)
def follow_targets(sender, record, changes, **kwargs) -> None:
    if SLA_FIELDS & set(changes):
        recompute_clocks(record)


@reaction(signals.record_transitioned, "clocks", sender=TICKETS)
def follow_status(sender, record, actor=None, transition="", old_status="", **kwargs) -> None:
    if moves_clocks(record, old_status, transition, actor):
        recompute_clocks(record)


@reaction(signals.record_transitioned, "notifications", sender=TICKETS)
def notify_transitioned(sender, record, actor=None, transition="", **kwargs) -> None:
    notify.transitioned(record, actor, transition)


@reaction(signals.comment_added, "resume", sender=TICKETS)
def resume_on_customer_reply(sender, record, comment, actor=None, **kwargs) -> None:
    """A reply by the requester's side while the ticket waits for the customer resumes it
    (transition ``customer_replied``)."""
    if (comment.internal or actor is None or record.status != TicketStatus.WAITING_CUSTOMER
            or not rules.is_requester_side(actor, record)):
        return
    fresh = type(record).objects.get(pk=record.pk)
    if fresh.status == TicketStatus.WAITING_CUSTOMER:
        services.transition_record(fresh, "customer_replied", actor=actor)


@reaction(signals.comment_added, "clocks", sender=TICKETS)
def first_response(sender, record, comment, **kwargs) -> None:
    if not comment.internal and record.first_response_at is None:

        recompute_clocks(record)


@reaction(signals.comment_added, "notifications", sender=TICKETS)
def notify_commented(sender, record, comment, actor=None, **kwargs) -> None:
    notify.commented(record, comment, actor)
