"""Complaint statuses, levels, channels and the workflow (CPL-1..3), declared as data.

receive → evaluate (level) → respond → resolve → propose a resolution → the customer
accepts (closed, scored) or rejects with a reason (back to resolving); reopen. Only
designated complaint handlers (and administrators) move a complaint; the complainant's
side accepts, rejects or withdraws.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import ColoredTextChoices, Role
from itsm.core.workflow import REQUESTER, STAFF, Transition, Workflow

#: The roles that may handle complaints (CPL-1: designated, qualified staff).
HANDLER_ROLES = frozenset({Role.COMPLAINT_HANDLER, Role.ADMINISTRATOR})


class ComplaintStatus(ColoredTextChoices):
    RECEIVED = "received", "info", _("Received")
    EVALUATED = "evaluated", "primary", _("Evaluated")
    RESPONDED = "responded", "primary", _("Responded")
    RESOLVING = "resolving", "warning", _("Resolving")
    PROPOSED = "proposed", "warning", _("Resolution proposed")
    CLOSED = "closed", "success", _("Closed")
    WITHDRAWN = "withdrawn", "secondary", _("Withdrawn")


class ComplaintLevel(ColoredTextChoices):
    ORDINARY = "ordinary", "primary", _("Ordinary complaint")
    URGENT = "urgent", "warning", _("Urgent complaint")
    MAJOR = "major", "danger", _("Major complaint")


class ComplaintChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    IM = "im", _("Instant messaging")


class ClockKind(models.TextChoices):
    """The complaint's two clocks (stored as ``servicedesk.SLAClock`` kinds)."""

    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


S = ComplaintStatus
HANDLERS = HANDLER_ROLES
OPEN = (S.RECEIVED, S.EVALUATED, S.RESPONDED, S.RESOLVING)

COMPLAINT_WORKFLOW = Workflow(
    statuses=ComplaintStatus,
    initial=S.RECEIVED,
    final=frozenset({S.CLOSED, S.WITHDRAWN}),
    # Waiting for the customer's confirmation: the resolution clock stands still.
    paused=frozenset({S.PROPOSED}),
    transitions=(
        Transition("evaluate", _("Evaluate"), (S.RECEIVED,), S.EVALUATED, HANDLERS,
                   fields=("level", "assessment", "assignee", "assignee_team"),
                   required=("level",), stamp="evaluated_at"),
        Transition("respond", _("Respond to the complainant"), (S.EVALUATED,), S.RESPONDED,
                   HANDLERS, comment_required=True, stamp="responded_at"),
        Transition("start", _("Start resolving"), (S.RESPONDED,), S.RESOLVING, HANDLERS),
        Transition("propose", _("Propose a resolution"), (S.RESOLVING,), S.PROPOSED, HANDLERS,
                   fields=("resolution", "compensation", "cause_category"),
                   required=("resolution", "cause_category"), stamp="proposed_at",
                   style="success"),
        Transition("accept", _("Accept the resolution"), (S.PROPOSED,), S.CLOSED,
                   frozenset({REQUESTER}), fields=("satisfaction_score",),
                   required=("satisfaction_score",), stamp="closed_at", style="success"),
        Transition("reject", _("Reject the resolution"), (S.PROPOSED,), S.RESOLVING,
                   frozenset({REQUESTER}), comment_required=True, style="danger"),
        Transition("reopen", _("Reopen"), (S.CLOSED,), S.RESOLVING, HANDLERS,
                   comment_required=True, style="warning"),
        Transition("cancel", _("Withdraw"), OPEN, S.WITHDRAWN,
                   frozenset({REQUESTER, *HANDLERS}), comment_required=True,
                   style="secondary"),
    ),
)


class ImprovementStatus(ColoredTextChoices):
    OPEN = "open", "info", _("Open")
    IN_PROGRESS = "in_progress", "primary", _("In progress")
    VERIFIED = "verified", "success", _("Verified")
    CANCELLED = "cancelled", "secondary", _("Cancelled")


IS = ImprovementStatus
IMPROVEMENT_WORKFLOW = Workflow(
    statuses=ImprovementStatus,
    initial=IS.OPEN,
    final=frozenset({IS.VERIFIED, IS.CANCELLED}),
    transitions=(
        Transition("start", _("Start"), (IS.OPEN,), IS.IN_PROGRESS, frozenset({STAFF})),
        Transition("verify", _("Verify"), (IS.IN_PROGRESS,), IS.VERIFIED, frozenset({STAFF}),
                   fields=("verification",), required=("verification",),
                   stamp="verified_at", style="success"),
        Transition("cancel", _("Cancel"), (IS.OPEN, IS.IN_PROGRESS), IS.CANCELLED,
                   frozenset({STAFF}), comment_required=True, style="secondary"),
    ),
)

#: Default first-response and resolution targets, working minutes (CPL-2): a first
#: response within 24 h for every level; urgent complaints resolved within 24 h too.
DEFAULT_RESPONSE_MINUTES = 24 * 60
DEFAULT_RESOLUTION_MINUTES = {ComplaintLevel.URGENT: 24 * 60}

#: The default cause categories (two levels), seeded once; administrators edit them.
DEFAULT_CAUSES = (
    ("服务态度", ("沟通不当", "响应冷淡", "承诺未兑现")),
    ("服务时效", ("响应超时", "处理超时", "多次催办")),
    ("服务质量", ("问题未解决", "问题反复出现", "处理方案不当")),
    ("系统故障", ("系统宕机", "性能缓慢", "数据错误")),
    ("流程与制度", ("流程繁琐", "职责不清", "信息未告知")),
    ("费用与合同", ("收费争议", "合同履约")),
    ("其他", ("其他原因",)),
)


def seed_default_causes(model) -> None:
    """Create the :data:`DEFAULT_CAUSES` that ``model`` (CauseCategory, or its historical
    version in a migration) lacks: after the data migration and after every migrate or
    flush (``receivers``), so tests that flush the database find them too."""
    for order, (name, children) in enumerate(DEFAULT_CAUSES):
        parent, _created = model.objects.get_or_create(
            provider=None, parent=None, name=name, defaults={"order": order})
        for child_order, child in enumerate(children):
            model.objects.get_or_create(provider=None, parent=parent, name=child,
                                        defaults={"order": child_order})
