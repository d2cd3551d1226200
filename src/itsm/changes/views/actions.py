"""Web UI for changes, the POST actions of a change's panels: vote and close voting
(``changes.approvals``), link and unlink configuration items, add and update tasks,
record the use of an emergency plan. Errors re-render the detail page (400)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from itsm.cmdb import services as cmdb_services
from itsm.cmdb.models import ConfigurationItem
from itsm.core import access
from itsm.core.exceptions import WorkflowError
from itsm.core.views import add_errors
from itsm.security import services as security_services

from .. import approvals, forms, models, services
from ..choices import ApprovalStatus
from .records import ChangeActionView


def require_staff_writer(user) -> None:
    if not access.is_staff_writer(user):
        raise PermissionDenied(_("You may not change this record."))


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
