"""Choices of quality targets and their evaluations; the sources, stages and workflows of
service improvement plans, staff suggestions and quality reviews (QA-2, QA-3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import ColoredTextChoices, Role
from itsm.core.workflow import Transition, Workflow


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF_YEAR = "half_year", _("Half-year")
    YEAR = "year", _("Year")


class EvaluationState(models.TextChoices):
    MET = "met", _("Met")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")
    NO_DATA = "no_data", _("No data")


#: How bad a state is: an alert goes out when an evaluation is worse than the one before.
SEVERITY = {EvaluationState.NO_DATA: 0, EvaluationState.MET: 0, EvaluationState.WARNING: 1,
            EvaluationState.CRITICAL: 2}
#: The Bootstrap colour of each state (the traffic light).
STATE_COLOURS = {EvaluationState.MET: "success", EvaluationState.WARNING: "warning",
                 EvaluationState.CRITICAL: "danger", EvaluationState.NO_DATA: "secondary"}


# --- Service improvement plans (QA-3) ----------------------------------------------------

#: Who opens and manages improvement plans and reviews, decides staff suggestions.
PLAN_MANAGER_ROLES = frozenset({Role.QUALITY_MANAGER, Role.MANAGEMENT, Role.TEAM_LEAD,
                                Role.ADMINISTRATOR})


class PlanSource(models.TextChoices):
    """Where an improvement plan comes from; each kind has its own reference field."""

    COMPLAINT_CAUSE = "complaint_cause", _("Complaint cause")
    SURVEY_DIMENSION = "survey_dimension", _("Survey dimension")
    INDICATOR_BREACH = "indicator_breach", _("Indicator breach")
    PROBLEM = "problem", _("Problem")
    SUGGESTION = "suggestion", _("Staff suggestion")
    AUDIT_FINDING = "audit_finding", _("Audit finding")
    QUALITY_REVIEW = "quality_review", _("Quality review")
    OTHER = "other", _("Other")


#: The reference field of each source kind (the text field serves two kinds).
SOURCE_FIELDS = {
    PlanSource.COMPLAINT_CAUSE: "source_cause",
    PlanSource.PROBLEM: "source_problem",
    PlanSource.INDICATOR_BREACH: "source_evaluation",
    PlanSource.SUGGESTION: "source_suggestion",
    PlanSource.QUALITY_REVIEW: "source_review",
    PlanSource.AUDIT_FINDING: "source_detail",
    PlanSource.SURVEY_DIMENSION: "source_detail",
}


class PlanStage(ColoredTextChoices):
    """The PDCA stage of a plan (计划 / 执行 / 检查 / 处理)."""

    PLAN = "plan", "info", _("Plan")
    DO = "do", "primary", _("Do")
    CHECK = "check", "warning", _("Check")
    ACT = "act", "primary", _("Act")
    CLOSED = "closed", "success", _("Closed")
    CANCELLED = "cancelled", "secondary", _("Cancelled")


PS = PlanStage
MANAGERS = PLAN_MANAGER_ROLES
#: Stages in which measures are added, changed and completed.
MEASURE_STAGES = frozenset({PS.PLAN, PS.DO})
#: Stages with a baseline whose effect the system checks after the evaluation date.
CHECKED_STAGES = frozenset({PS.DO, PS.CHECK, PS.ACT})

PLAN_WORKFLOW = Workflow(
    statuses=PlanStage,
    initial=PS.PLAN,
    final=frozenset({PS.CLOSED, PS.CANCELLED}),
    transitions=(
        # Entering "do" captures the baseline (``improvement.capture_baseline``).
        Transition("start", _("Start implementing"), (PS.PLAN,), PS.DO, MANAGERS,
                   fields=("target_value", "evaluation_date", "window_days"),
                   required=("indicator", "target_value", "evaluation_date")),
        # Refused while a measure is open (``ImprovementPlan.clean``).
        Transition("check", _("Move to check"), (PS.DO,), PS.CHECK, MANAGERS),
        Transition("act", _("Move to act"), (PS.CHECK,), PS.ACT, MANAGERS,
                   required=("effect_checked_at",)),
        Transition("close", _("Close"), (PS.ACT,), PS.CLOSED, MANAGERS,
                   fields=("outcome",), required=("outcome",), stamp="closed_at",
                   style="success"),
        Transition("cancel", _("Cancel"), (PS.PLAN, PS.DO, PS.CHECK, PS.ACT), PS.CANCELLED,
                   MANAGERS, comment_required=True, stamp="closed_at", style="secondary"),
    ),
)


class SuggestionStatus(ColoredTextChoices):
    SUBMITTED = "submitted", "info", _("Submitted")
    ADOPTED = "adopted", "success", _("Adopted")
    DECLINED = "declined", "secondary", _("Declined")


SS = SuggestionStatus
SUGGESTION_WORKFLOW = Workflow(
    statuses=SuggestionStatus,
    initial=SS.SUBMITTED,
    final=frozenset({SS.ADOPTED, SS.DECLINED}),
    transitions=(
        # Adopting opens an improvement plan from the suggestion (``improvement``).
        Transition("adopt", _("Adopt"), (SS.SUBMITTED,), SS.ADOPTED, MANAGERS,
                   fields=("decision_reason",), stamp="decided_at", style="success"),
        Transition("decline", _("Decline"), (SS.SUBMITTED,), SS.DECLINED, MANAGERS,
                   fields=("decision_reason",), required=("decision_reason",),
                   stamp="decided_at", style="secondary"),
    ),
)


class ReviewKind(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly review")
    HALF_YEARLY = "half_yearly", _("Half-yearly review")
    AD_HOC = "ad_hoc", _("Ad hoc review")


class ReviewStatus(ColoredTextChoices):
    DRAFT = "draft", "info", _("Draft")
    CONCLUDED = "concluded", "primary", _("Concluded")
    CLOSED = "closed", "success", _("Closed")


RS = ReviewStatus
REVIEW_WORKFLOW = Workflow(
    statuses=ReviewStatus,
    initial=RS.DRAFT,
    final=frozenset({RS.CLOSED}),
    transitions=(
        Transition("conclude", _("Conclude"), (RS.DRAFT,), RS.CONCLUDED, MANAGERS,
                   fields=("conclusions",),
                   required=("conclusions", "period_start", "period_end"),
                   stamp="concluded_at"),
        Transition("close", _("Close"), (RS.CONCLUDED,), RS.CLOSED, MANAGERS,
                   stamp="closed_at", style="success"),
    ),
)
