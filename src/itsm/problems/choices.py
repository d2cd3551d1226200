"""Problem statuses and lifecycle (PRB-1), declared as data."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.workflow import STAFF, Transition, Workflow


class ProblemStatus(models.TextChoices):
    NEW = "new", _("New")
    ANALYSING = "analysing", _("Analysing")
    KNOWN_ERROR = "known_error", _("Known error")
    FIX_IN_PROGRESS = "fix_in_progress", _("Fix in progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


P = ProblemStatus

#: Statuses in which a problem is a known error (the workaround is published).
KNOWN_ERROR_STATUSES = frozenset({P.KNOWN_ERROR, P.FIX_IN_PROGRESS, P.RESOLVED, P.CLOSED})

STATUS_COLORS = {
    P.NEW: "info",
    P.ANALYSING: "primary",
    P.KNOWN_ERROR: "warning",
    P.FIX_IN_PROGRESS: "primary",
    P.RESOLVED: "success",
    P.CLOSED: "secondary",
    P.CANCELLED: "secondary",
}

PROBLEM_WORKFLOW = Workflow(
    statuses=P,
    initial=P.NEW,
    final=frozenset({P.CLOSED, P.CANCELLED}),
    transitions=(
        Transition("analyse", _("Start analysis"), (P.NEW,), P.ANALYSING, frozenset({STAFF}),
                   fields=("assignee_team", "assignee", "root_cause")),
        Transition("known_error", _("Record as known error"), (P.ANALYSING,), P.KNOWN_ERROR,
                   frozenset({STAFF}), fields=("workaround", "root_cause"),
                   required=("workaround",), style="warning"),
        Transition("start_fix", _("Start fix"), (P.ANALYSING, P.KNOWN_ERROR),
                   P.FIX_IN_PROGRESS, frozenset({STAFF}),
                   fields=("fix_description", "root_cause")),
        Transition("resolve", _("Resolve"), (P.FIX_IN_PROGRESS,), P.RESOLVED,
                   frozenset({STAFF}), fields=("fix_description", "root_cause"),
                   stamp="resolved_at", style="success"),
        Transition("close", _("Close"), (P.RESOLVED,), P.CLOSED, frozenset({STAFF}),
                   fields=("root_cause", "fix_description", "accepted_risk"),
                   # "a fix or an accepted risk" is checked by Problem.clean, which
                   # names both fields (a "a|b" requirement would name only the first).
                   required=("root_cause",),
                   stamp="closed_at", style="success"),
        Transition("cancel", _("Cancel"), (P.NEW, P.ANALYSING), P.CANCELLED,
                   frozenset({STAFF}), comment_required=True, stamp="closed_at",
                   style="danger"),
    ),
)
