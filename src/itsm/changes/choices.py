"""Change types, scales, risk levels, approval stages and the change lifecycle
(CHG-1..5), declared as data."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from itsm.core.choices import ColoredTextChoices, Role
from itsm.core.workflow import STAFF, Transition, Workflow


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("Standard change")
    NORMAL = "normal", _("Normal change")
    EMERGENCY = "emergency", _("Emergency change")


class ChangeScale(models.TextChoices):
    """How big a change is; decides who approves it (CHG-3)."""

    ORDINARY = "ordinary", _("Ordinary")
    MAJOR = "major", _("Major")
    PARTICULARLY_MAJOR = "particularly_major", _("Particularly major")


class Likelihood(models.IntegerChoices):
    RARE = 1, _("Rare")
    UNLIKELY = 2, _("Unlikely")
    LIKELY = 3, _("Likely")
    ALMOST_CERTAIN = 4, _("Almost certain")


class ImpactLevel(models.IntegerChoices):
    MINOR = 1, _("Minor")
    MODERATE = 2, _("Moderate")
    MAJOR = 3, _("Major")
    SEVERE = 4, _("Severe")


class RiskLevel(ColoredTextChoices):
    """Colours of the risk matrix and the risk badge: green, yellow, red, black."""

    LOW = "low", "success", _("Low")
    MEDIUM = "medium", "warning", _("Medium")
    HIGH = "high", "danger", _("High")
    VERY_HIGH = "very_high", "dark", _("Very high")


R = RiskLevel
#: Likelihood (rows, 1–4) × impact (columns, 1–4) → risk level.
DEFAULT_RISK_MATRIX = (
    (R.LOW, R.LOW, R.MEDIUM, R.HIGH),
    (R.LOW, R.MEDIUM, R.HIGH, R.HIGH),
    (R.MEDIUM, R.HIGH, R.HIGH, R.VERY_HIGH),
    (R.HIGH, R.HIGH, R.VERY_HIGH, R.VERY_HIGH),
)
#: Risk level → scale when the change manager does not set one.
DEFAULT_SCALE_BY_RISK = {
    R.LOW: ChangeScale.ORDINARY,
    R.MEDIUM: ChangeScale.ORDINARY,
    R.HIGH: ChangeScale.MAJOR,
    R.VERY_HIGH: ChangeScale.PARTICULARLY_MAJOR,
}


class Outcome(models.TextChoices):
    SUCCESS = "success", _("Successful")
    FAILED = "failed", pgettext_lazy("change outcome", "Failed")
    BACKED_OUT = "backed_out", _("Backed out")


class Stage(models.TextChoices):
    """One step of the approval of a change."""

    DEPARTMENT_HEAD = "department_head", _("Department head")
    CAB = "cab", _("IT service management committee (CAB)")
    SENIOR_MANAGEMENT = "senior_management", _("Senior management")
    EMERGENCY = "emergency", _("Emergency approver")
    RETROSPECTIVE = "retrospective", _("Retrospective CAB review")


#: Stages decided by the votes of a board (quorum and majority); the others are
#: decided by the first approver who votes.
BOARD_STAGES = frozenset({Stage.CAB, Stage.RETROSPECTIVE})

#: Scale → approval stages in order; the default of ``ITSM_CHANGE_APPROVAL_TIERS``
#: (GB/T 28827 manuals: ordinary → department head, major → the IT service management
#: committee, particularly major → senior management after the committee).
DEFAULT_APPROVAL_TIERS = {
    ChangeScale.ORDINARY: [Stage.DEPARTMENT_HEAD],
    ChangeScale.MAJOR: [Stage.CAB],
    ChangeScale.PARTICULARLY_MAJOR: [Stage.CAB, Stage.SENIOR_MANAGEMENT],
}


class ApprovalStatus(ColoredTextChoices):
    PENDING = "pending", "warning", pgettext_lazy("approval", "Pending")
    APPROVED = "approved", "success", _("Approved")
    REJECTED = "rejected", "danger", _("Rejected")
    #: The change was withdrawn or returned before this step was decided.
    CANCELLED = "cancelled", "secondary", _("Cancelled")


class VoteDecision(ColoredTextChoices):
    APPROVE = "approve", "success", _("Approve")
    REJECT = "reject", "danger", _("Reject")
    ABSTAIN = "abstain", "secondary", _("Abstain")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("meeting", "Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DEFERRED = "deferred", _("Deferred")
    NOTED = "noted", _("Noted")


class ChangeStatus(ColoredTextChoices):
    DRAFT = "draft", "secondary", _("Draft")
    ASSESSMENT = "assessment", "info", _("Assessment")
    APPROVAL = "approval", "warning", _("Awaiting approval")
    APPROVED = "approved", "primary", _("Approved")
    SCHEDULED = "scheduled", "primary", _("Scheduled")
    IMPLEMENTING = "implementing", "danger", _("Implementing")
    VERIFICATION = "verification", "info", _("Verification")
    REVIEW = "review", "info", _("Post-implementation review")
    CLOSED = "closed", "success", _("Closed")
    CANCELLED = "cancelled", "secondary", _("Cancelled")


S = ChangeStatus

#: Who assesses, schedules and closes changes.
MANAGERS = frozenset({Role.CHANGE_MANAGER, Role.ADMINISTRATOR})

ASSESSMENT_FIELDS = ("likelihood", "impact", "scale", "impact_business",
                     "impact_technology", "impact_security", "impact_cost")
VERIFICATION_FIELDS = ("verification_function", "verification_performance",
                       "verification_security", "outcome")

CHANGE_WORKFLOW = Workflow(
    statuses=S,
    initial=S.DRAFT,
    final=frozenset({S.CLOSED, S.CANCELLED}),
    transitions=(
        # The requester (or any staff member) submits; ``Change.clean`` checks that the
        # request is complete. Standard and emergency changes skip ahead in services.
        Transition("submit", _("Submit"), (S.DRAFT,), S.ASSESSMENT, frozenset({STAFF}),
                   required=("reason", "implementation_plan", "backout_plan",
                             "planned_start", "planned_end")),
        Transition("assess", _("Record risk assessment"), (S.ASSESSMENT,), S.APPROVAL,
                   MANAGERS, fields=ASSESSMENT_FIELDS,
                   required=("likelihood", "impact", "impact_business", "impact_technology",
                             "impact_security", "impact_cost"),
                   stamp="assessed_at", style="warning"),
        # Decided by votes (services.approvals), never offered as a button.
        Transition("approve", _("Approved"), (S.APPROVAL, S.ASSESSMENT), S.APPROVED,
                   frozenset(), stamp="approved_at", style="success", automatic=True),
        Transition("reject", _("Rejected: returned to the requester"), (S.APPROVAL,),
                   S.DRAFT, frozenset(), style="danger", automatic=True),
        Transition("schedule", _("Schedule"), (S.APPROVED, S.SCHEDULED), S.SCHEDULED,
                   MANAGERS, fields=("planned_start", "planned_end"),
                   required=("planned_start", "planned_end")),
        Transition("start", _("Start implementation"), (S.SCHEDULED,),
                   S.IMPLEMENTING, frozenset({STAFF}), stamp="actual_start",
                   style="danger"),
        Transition("complete", _("Implementation finished"), (S.IMPLEMENTING,),
                   S.VERIFICATION, frozenset({STAFF}), stamp="actual_end"),
        Transition("back_out", _("Back out"), (S.IMPLEMENTING,), S.VERIFICATION,
                   frozenset({STAFF}), comment_required=True, stamp="actual_end",
                   style="danger"),
        Transition("verify", _("Record verification"), (S.VERIFICATION,), S.REVIEW,
                   frozenset({STAFF}), fields=VERIFICATION_FIELDS,
                   required=("verification_function", "verification_performance",
                             "verification_security", "outcome"), style="success"),
        Transition("close", _("Close after review"), (S.REVIEW,), S.CLOSED, MANAGERS,
                   fields=("review_findings",), required=("review_findings",),
                   stamp="closed_at", style="success"),
        Transition("cancel", _("Cancel"),
                   (S.DRAFT, S.ASSESSMENT, S.APPROVAL, S.APPROVED, S.SCHEDULED),
                   S.CANCELLED, frozenset({STAFF}), comment_required=True,
                   stamp="closed_at", style="danger"),
    ),
)
