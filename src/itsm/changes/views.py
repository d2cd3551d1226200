"""Web UI for changes: the generic record views with the change's panels (risk matrix,
approvals and votes, schedule conflicts and freezes, configuration items, tasks, fixed
problems, emergency plans), the change calendar, CAB meetings and the master data
(boards, standard change templates, freeze windows).

Changes are internal to the service provider: every page starts from
``visible_to(user)`` and is a 404 for customers and for other providers' staff. Writes go
through ``changes.services`` / ``changes.approvals`` / ``core.services``; a person whose
role may not do something gets a 403, bad input re-renders the page with the form
errors (400).
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.cmdb import services as cmdb_services
from itsm.cmdb.models import ConfigurationItem
from itsm.core import access
from itsm.core import views as base
from itsm.core.exceptions import WorkflowError
from itsm.core.objects import InUseError
from itsm.core.views import SignedInMixin, add_errors

from . import approvals, filtersets, forms, models, resources, schedule, services
from .choices import (
    BOARD_STAGES,
    DEFAULT_RISK_MATRIX,
    ApprovalStatus,
    ImpactLevel,
    Likelihood,
    RiskLevel,
)


def require_staff_writer(user) -> None:
    if not access.is_staff_writer(user):
        raise PermissionDenied(_("You may not change this record."))


# --- The change detail page --------------------------------------------------------------


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
    from itsm.security.models import EmergencyPlan, PlanUse

    return list(PlanUse.objects.filter(
        record_type=change._meta.model_name, record_id=change.pk,
        plan__in=EmergencyPlan.objects.visible_to(user)).select_related("plan", "created_by"))


def change_panels(user, change: models.Change, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Context of the change's panels on its detail page (and after a failed action)."""
    from itsm.problems.models import Problem
    from itsm.security import services as security_services

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
        "freezes": schedule.freezes_for(change),
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
    url_prefix = "changes:change"
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


