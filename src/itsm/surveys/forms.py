"""Forms of surveys: the feedback item (staff and customers raise feedback by hand), a
campaign, a questionnaire with its sections and questions, and an answer typed in by
staff after a phone call or an interview. Every model choice is scoped to the person
filling the form in; saving goes through ``surveys.services``, which checks again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from itsm.core import access, pickers
from itsm.core.choices import OrganizationKind
from itsm.core.directory_forms import OrganizationObjectChoiceField, OrganizationObjectsChoiceField
from itsm.core.forms import RecordForm, ScopedForm, ScopedModelForm
from itsm.core.models import Department, Organization
from itsm.core.scoping import provider_staff

from .choices import STAFF_CHANNELS, QuestionKind, SurveyChannel
from .models import Campaign, FeedbackItem, Questionnaire, Recipient
from .services import sections_of

User = get_user_model()
#: How the browser's ``datetime-local`` input expects its value.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class FeedbackItemForm(RecordForm):
    customer_fields = ("title", "description")

    class Meta:
        model = FeedbackItem
        fields = ["organization", "requester", "title", "description", "classification",
                  "source", "analysis", "handling", "priority", "assignee_team", "assignee",
                  "due_at"]


def _customers(user):
    return Organization.objects.filter(provider_id=access.provider_id_of(user),
                                       kind=OrganizationKind.CUSTOMER).order_by("name")


def _departments(user):
    return Department.objects.filter(
        organization__provider_id=access.provider_id_of(user)).select_related(
        "organization").order_by("organization__name", "name")


# --- Campaigns ------------------------------------------------------------------------


class CampaignForm(ScopedModelForm):
    """A draft campaign: questionnaire, period, targets, channels, close time."""

    channels = forms.MultipleChoiceField(label=capfirst(_("channels")),
                                         choices=SurveyChannel.choices,
                                         widget=forms.CheckboxSelectMultiple)
    departments = OrganizationObjectsChoiceField(
        label=capfirst(_("departments")), queryset=Department.objects.none(), required=False,
        help_text=_("Chosen departments ask their people instead of whole organizations."))

    class Meta:
        model = Campaign
        fields = ["questionnaire", "name", "period_start", "period_end", "organizations",
                  "departments", "people", "sample_size", "channels", "anonymous",
                  "closes_at", "reminder_days"]
        widgets = {"period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                    format=DATETIME_LOCAL),
                   "organizations": forms.SelectMultiple(attrs={"size": 6}),
                   "people": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        fields = self.fields
        fields["questionnaire"].queryset = Questionnaire.objects.visible_to(user).filter(
            is_active=True)
        fields["organizations"].queryset = _customers(user)
        fields["departments"].queryset = _departments(user)
        fields["departments"].widget.attrs["size"] = 6
        people = fields["people"]
        people.queryset = pickers.requesters(user).filter(
            profile__organization__in=_customers(user))
        people.label_from_instance = pickers.label
        if not self.instance.pk:
            fields["channels"].initial = [SurveyChannel.EMAIL]

    def _post_clean(self) -> None:
        """Model validation happens in the service layer (it knows the provider)."""


# --- Questionnaires -------------------------------------------------------------------


class RowFormSet(forms.BaseFormSet):
    """Rows of a table the user grows and shrinks: every row is an "extra" one, so a
    row left as it was offered (blank) is skipped instead of refused; ticking
    "remove" drops a row."""

    def initial_form_count(self) -> int:
        return 0

    def total_form_count(self) -> int:
        if self.is_bound:
            return super().total_form_count()
        return len(self.initial or [])

    def kept(self) -> list[forms.Form]:
        """The rows to save: neither removed nor left blank (after ``is_valid``)."""
        return [form for form in self.forms
                if form.has_changed() and not self._should_delete_form(form)]

    def rows(self) -> list[dict[str, Any]]:
        """The rows as typed (not validated), removed ones left out: for a new page."""
        return [{name: form[name].value() for name in form.fields if name != "DELETE"}
                for form in self.forms if not (form.is_bound and form["DELETE"].value())]


class SectionForm(forms.Form):
    title = forms.CharField(label=capfirst(_("title")), max_length=200, required=False)
    title_en = forms.CharField(label=capfirst(_("title (English)")), max_length=200,
                               required=False)


class OptionsField(forms.CharField):
    """The options of a choice question, one a line: ``value | label | English label``
    (the labels may be left out: the value is shown)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(" | ".join(part for part in (
                str(o.get("value", "")), o.get("label", ""), o.get("label_en", "")) if part)
                for o in value if isinstance(o, dict))
        return value

    def to_python(self, value: Any) -> list[dict[str, str]]:
        text = super().to_python(self.prepare_value(value))
        options = []
        for line in str(text).splitlines():
            parts = [part.strip() for part in line.split("|")]
            if parts[0]:
                options.append({"value": parts[0], "label": parts[1] if len(parts) > 1 else "",
                                "label_en": parts[2] if len(parts) > 2 else ""})
        return options

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial) != self.to_python(data)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=capfirst(_("kind")), choices=QuestionKind.choices,
                             initial=QuestionKind.LIKERT)
    title = forms.CharField(label=capfirst(_("question")), max_length=500, required=False)
    title_en = forms.CharField(label=capfirst(_("question (English)")), max_length=500,
                               required=False)
    dimension = forms.SlugField(label=capfirst(_("dimension")), max_length=50, required=False,
                                widget=forms.TextInput(attrs={"list": "dimension-codes"}))
    options = OptionsField(label=capfirst(_("options")), required=False, help_text=_(
        "Choice questions: one option a line, “code | label | English label”."))
    allow_not_applicable = forms.BooleanField(label=capfirst(_("“not applicable” allowed")),
                                              required=False, initial=True)
    required = forms.BooleanField(label=capfirst(_("required")), required=False, initial=True)


