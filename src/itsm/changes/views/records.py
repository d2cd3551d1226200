"""Web UI for changes, the record: the generic record views of ``Change``
(``CHANGE_VIEWS``) and what its detail page shows besides its fields: the risk matrix,
the approval rounds with their votes, conflicts and freezes, configuration items, tasks,
fixed problems and emergency plan uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itsm.cmdb import services as cmdb_services
from itsm.core import access
from itsm.core import views as base
from itsm.problems.models import Problem
from itsm.security import services as security_services
from itsm.security.models import EmergencyPlan, PlanUse

from .. import approvals, filtersets, forms, models, resources, schedule, services
from ..choices import (
    BOARD_STAGES,
    DEFAULT_RISK_MATRIX,
    ApprovalStatus,
    ImpactLevel,
    Likelihood,
    RiskLevel,
)


@dataclass
class StepView:
    """One approval step as the approvals panel shows it."""

    approval: models.Approval
    tally: approvals.Tally | None
    approvers: list
    votes: list
    may_vote: bool = False
    may_close: bool = False
    vote_form: forms.VoteForm | None = None

    @property
    def is_board(self) -> bool:
        return self.approval.stage in BOARD_STAGES

    @property
    def color(self) -> str:
        return ApprovalStatus.color_of(self.approval.status)


def risk_matrix(change: models.Change) -> dict[str, Any]:
    """Likelihood (rows, most likely on top) × impact (columns) with the change's cell."""
    rows = []
    for likelihood in reversed(Likelihood):
        cells = []
        for impact in ImpactLevel:
            level = RiskLevel(DEFAULT_RISK_MATRIX[likelihood - 1][impact - 1])
            cells.append({"impact": impact, "level": level, "color": level.color,
                          "current": (change.likelihood, change.impact)
                          == (likelihood.value, impact.value)})
        rows.append({"likelihood": likelihood, "cells": cells})
    return {"rows": rows, "impacts": list(ImpactLevel),
            "assessed": bool(change.likelihood and change.impact),
            "color": RiskLevel.color_of(change.risk_level, default="light")}


def may_close_voting(user, step: models.Approval, counts: approvals.Tally | None) -> bool:
    board = step.board
    return bool(step.is_open and step.stage in BOARD_STAGES and counts is not None
                and counts.cast >= counts.quorum and access.is_staff_writer(user)
                and (services.is_manager(user)
                     or (board is not None and board.chair_id == user.pk)))


def approval_rounds(user, change: models.Change,
                    vote_form: forms.VoteForm | None = None) -> list[tuple[int, list[StepView]]]:
    """The change's approval rounds, newest first, each with its steps in order."""
    rounds: dict[int, list[StepView]] = {}
    steps = (change.approvals.select_related("board")
             .prefetch_related("approvers", "votes__voter").order_by("round", "position"))
    for step in steps:
        counts = approvals.tally(step) if step.opened_at else None
        view = StepView(approval=step, tally=counts,
                        approvers=sorted(step.approvers.all(), key=lambda u: u.username),
                        votes=list(step.votes.all()),
                        may_vote=approvals.may_vote(user, step),
                        may_close=may_close_voting(user, step, counts))
        if view.may_vote:
            view.vote_form = vote_form or forms.VoteForm()
        rounds.setdefault(step.round, []).append(view)
    return sorted(rounds.items(), reverse=True)


def plan_uses_of(change: models.Change, user) -> list:
    return list(PlanUse.objects.filter(
        record_type=change._meta.model_name, record_id=change.pk,
        plan__in=EmergencyPlan.objects.visible_to(user)).select_related("plan", "created_by"))


def change_panels(user, change: models.Change, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Context of the change's panels on its detail page (and after a failed action)."""

    writer = access.is_staff_writer(user) and not change.is_final
    conflicts = schedule.conflicts_for(change)
    visible_ids = set(models.Change.objects.visible_to(user).filter(
        pk__in=[c.change.pk for c in conflicts]).values_list("pk", flat=True))
    conflicts = [c for c in conflicts if c.change.pk in visible_ids]
    may_record_plan = security_services.can_write(user)
    return {
        "risk": risk_matrix(change),
        "approval_rounds": approval_rounds(user, change, kwargs.get("vote_form")),
        "conflicts": conflicts,
        "freezes": models.FreezeWindow.objects.covering(change),
        "linked_items": list(cmdb_services.linked_items(change, user).order_by("name")),
        "can_link_items": writer,
        "item_form": kwargs.get("item_form") or (forms.LinkItemForm() if writer else None),
        "tasks": list(change.tasks.select_related("assignee")),
        "can_edit_tasks": writer,
        "task_form": kwargs.get("task_form") or (forms.TaskForm(user=user) if writer else None),
        "task_statuses": forms.TaskStatusForm.base_fields["status"].choices,
        "fixed_problems": list(Problem.objects.visible_to(user).filter(fix_change=change)
                               .order_by("-created_at")),
        "plan_uses": plan_uses_of(change, user),
        "plan_form": kwargs.get("plan_form") or (forms.PlanUseForm(user=user)
                                                 if may_record_plan else None),
    }


class ChangeContextMixin:
    """A change's detail page shows its panels: approvals, conflicts, items, tasks,
    problems fixed and plans used (main) and the risk matrix (side)."""

    def panels(self, record, page: dict[str, Any]) -> list[base.Panel]:
        context = change_panels(self.request.user, record, page)
        return [*super().panels(record, page),
                base.Panel("changes/_panels.html", context),
                base.Panel("changes/_risk.html", slot="side")]


class ChangeMixin(ChangeContextMixin):
    model = models.Change
    form_class = forms.ChangeForm
    filterset_class = filtersets.ChangeFilterSet
    export_resource = resources.ChangeResource
    detail_fields = ("change_type", "template", "board", "reason", "scope",
                     "expected_impact", "implementation_plan", "backout_plan", "test_plan",
                     "planned_start", "planned_end", "likelihood", "impact", "risk_level",
                     "scale", "impact_business", "impact_technology", "impact_security",
                     "impact_cost", "approved_at", "actual_start", "actual_end",
                     "verification_function", "verification_performance",
                     "verification_security", "outcome", "review_findings", "closed_at")


CHANGE_VIEWS = base.views_for(ChangeMixin)


class ChangeActionView(ChangeMixin, base.RecordActionView):
    """POST actions of the change's panels; errors re-render the detail page."""
