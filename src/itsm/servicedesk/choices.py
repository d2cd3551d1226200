"""Statuses, lifecycle (REQ-4, declared as data) and channels of service requests."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.workflow import REQUESTER, STAFF, Transition, Workflow


class RequestStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


STATUS_COLORS = {
    RequestStatus.NEW: "info",
    RequestStatus.ASSIGNED: "primary",
    RequestStatus.IN_PROGRESS: "primary",
    RequestStatus.WAITING_CUSTOMER: "warning",
    RequestStatus.RESOLVED: "success",
    RequestStatus.CLOSED: "secondary",
    RequestStatus.CANCELLED: "secondary",
}


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IM = "im", _("IM / chat")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


S = RequestStatus

SERVICE_REQUEST_WORKFLOW = Workflow(
    statuses=S,
    initial=S.NEW,
    final=frozenset({S.CLOSED, S.CANCELLED}),
    transitions=(
        Transition("assign", _("Assign"), (S.NEW, S.ASSIGNED, S.IN_PROGRESS), S.ASSIGNED,
                   frozenset({STAFF}), fields=("assignee_team", "assignee"),
                   required=("assignee_team|assignee",)),
        Transition("start", _("Start work"), (S.NEW, S.ASSIGNED), S.IN_PROGRESS,
                   frozenset({STAFF}), fields=("assignee",), required=("assignee",)),
        Transition("ask_customer", _("Ask customer"), (S.IN_PROGRESS,), S.WAITING_CUSTOMER,
                   frozenset({STAFF}), comment_required=True, style="warning"),
        Transition("customer_replied", _("Customer replied"), (S.WAITING_CUSTOMER,),
                   S.IN_PROGRESS, frozenset({STAFF, REQUESTER})),
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