#: Rows a posted form may claim (its ``TOTAL_FORMS``), whatever number it sends.
MAX_SECTIONS, MAX_QUESTIONS = 30, 100
SectionFormSet = forms.formset_factory(SectionForm, formset=RowFormSet, can_delete=True,
                                       max_num=MAX_SECTIONS, absolute_max=MAX_SECTIONS,
                                       validate_max=True)
QuestionFormSet = forms.formset_factory(QuestionForm, formset=RowFormSet, can_delete=True,
                                        max_num=MAX_QUESTIONS, absolute_max=MAX_QUESTIONS,
                                        validate_max=True)


class SectionsEditor:
    """The sections of a questionnaire, each with its questions, as formsets (prefixes
    ``sections`` and ``s<n>``) in and out of the shape of ``services.sections_of``. The
    page grows by a section or a question when one of its "add" buttons is pressed."""

    ADD_SECTION, ADD_QUESTION = "add_section", "add_question"

    def __init__(self, data=None, *, sections: list[dict[str, Any]]) -> None:
        if data is not None:
            self.sections = SectionFormSet(data, prefix="sections")
            self.questions = [QuestionFormSet(data, prefix=f"s{n}")
                              for n in range(self.sections.total_form_count())]
        else:
            self.sections = SectionFormSet(initial=[
                {"title": s["title"], "title_en": s["title_en"]} for s in sections],
                prefix="sections")
            self.questions = [QuestionFormSet(initial=s["questions"], prefix=f"s{n}")
                              for n, s in enumerate(sections)]

    @classmethod
    def blank(cls) -> SectionsEditor:
        return cls(sections=[{"title": "", "title_en": "", "questions": [{}]}])

    @classmethod
    def grown(cls, data) -> SectionsEditor | None:
        """The editor with the typed rows and one blank row more, when ``data`` asks for
        one (an "add" button); else None."""
        if cls.ADD_SECTION not in data and cls.ADD_QUESTION not in data:
            return None
        bound = cls(data, sections=[])
        rows = bound.sections.rows()
        kept = [n for n, form in enumerate(bound.sections.forms)
                if not form["DELETE"].value()]
        sections = [{**row, "questions": bound.questions[n].rows()}
                    for row, n in zip(rows, kept, strict=True)]
        if cls.ADD_SECTION in data:
            sections.append({"title": "", "title_en": "", "questions": [{}]})
        else:
            target = data.get(cls.ADD_QUESTION, "")
            position = kept.index(int(target)) if target.isdigit() and int(target) in kept \
                else len(sections) - 1
            if position >= 0:
                sections[position]["questions"].append({})
        return cls(sections=sections)

    def is_valid(self) -> bool:
        return self.sections.is_valid() and all(q.is_valid() for q in self.questions)

    def cleaned(self) -> list[dict[str, Any]]:
        """The sections to save (after ``is_valid``): removed and blank rows left out."""
        result = []
        for n, form in enumerate(self.sections.forms):
            if self.sections._should_delete_form(form):
                continue
            questions = [{name: value for name, value in row.cleaned_data.items()
                          if name != "DELETE"} for row in self.questions[n].kept()]
            if form.has_changed() or questions:
                result.append({"title": form.cleaned_data.get("title", ""),
                               "title_en": form.cleaned_data.get("title_en", ""),
                               "questions": questions})
        return result

    def blocks(self) -> list[tuple[int, forms.Form, Any]]:
        """(number, section form, its question formset) for the template."""
        return list(zip(range(len(self.questions)), self.sections.forms, self.questions,
                        strict=False))