class VoteView(ChangeActionView):
    """An approver votes on the open step (``approvals.cast_vote``)."""

    def act(self, record: models.Change) -> dict | None:
        require_staff_writer(self.request.user)  # a read-only auditor: 403 before lookups
        step = get_object_or_404(record.approvals, pk=self.kwargs["approval_id"])
        user = self.request.user
        if not approvals.may_vote(user, step):
            if not step.is_open:
                raise WorkflowError(_("This approval step is not open for votes."))
            raise PermissionDenied(str(approvals.NO_VOTE))
        form = forms.VoteForm(self.request.POST)
        if form.is_valid():
            try:
                approvals.cast_vote(step, voter=user, decision=form.cleaned_data["decision"],
                                    comment=form.cleaned_data["comment"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(self.request, _("Your vote on %(number)s was recorded.")
                                 % {"number": record.number})
                return None
        messages.error(self.request, _("Your vote was not recorded."))
        return {"vote_form": form}


class CloseVotingView(ChangeActionView):
    """The chair or a change manager closes a board's voting once the quorum voted."""

    def act(self, record: models.Change) -> dict | None:
        require_staff_writer(self.request.user)
        step = get_object_or_404(record.approvals, pk=self.kwargs["approval_id"])
        try:
            outcome = approvals.close_voting(step, actor=self.request.user)
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
            return {}
        messages.success(self.request, _("Voting closed: %(outcome)s.")
                         % {"outcome": ApprovalStatus(outcome).label})
        return None


class LinkItemView(ChangeActionView):
    """Link a configuration item (name or ID) to the change (``cmdb.services``)."""

    def act(self, record: models.Change) -> dict | None:
        require_staff_writer(self.request.user)
        form = forms.LinkItemForm(self.request.POST)
        if form.is_valid():
            value = form.cleaned_data["ci"].strip()
            items = ConfigurationItem.objects.visible_to(self.request.user)
            item = items.filter(pk=int(value)).first() if value.isdigit() else None
            if item is None:
                found = list(items.filter(name=value)[:2])
                if len(found) > 1:
                    form.add_error("ci", _("Several items are called “%(name)s”; give the "
                                           "ID.") % {"name": value})
                elif found:
                    item = found[0]
                else:
                    form.add_error("ci", _("No configuration item “%(name)s” that you can "
                                           "see.") % {"name": value})
            if item is not None:
                try:
                    cmdb_services.link_record_ci(record, item, actor=self.request.user)
                except ValidationError as exc:
                    add_errors(form, exc)
                else:
                    messages.success(self.request, _("“%(name)s” linked.") % {"name": item.name})
                    return None
        return {"item_form": form}


class UnlinkItemView(ChangeActionView):
    def act(self, record: models.Change) -> dict | None:
        require_staff_writer(self.request.user)
        item = get_object_or_404(cmdb_services.linked_items(record, self.request.user),
                                 pk=self.kwargs["ci_id"])
        cmdb_services.unlink_record_ci(record, item, actor=self.request.user)
        messages.success(self.request, _("“%(name)s” unlinked.") % {"name": item.name})
        return None


class TaskAddView(ChangeActionView):
    def act(self, record: models.Change) -> dict | None:
        require_staff_writer(self.request.user)
        form = forms.TaskForm(self.request.POST, user=self.request.user)
        if form.is_valid():
            try:
                services.create_task(record, actor=self.request.user, data=form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(self.request, _("Task added."))
                return None
        return {"task_form": form}


class TaskUpdateView(ChangeActionView):
    def act(self, record: models.Change) -> dict | None:
        require_staff_writer(self.request.user)
        task = get_object_or_404(record.tasks, pk=self.kwargs["task_id"])
        form = forms.TaskStatusForm(self.request.POST)
        if form.is_valid():
            changes = {"status": form.cleaned_data["status"]}
            if form.cleaned_data["notes"].strip():
                changes["notes"] = form.cleaned_data["notes"].strip()
            try:
                services.update_task(task, actor=self.request.user, changes=changes)
            except ValidationError as exc:
                messages.error(self.request, " ".join(exc.messages))
                return {}
            messages.success(self.request, _("Task “%(title)s” updated.") % {"title": task.title})
            return None
        for error in form.errors.values():
            messages.error(self.request, " ".join(error))
        return {}


class PlanUseView(ChangeActionView):
    """Record that the change was carried out following an emergency plan."""

    def act(self, record: models.Change) -> dict | None:
        from itsm.security import services as security_services

        security_services.require_writer(self.request.user)
        form = forms.PlanUseForm(self.request.POST, user=self.request.user)
        if form.is_valid():
            try:
                security_services.record_plan_use(record, form.cleaned_data["plan"],
                                                  actor=self.request.user,
                                                  note=form.cleaned_data["note"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(self.request, _("Plan use recorded."))
                return None
        return {"plan_form": form}


# --- Pages of provider staff ---------------------------------------------------------------


class StaffOnlyMixin(SignedInMixin):
    """Pages of provider staff: a 404 for everyone else (as for the changes themselves)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not access.is_provider_staff(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(is_manager=services.is_manager(self.request.user), is_staff=True)
        return context


# --- The change calendar ------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    in_range: bool
    is_today: bool
    entries: list = field(default_factory=list)
    freezes: list = field(default_factory=list)


def _local_dates(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """First and last local day a window [start, end) touches."""
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - dt.timedelta(microseconds=1)).date()
    return first, max(first, last)


def _month_start(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def calendar_range(view: str, day: dt.date) -> dict[str, Any]:
    """Days shown (whole weeks, Monday first) and the dates of the previous/next page."""
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        last = first + dt.timedelta(days=6)
        return {"start": first, "end": last, "in_range": (first, last),
                "previous": day - dt.timedelta(days=7), "next": day + dt.timedelta(days=7)}
    month_first = day.replace(day=1)
    month_last = day.replace(day=pycalendar.monthrange(day.year, day.month)[1])
    return {"start": month_first - dt.timedelta(days=month_first.weekday()),
            "end": month_last + dt.timedelta(days=6 - month_last.weekday()),
            "in_range": (month_first, month_last),
            "previous": _month_start(day, -1), "next": _month_start(day, 1)}


#: Dates the calendar pages through (far enough from the limits of ``datetime.date``).
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(9000, 12, 31)


class CalendarView(StaffOnlyMixin, TemplateView):
    """Month (default) or week view of the changes planned and the freeze windows."""

    template_name = "changes/calendar.html"
    VIEWS = {"month": gettext_lazy("Month"), "week": gettext_lazy("Week")}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.localdate()
        errors = []
        view = request.GET.get("view") or "month"
        if view not in self.VIEWS:
            errors.append(_("Unknown view “%(view)s”; choose month or week.") % {"view": view})
            view = "month"
        day, raw = today, request.GET.get("date")
        if raw:
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(_("“%(date)s” is not a date (YYYY-MM-DD).") % {"date": raw})
            else:
                if not MIN_DATE <= day <= MAX_DATE:
                    errors.append(_("Choose a date between %(min)s and %(max)s.")
                                  % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()})
                    day = today
        context = self.get_context_data(**self.calendar(view, day), view=view,
                                        views=list(self.VIEWS.items()), errors=errors)
        return self.render_to_response(context, status=400 if errors else 200)

    def calendar(self, view: str, day: dt.date) -> dict[str, Any]:
        span = calendar_range(view, day)
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(span["start"], dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(span["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        user = self.request.user
        entries, freezes = schedule.calendar(
            models.Change.objects.visible_to(user),
            models.FreezeWindow.objects.visible_to(user), start, end)
        today = timezone.localdate()
        days: dict[dt.date, Day] = {}
        current = span["start"]
        while current <= span["end"]:
            days[current] = Day(date=current, is_today=current == today,
                                in_range=span["in_range"][0] <= current <= span["in_range"][1])
            current += dt.timedelta(days=1)
        for items, attr, window in ((entries, "entries", lambda e: (e.change.planned_start,
                                                                    e.change.planned_end)),
                                    (freezes, "freezes", lambda f: (f.start, f.end))):
            for item in items:
                first, last = _local_dates(*window(item))
                current = max(first, span["start"])
                while current <= min(last, span["end"]):
                    getattr(days[current], attr).append(item)
                    current += dt.timedelta(days=1)
        ordered = list(days.values())
        return {
            "weeks": [ordered[i:i + 7] for i in range(0, len(ordered), 7)],
            "day": day, "today": today, "span": span,
            "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)],
            "entries": entries, "freeze_windows": freezes,
            "conflict_count": sum(1 for e in entries if e.conflicts),
        }


# --- CAB meetings -------------------------------------------------------------------------


class MeetingMixin(StaffOnlyMixin):
    def get_queryset(self) -> QuerySet[models.CabMeeting]:
        return models.CabMeeting.objects.visible_to(self.request.user).select_related(
            "board", "created_by")

    def get_meeting(self) -> models.CabMeeting:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])


class MeetingListView(MeetingMixin, TemplateView):
    template_name = "changes/meeting_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["meetings"] = self.get_queryset().prefetch_related("items")
        return context


class MeetingCreateView(MeetingMixin, TemplateView):
    template_name = "changes/meeting_form.html"

    def require_manager(self) -> None:
        services.require_manager(self.request.user)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_manager()
        board = models.ChangeBoard.objects.visible_to(request.user).filter(
            is_default=True).first()
        form = forms.MeetingForm(user=request.user, initial={"board": board})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require_manager()
        form = forms.MeetingForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                meeting = services.save_meeting(None, actor=request.user,
                                                data=dict(form.cleaned_data))
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Meeting “%(title)s” planned with %(count)d "
                                            "changes on the agenda.")
                                 % {"title": meeting.title, "count": meeting.items.count()})
                return redirect(meeting.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


@dataclass
class AgendaRow:
    item: models.MeetingItem
    step: models.Approval | None
    tally: approvals.Tally | None
    form: forms.DecisionForm | None


class MeetingDetailView(MeetingMixin, TemplateView):
    template_name = "changes/meeting_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        meeting = kwargs.get("meeting") or self.get_meeting()
        user = self.request.user
        may_write = services.may_write_meeting(user, meeting)
        failed = kwargs.get("decision_forms", {})
        visible = set(models.Change.objects.visible_to(user).filter(
            meeting_items__meeting=meeting).values_list("pk", flat=True))
        rows = []
        for item in meeting.items.select_related("change"):
            if item.change_id not in visible:
                continue
            step = approvals.current_approval(item.change) or item.change.approvals.filter(
                board=meeting.board).order_by("-round", "-position").first()
            form = None
            if may_write:
                form = failed.get(item.pk) or forms.DecisionForm(
                    prefix=f"item-{item.pk}",
                    initial={"decision": item.decision, "notes": item.notes})
            rows.append(AgendaRow(item=item, step=step, form=form,
                                  tally=approvals.tally(step) if step and step.opened_at
                                  else None))
        context.update(
            meeting=meeting, rows=rows, may_write=may_write,
            attendees=list(meeting.attendees.order_by("username")),
            agenda_form=(kwargs.get("agenda_form") or forms.AgendaItemForm(
                user=user, meeting=meeting)) if may_write else None,
        )
        return context


class MeetingActionView(MeetingDetailView):
    """POST actions on a meeting; errors re-render the meeting page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = self.get_meeting()
        try:
            if not services.may_write_meeting(request.user, meeting):
                raise PermissionDenied(_("Only the chair or a change manager may change the "
                                         "meeting."))
            extra = self.act(meeting)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            status, extra = 403, {}
        else:
            if extra is None:
                return redirect(meeting.get_absolute_url())
            status = 400
        return self.render_to_response(self.get_context_data(meeting=self.get_meeting(),
                                                             **extra), status=status)

    def act(self, meeting: models.CabMeeting) -> dict | None:
        raise NotImplementedError


class AgendaItemAddView(MeetingActionView):
    def act(self, meeting: models.CabMeeting) -> dict | None:
        form = forms.AgendaItemForm(self.request.POST, user=self.request.user, meeting=meeting)
        if form.is_valid():
            try:
                services.add_agenda_item(meeting, form.cleaned_data["change"],
                                         actor=self.request.user)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(self.request, _("%(number)s added to the agenda.")
                                 % {"number": form.cleaned_data["change"].number})
                return None
        return {"agenda_form": form}


class DecisionView(MeetingActionView):
    def act(self, meeting: models.CabMeeting) -> dict | None:
        item = get_object_or_404(meeting.items.select_related("change"),
                                 pk=self.kwargs["item_id"])
        if not models.Change.objects.visible_to(self.request.user).filter(
                pk=item.change_id).exists():
            raise Http404
        form = forms.DecisionForm(self.request.POST, prefix=f"item-{item.pk}")
        if form.is_valid():
            try:
                services.record_decision(item, actor=self.request.user,
                                         decision=form.cleaned_data["decision"],
                                         notes=form.cleaned_data["notes"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(self.request, _("Decision on %(number)s recorded.")
                                 % {"number": item.change.number})
                return None
        return {"decision_forms": {item.pk: form}}


class MeetingEditView(MeetingMixin, TemplateView):
    """Minutes, attendees and status (the chair or a change manager)."""

    template_name = "changes/meeting_form.html"

    def get_writable(self) -> models.CabMeeting:
        meeting = self.get_meeting()
        if not services.may_write_meeting(self.request.user, meeting):
            raise PermissionDenied(_("Only the chair or a change manager may write the "
                                     "minutes."))
        return meeting

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = self.get_writable()
        form = forms.MinutesForm(instance=meeting, user=request.user)
        return self.render_to_response(self.get_context_data(form=form, meeting=meeting))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = self.get_writable()
        form = forms.MinutesForm(request.POST, instance=meeting, user=request.user)
        if form.is_valid():
            try:
                services.save_meeting(meeting, actor=request.user,
                                      data=dict(form.cleaned_data))
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Minutes saved."))
                return redirect(meeting.get_absolute_url())
        meeting = self.get_meeting()
        return self.render_to_response(self.get_context_data(form=form, meeting=meeting),
                                       status=400)


# --- Master data: boards, standard change templates, freeze windows ----------------------


class MasterMixin(StaffOnlyMixin):
    """List and forms of one kind of master data; change managers and administrators
    write, other staff read."""

    model: type
    form_class: type
    kind: str  # URL name prefix: board, template, freeze
    list_template: str
    title: Any
    new_title: Any

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def save(self, instance, data: dict[str, Any]):
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(kind=self.kind, title=self.title, new_title=self.new_title,
                       list_url=reverse(f"changes:{self.kind}-list"),
                       create_url=reverse(f"changes:{self.kind}-create"))
        return context


class MasterListView(MasterMixin, TemplateView):
    def get_template_names(self) -> list[str]:
        return [self.list_template]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["objects"] = self.get_queryset()
        return context


class MasterFormView(MasterMixin, TemplateView):
    template_name = "changes/master_form.html"

    def get_instance(self):
        instance = self.get_object() if "pk" in self.kwargs else None
        services.require_manager(self.request.user)
        return instance

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        form = self.form_class(instance=instance, user=request.user)
        return self.render_to_response(self.get_context_data(form=form, instance=instance))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        form = self.form_class(request.POST, instance=instance, user=request.user)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                saved = self.save(instance, data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved})
                return redirect(self.success_url(saved))
        return self.render_to_response(self.get_context_data(form=form, instance=instance),
                                       status=400)

    def success_url(self, saved) -> str:
        return reverse(f"changes:{self.kind}-list")


class MasterDeleteView(MasterListView):
    """POST: delete one object; one in use is refused (400, the list says why)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_object()
        services.require_manager(request.user)
        name = str(instance)
        try:
            services.delete_master(instance, actor=request.user)
        except InUseError as exc:
            messages.error(request, exc.message)
            return self.render_to_response(self.get_context_data(), status=exc.status_code)
        messages.success(request, _("“%(name)s” deleted.") % {"name": name})
        return redirect(f"changes:{self.kind}-list")


class BoardMixin(MasterMixin):
    model = models.ChangeBoard
    form_class = forms.BoardForm
    kind = "board"
    list_template = "changes/board_list.html"
    title = gettext_lazy("Change boards")
    new_title = gettext_lazy("New change board")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().select_related("chair").prefetch_related("members")

    def save(self, instance, data: dict[str, Any]):
        return services.save_board(instance, actor=self.request.user, data=data)


class TemplateMixin(MasterMixin):
    model = models.ChangeTemplate
    form_class = forms.TemplateForm
    kind = "template"
    list_template = "changes/template_list.html"
    title = gettext_lazy("Standard change templates")
    new_title = gettext_lazy("New standard change template")

    def save(self, instance, data: dict[str, Any]):
        return services.save_template(instance, actor=self.request.user, data=data)


class FreezeMixin(MasterMixin):
    model = models.FreezeWindow
    form_class = forms.FreezeForm
    kind = "freeze"
    list_template = "changes/freeze_list.html"
    title = gettext_lazy("Change freeze windows")
    new_title = gettext_lazy("New change freeze window")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().prefetch_related("services")

    def save(self, instance, data: dict[str, Any]):
        return services.save_freeze(instance, actor=self.request.user, data=data)


class BoardDetailView(BoardMixin, TemplateView):
    template_name = "changes/board_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        board = self.get_object()
        user = self.request.user
        context.update(
            board=board,
            members=board.members.order_by("username"),
            emergency_approvers=board.emergency_approvers.order_by("username"),
            waiting=services.agenda_candidates(board).filter(
                pk__in=models.Change.objects.visible_to(user).values("pk")),
            meetings=models.CabMeeting.objects.visible_to(user).filter(board=board)[:20],
        )
        return context


def master_views(mixin: type) -> dict[str, type]:
    return {name: type(f"{mixin.__name__[:-5]}{cls.__name__[6:]}", (mixin, cls), {})
            for name, cls in (("list", MasterListView), ("form", MasterFormView),
                              ("delete", MasterDeleteView))}


BOARD_VIEWS = {**master_views(BoardMixin), "detail": BoardDetailView}
TEMPLATE_VIEWS = master_views(TemplateMixin)
FREEZE_VIEWS = master_views(FreezeMixin)
