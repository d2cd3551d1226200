"""Ticket statuses and lifecycle (REQ-4, INC-3; declared as data), channels, SLA and
intake choices of the service desk."""

from dataclasses import replace

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from itsm.core.choices import ColoredTextChoices
from itsm.core.workflow import REQUESTER, STAFF, Transition, Workflow


class TicketStatus(ColoredTextChoices):
    NEW = "new", "info", _("New")
    ASSIGNED = "assigned", "primary", _("Assigned")
    IN_PROGRESS = "in_progress", "primary", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", "warning", _("Waiting for customer")
    WAITING_THIRD_PARTY = "waiting_third_party", "warning", _("Waiting for third party")
    RESOLVED = "resolved", "success", _("Resolved")
    CLOSED = "closed", "secondary", _("Closed")
    CANCELLED = "cancelled", "secondary", _("Cancelled")


class RequestStatus(ColoredTextChoices):
    """A service request's statuses: an incident's, and the wait for the approvals its
    request type requires before fulfilment."""

    NEW = "new", "info", _("New")
    PENDING_APPROVAL = "pending_approval", "warning", _("Awaiting approval")
    ASSIGNED = "assigned", "primary", _("Assigned")
    IN_PROGRESS = "in_progress", "primary", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", "warning", _("Waiting for customer")
    WAITING_THIRD_PARTY = "waiting_third_party", "warning", _("Waiting for third party")
    RESOLVED = "resolved", "success", _("Resolved")
    CLOSED = "closed", "secondary", _("Closed")
    CANCELLED = "cancelled", "secondary", _("Cancelled")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IM = "im", _("IM / chat")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


S = TicketStatus

TICKET_WORKFLOW = Workflow(
    statuses=S,
    initial=S.NEW,
    final=frozenset({S.CLOSED, S.CANCELLED}),
    paused=frozenset({S.WAITING_CUSTOMER, S.WAITING_THIRD_PARTY}),
    transitions=(
        Transition("assign", _("Assign"), (S.NEW, S.ASSIGNED, S.IN_PROGRESS), S.ASSIGNED,
                   frozenset({STAFF}), fields=("assignee_team", "assignee"),
                   required=("assignee_team|assignee",)),
        Transition("start", _("Start work"), (S.NEW, S.ASSIGNED), S.IN_PROGRESS,
                   frozenset({STAFF}), fields=("assignee",), required=("assignee",)),
        Transition("ask_customer", _("Ask customer"), (S.IN_PROGRESS,), S.WAITING_CUSTOMER,
                   frozenset({STAFF}), comment_required=True, style="warning"),
        Transition("wait_third_party", _("Wait for third party"), (S.IN_PROGRESS,),
                   S.WAITING_THIRD_PARTY, frozenset({STAFF}), comment_required=True,
                   style="warning"),
        Transition("customer_replied", _("Customer replied"), (S.WAITING_CUSTOMER,),
                   S.IN_PROGRESS, frozenset({STAFF, REQUESTER})),
        Transition("third_party_replied", _("Third party replied"), (S.WAITING_THIRD_PARTY,),
                   S.IN_PROGRESS, frozenset({STAFF})),
        Transition("resolve", _("Resolve"), (S.IN_PROGRESS,), S.RESOLVED,
                   frozenset({STAFF}), fields=("resolution",), required=("resolution",),
                   stamp="resolved_at", style="success"),
        Transition("reopen", _("Reopen"), (S.RESOLVED,), S.IN_PROGRESS,
                   frozenset({STAFF, REQUESTER}), comment_required=True, style="warning"),
        Transition("close", _("Confirm and close"), (S.RESOLVED,), S.CLOSED,
                   frozenset({STAFF, REQUESTER}), stamp="closed_at", style="success"),
        Transition("cancel", _("Cancel"), (S.NEW, S.ASSIGNED), S.CANCELLED,
                   frozenset({STAFF, REQUESTER}), comment_required=True, stamp="closed_at",
                   style="danger"),
    ),
)
R = RequestStatus
#: A service request's lifecycle: an incident's, plus the approvals of its request type
#: (the clocks pause while it waits for them) and its fulfilment by the tasks of the
#: type's template, all performed by the application on people's decisions.
SERVICE_REQUEST_WORKFLOW = Workflow(
    statuses=R,
    initial=R.NEW,
    final=TICKET_WORKFLOW.final,
    paused=TICKET_WORKFLOW.paused | {R.PENDING_APPROVAL},
    transitions=(
        *(replace(t, sources=(*t.sources, R.PENDING_APPROVAL)) if t.name == "cancel" else t
          for t in TICKET_WORKFLOW.transitions),
        Transition("await_approval", _("Wait for approval"), (R.NEW,), R.PENDING_APPROVAL,
                   frozenset({STAFF}), automatic=True, style="warning"),
        Transition("approved", _("Approved"), (R.PENDING_APPROVAL,), R.NEW,
                   frozenset({STAFF}), automatic=True, style="success"),
        Transition("approval_rejected", _("Approval rejected"), (R.PENDING_APPROVAL,),
                   R.CANCELLED, frozenset({STAFF}), automatic=True, stamp="closed_at",
                   style="danger"),
        Transition("fulfil", _("Fulfilled by its tasks"), (R.NEW, R.ASSIGNED, R.IN_PROGRESS),
                   R.RESOLVED, frozenset({STAFF}), fields=("resolution",),
                   required=("resolution",), automatic=True, stamp="resolved_at",
                   style="success"),
    ),
)
#: Statuses outside the agent's work queues; the partial index on due times uses the
#: same list, so the queue queries can use that index (keep the order).
NOT_IN_QUEUE = ("resolved", "closed", "cancelled")


