"""Problem statuses and lifecycle (PRB-1), declared as data."""

from django.utils.translation import gettext_lazy as _

from itsm.core.choices import ColoredTextChoices
from itsm.core.workflow import STAFF, Transition, Workflow


class ProblemStatus(ColoredTextChoices):
    NEW = "new", "info", _("New")
    ANALYSING = "analysing", "primary", _("Analysing")
    KNOWN_ERROR = "known_error", "warning", _("Known error")
    FIX_IN_PROGRESS = "fix_in_progress", "primary", _("Fix in progress")
    RESOLVED = "resolved", "success", _("Resolved")
    CLOSED = "closed", "secondary", _("Closed")
    CANCELLED = "cancelled", "secondary", _("Cancelled")


P = ProblemStatus

#: Statuses in which a problem is a known error (the workaround is published).
KNOWN_ERROR_STATUSES = frozenset({P.KNOWN_ERROR, P.FIX_IN_PROGRESS, P.RESOLVED, P.CLOSED})

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
