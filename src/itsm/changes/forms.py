"""Forms of the change pages: the change itself, votes, tasks, linked configuration items,
plan uses, CAB meetings and the master data (boards, templates, freeze windows).

Forms only collect and shape input; every write goes through ``changes.services``,
``changes.approvals`` or the core services, which validate again and audit.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core import access
from itsm.core.forms import RecordForm, ScopedForm, ScopedModelForm
from itsm.core.limits import DESCRIPTION_MAX_LENGTH
from itsm.core.scoping import provider_staff
from itsm.security.models import EmergencyPlan

from .choices import MeetingDecision, TaskStatus, VoteDecision
from .models import CabMeeting, Change, ChangeBoard, ChangeTemplate, FreezeWindow

#: How the browser's ``datetime-local`` input expects its value.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)


def _skip_model_validation(form: forms.ModelForm) -> None:
    """Master-data forms: the model is validated by the service (it knows the provider)."""


class ChangeForm(RecordForm):
    customer_fields = ()
    #: Filled from the chosen standard change template when left empty.
    TEMPLATE_FIELDS = ("implementation_plan", "backout_plan", "test_plan")

    class Meta:
        model = Change
        fields = ["organization", "requester", "title", "change_type", "template", "board",
                  "description", "reason", "scope", "services", "expected_impact",
                  "implementation_plan", "backout_plan", "test_plan", "planned_start",
                  "planned_end", "priority", "assignee_team", "assignee", "owner", "due_at"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        if "services" in self.fields:
            self.fields["services"].queryset = Service.objects.visible_to(user).filter(
                provider_id=access.provider_id_of(user)).order_by("name")
            self.fields["services"].widget.attrs["size"] = 5
        if "template" in self.fields:
            self.fields["template"].queryset = ChangeTemplate.objects.visible_to(user).filter(
                is_active=True)
            self.fields["template"].help_text = _("Standard changes only: the pre-approved "
                                                  "model the change follows; its plans fill "
                                                  "the empty plan fields.")
        if "board" in self.fields:
            self.fields["board"].queryset = ChangeBoard.objects.visible_to(user).filter(
                is_active=True)
        for name in ("planned_start", "planned_end"):
            if name in self.fields:
                self.fields[name].widget = datetime_widget()
        for name in ("description", "reason", "scope", "expected_impact",
                     "implementation_plan", "backout_plan", "test_plan"):
            if name in self.fields:
                self.fields[name].widget.attrs["rows"] = 3

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        template = data.get("template")
        if template is not None:
            for name in self.TEMPLATE_FIELDS:
                if name in self.fields and not (data.get(name) or "").strip():
                    data[name] = getattr(template, name)
        return data


class VoteForm(forms.Form):
    """An approver's vote on the open approval step."""

    decision = forms.ChoiceField(label=_("Your vote"), choices=VoteDecision.choices,
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              help_text=_("Required when you reject."),
                              widget=forms.Textarea(attrs={"rows": 2}))


class LinkItemForm(forms.Form):
    """Link a configuration item to the change by its name or id."""

    ci = forms.CharField(label=_("Configuration item (name or ID)"), max_length=200)


class TaskForm(ScopedForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  max_length=DESCRIPTION_MAX_LENGTH,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    assignee = forms.ModelChoiceField(label=_("Assignee"), required=False, queryset=None)
    planned_start = forms.DateTimeField(label=_("Planned start"), required=False,
                                        widget=datetime_widget())
    planned_end = forms.DateTimeField(label=_("Planned end"), required=False,
                                      widget=datetime_widget())

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "task")
        super().__init__(*args, user=user, **kwargs)
        self.fields["assignee"].queryset = provider_staff(user).order_by("username")


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=TaskStatus.choices)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000)


class PlanUseForm(ScopedForm):
    """Record that the change followed an emergency plan (security.services)."""

    plan = forms.ModelChoiceField(label=_("Emergency plan"), queryset=None)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)

        self.fields["plan"].queryset = EmergencyPlan.objects.visible_to(user)


# --- CAB meetings ------------------------------------------------------------------------


class MeetingForm(ScopedModelForm):
    """A new meeting of a board; its agenda is filled from the changes awaiting it."""

    class Meta:
        model = CabMeeting
        fields = ["board", "title", "scheduled_at", "location"]
        widgets = {"scheduled_at": datetime_widget()}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["board"].queryset = ChangeBoard.objects.visible_to(user).filter(
            is_active=True)

    _post_clean = _skip_model_validation


class MinutesForm(ScopedModelForm):
    """Minutes, attendees and status of a meeting (chair or change manager)."""

    class Meta:
        model = CabMeeting
        fields = ["title", "scheduled_at", "location", "status", "attendees", "minutes"]
        widgets = {"scheduled_at": datetime_widget(),
                   "minutes": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["attendees"].queryset = provider_staff(user).order_by("username")
        self.fields["attendees"].widget.attrs["size"] = 6

    _post_clean = _skip_model_validation


class AgendaItemForm(ScopedForm):
    change = forms.ModelChoiceField(label=_("Change"), queryset=None)

    def __init__(self, *args: Any, user, meeting: CabMeeting, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["change"].queryset = (
            Change.objects.visible_to(user).exclude(status__in=Change.workflow.final)
            .exclude(pk__in=meeting.items.values("change_id")).order_by("-created_at"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"),
                                 choices=[("", "---------"), *MeetingDecision.choices])
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 2}))


# --- Master data -------------------------------------------------------------------------


class BoardForm(ScopedModelForm):
    class Meta:
        model = ChangeBoard
        fields = ["name", "description", "chair", "members", "emergency_approvers", "quorum",
                  "is_default", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name in ("chair", "members", "emergency_approvers"):
            self.fields[name].queryset = provider_staff(user).order_by("username")

    _post_clean = _skip_model_validation


class TemplateForm(ScopedModelForm):
    class Meta:
        model = ChangeTemplate
        fields = ["name", "description", "implementation_plan", "backout_plan", "test_plan",
                  "is_active"]
        widgets = {name: forms.Textarea(attrs={"rows": 3})
                   for name in ("description", "implementation_plan", "backout_plan",
                                "test_plan")}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)

    _post_clean = _skip_model_validation


class FreezeForm(ScopedModelForm):
    class Meta:
        model = FreezeWindow
        fields = ["name", "reason", "start", "end", "services"]
        widgets = {"start": datetime_widget(), "end": datetime_widget(),
                   "reason": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(
            provider_id=access.provider_id_of(user)).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end must be after the start."))
        return data

    _post_clean = _skip_model_validation