class MajorIncidentStatus(ColoredTextChoices):
    DECLARED = "declared", "danger", _("Declared")
    RESPONDING = "responding", "warning", _("Responding")
    ANALYSING = "analysing", "info", _("Analysing")
    CLOSED = "closed", "secondary", _("Closed")


M = MajorIncidentStatus

MAJOR_INCIDENT_WORKFLOW = Workflow(
    statuses=M,
    initial=M.DECLARED,
    final=frozenset({M.CLOSED}),
    transitions=(
        Transition("respond", _("Start response"), (M.DECLARED,), M.RESPONDING,
                   frozenset({STAFF})),
        Transition("recover", _("Service recovered"), (M.RESPONDING,), M.ANALYSING,
                   frozenset({STAFF}), fields=("event_report",), required=("event_report",),
                   stamp="recovered_at", style="success"),
        Transition("close", _("Close with analysis report"), (M.ANALYSING,), M.CLOSED,
                   frozenset({"team_lead", "quality_manager", "administrator"}),
                   fields=("analysis_report",), required=("analysis_report",),
                   stamp="closed_at", style="success"),
    ),
)


class ClockKind(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


class ClockState(ColoredTextChoices):
    """Where an SLA clock stands (``SLAClock.state``): stopped within or after its target,
    paused, or running (a running clock past its due time has breached it)."""

    MET = "met", "success", _("met")
    BREACHED = "breached", "danger", _("breached")
    PAUSED = "paused", "secondary", _("paused")
    RUNNING = "running", "primary", _("running")


class InboundMailStatus(models.TextChoices):
    CREATED = "created", _("Ticket created")
    COMMENTED = "commented", _("Comment added")
    QUARANTINED = "quarantined", _("Quarantined")
    IGNORED = "ignored", _("Ignored")


class AlertSource(models.TextChoices):
    PROMETHEUS = "prometheus", _("Prometheus Alertmanager")
    ZABBIX = "zabbix", _("Zabbix")
    GENERIC = "generic", _("Generic JSON")


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", pgettext_lazy("alert status", "Recovered")


class ApprovalDecision(models.TextChoices):
    PENDING = "pending", pgettext_lazy("approval decision", "Pending")
    APPROVED = "approved", pgettext_lazy("approval decision", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval decision", "Rejected")
    SKIPPED = "skipped", _("Not needed")


class TaskStatus(ColoredTextChoices):
    OPEN = "open", "primary", _("Open")
    DONE = "done", "success", _("Done")
    CANCELLED = "cancelled", "secondary", _("Cancelled")
