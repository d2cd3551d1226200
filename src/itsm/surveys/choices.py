"""Named constants of satisfaction surveys and feedback (FBK-2, FBK-3): question kinds,
the manuals' evaluation dimensions, campaign channels and statuses, and the feedback
item's classification and closed-loop workflow (collect → analyse → handle → the
customer confirms), declared as data."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from itsm.core.choices import ColoredTextChoices
from itsm.core.workflow import REQUESTER, STAFF, Transition, Workflow


class QuestionKind(models.TextChoices):
    LIKERT = "likert", _("Rating 1–5")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Text")


class Dimension(models.TextChoices):
    """The evaluation dimensions (评价维度) of the manuals. A question names a dimension by
    its code; results of every questionnaire version compare by code. Other codes may be
    used (shown as written)."""

    RESPONSE_SPEED = "response_speed", _("Response speed")
    SERVICE_QUALITY = "service_quality", _("Service quality")
    RELIABILITY = "reliability", _("Reliability")
    COST = "cost", _("Cost")
    # Not "Security" (the 安全管理 menu) nor "Information security" (信息安全): the
    # manuals' dimension is 安全性.
    SECURITY = "security", _("Security of service")


def dimension_order(code: str) -> tuple[int, str]:
    """The manuals' dimensions in their order, then other codes alphabetically."""
    values = list(Dimension.values)
    return (values.index(code), "") if code in values else (len(values), code)


def dimension_label(code: str) -> str:
    """The translated label of a dimension code (the code itself when not a known one)."""
    try:
        return str(Dimension(code).label)
    except ValueError:
        return code


#: The labels of the five points of a rating question, 1 (worst) … 5 (best).
LIKERT_LABELS = {1: _("Very dissatisfied"), 2: _("Dissatisfied"), 3: _("Neutral"),
                 4: _("Satisfied"), 5: _("Very satisfied")}


class SurveyChannel(models.TextChoices):
    """How a campaign reaches its recipients, and how an answer came in."""

    EMAIL = "email", _("Email link")
    IM = "im", _("IM robot")
    PORTAL = "portal", _("Portal banner")
    PHONE = "phone", _("Phone")
    INTERVIEW = "interview", _("Interview")


#: Channels whose answers staff type in (the interviewer is recorded).
STAFF_CHANNELS = frozenset({SurveyChannel.PHONE, SurveyChannel.INTERVIEW})


class CampaignStatus(ColoredTextChoices):
    DRAFT = "draft", "secondary", _("Draft")
    OPEN = "open", "primary", pgettext_lazy("survey campaign", "Open")
    CLOSED = "closed", "success", _("Closed")


class FeedbackClass(ColoredTextChoices):
    """Classification of feedback (FBK-3): 紧急 / 重要 / 一般."""

    URGENT = "urgent", "danger", _("Urgent")
    IMPORTANT = "important", "warning", _("Important")
    GENERAL = "general", "primary", _("General")


class FeedbackSource(models.TextChoices):
    SURVEY = "survey", _("Satisfaction survey")
    RATING = "rating", _("Ticket rating")
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IM = "im", _("IM")
    VISIT = "visit", _("Visit / meeting")
    OTHER = "other", _("Other")


class FeedbackStatus(ColoredTextChoices):
    COLLECTED = "collected", "info", _("Collected")
    ANALYSING = "analysing", "primary", _("Analysing")
    HANDLING = "handling", "primary", _("Handling")
    AWAITING_CONFIRMATION = "awaiting_confirmation", "warning", _("Awaiting confirmation")
    CONFIRMED = "confirmed", "success", _("Confirmed")
    CANCELLED = "cancelled", "secondary", _("Cancelled")


F = FeedbackStatus

FEEDBACK_WORKFLOW = Workflow(
    statuses=F,
    initial=F.COLLECTED,
    final=frozenset({F.CONFIRMED, F.CANCELLED}),
    transitions=(
        Transition("analyse", _("Start analysis"), (F.COLLECTED,), F.ANALYSING,
                   frozenset({STAFF}), fields=("classification", "assignee_team", "assignee")),
        Transition("handle", _("Handle"), (F.ANALYSING,), F.HANDLING, frozenset({STAFF}),
                   fields=("analysis", "classification"), required=("analysis",)),
        Transition("submit", _("Ask the customer to confirm"), (F.HANDLING,),
                   F.AWAITING_CONFIRMATION, frozenset({STAFF}), fields=("handling",),
                   required=("handling",), stamp="handled_at", style="success"),
        Transition("confirm", _("Confirm"), (F.AWAITING_CONFIRMATION,), F.CONFIRMED,
                   frozenset({REQUESTER}), stamp="confirmed_at", style="success"),
        Transition("reject", _("Not resolved"), (F.AWAITING_CONFIRMATION,), F.HANDLING,
                   frozenset({REQUESTER}), comment_required=True, style="warning"),
        Transition("cancel", _("Cancel"), (F.COLLECTED, F.ANALYSING), F.CANCELLED,
                   frozenset({STAFF}), comment_required=True, style="danger"),
    ),
)
