"""Web UI for changes, CAB meetings: the list, planning one, its agenda and the
decision on each change, the minutes (the chair or a change manager writes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from itsm.core.views import add_errors

from .. import approvals, forms, models, services
from .staff import StaffOnlyMixin


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