class QuestionnaireForm(ScopedModelForm):
    """A questionnaire's own fields, and its sections (``self.editor``)."""

    class Meta:
        model = Questionnaire
        fields = ["code", "title", "title_en", "introduction", "introduction_en",
                  "is_active"]
        widgets = {"introduction": forms.Textarea(attrs={"rows": 2}),
                   "introduction_en": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user, editor: SectionsEditor | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if editor is not None:
            self.editor = editor
        elif self.is_bound:
            self.editor = SectionsEditor(self.data, sections=[])
        elif self.instance.pk:
            self.editor = SectionsEditor(sections=sections_of(self.instance))
        else:
            self.editor = SectionsEditor.blank()

    def grown(self) -> QuestionnaireForm | None:
        """When an "add" button was pressed: the form again, unbound (no errors yet),
        with what was typed and one blank row more; else None."""
        editor = SectionsEditor.grown(self.data) if self.is_bound else None
        if editor is None:
            return None
        typed = {name: self[name].value() for name in self.fields}
        return type(self)(instance=self.instance, user=self.user, initial=typed,
                          editor=editor)

    def is_valid(self) -> bool:
        own = super().is_valid()
        return self.editor.is_valid() and own

    def _post_clean(self) -> None:
        """Model validation happens in the service layer (it knows the provider)."""


# --- Answers typed in by staff --------------------------------------------------------


class StaffAnswerForm(ScopedForm):
    """Who answered (a recipient of the campaign, or someone of an organization not
    asked by link), how, and who asked the questions."""

    channel = forms.ChoiceField(label=capfirst(_("channel")), initial=SurveyChannel.PHONE, choices=[
        (c.value, c.label) for c in SurveyChannel if c in STAFF_CHANNELS])
    recipient = forms.ModelChoiceField(
        label=capfirst(_("recipient")), queryset=Recipient.objects.none(), required=False,
        help_text=_("A person the campaign asked; their link is used up."))
    organization = forms.ModelChoiceField(
        label=capfirst(_("organization")), queryset=Organization.objects.none(), required=False,
        help_text=_("Or: the organization of someone the campaign did not ask."))
    department = OrganizationObjectChoiceField(label=capfirst(_("department")),
                                               queryset=Department.objects.none(),
                                               required=False)
    interviewer = forms.ModelChoiceField(label=capfirst(_("interviewer")),
                                         queryset=User.objects.none())

    def __init__(self, *args: Any, user, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        fields = self.fields
        fields["recipient"].queryset = (
            Recipient.objects.filter(campaign=campaign, answered_at__isnull=True)
            .select_related("person__profile__organization").prefetch_related("person__teams")
            .order_by("organization__name", "person__last_name", "person__first_name"))
        fields["recipient"].label_from_instance = lambda r: pickers.label(r.person)
        fields["organization"].queryset = _customers(user)
        fields["department"].queryset = _departments(user)
        fields["interviewer"].queryset = pickers.for_picker(provider_staff(user))
        fields["interviewer"].label_from_instance = pickers.label
        fields["interviewer"].initial = user.pk

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        recipient, organization = cleaned.get("recipient"), cleaned.get("organization")
        department = cleaned.get("department")
        if recipient is not None and (organization is not None or department is not None):
            raise ValidationError(_("Choose either a recipient or an organization."))
        if recipient is None and organization is None and not self.errors:
            raise ValidationError(_("Choose the recipient who answered, or the "
                                    "organization of the person who answered."))
        if department is not None and department.organization_id != getattr(
                organization, "pk", None):
            self.add_error("department", _("Choose a department of that organization."))
        return cleaned

