"""Base forms: record fields scoped to what the user may pick."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import access, pickers, templating
from .choices import Language
from .limits import COMMENT_MAX_LENGTH
from .models import NotificationTemplate, Record
from .scoping import record_relation_querysets, restrict
from .search import MAX_QUERY


class ScopedFormMixin:
    """Every model choice of the form offers and accepts only objects of ``user``'s
    scope (``core.scoping.restrict``), whatever queryset the form declares: the base of
    every form of the project with such a choice (``core.tests.test_scoped_choices``
    checks). The choices are restricted when the form is first read (rendered or
    validated), after every ``__init__`` has set its own querysets."""

    def __init__(self, *args, user, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def __getitem__(self, name: str):
        if not self.__dict__.get("_choices_scoped"):
            self._choices_scoped = True
            for field in self.fields.values():
                if isinstance(field, forms.ModelChoiceField) and field.queryset is not None:
                    field.queryset = restrict(field.queryset, self.user)
        return super().__getitem__(name)


class ScopedForm(ScopedFormMixin, forms.Form):
    """A form with model choices scoped to its user."""


class ScopedModelForm(ScopedFormMixin, forms.ModelForm):
    """A model form with model choices scoped to its user."""


class RecordForm(ScopedModelForm):
    """Create/edit form for any record type; customers get the simple version."""

    #: Fields a customer sees when creating a record.
    customer_fields: tuple[str, ...] = ("title", "description")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name, queryset in record_relation_querysets(user).items():
            if name in self.fields:
                self.fields[name].queryset = queryset
        for name in ("requester", "owner", "assignee"):
            if name in self.fields:  # by name and team, not by login name
                field = self.fields[name]
                field.queryset = pickers.for_picker(field.queryset)
                field.label_from_instance = pickers.label
        if "due_at" in self.fields:
            self.fields["due_at"].widget = forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        if not access.is_staff_writer(user):
            allowed = set(self.customer_fields)
            if self.instance.pk:
                allowed &= set(self.instance.requester_editable_fields)
            for name in list(self.fields):
                if name not in allowed:
                    del self.fields[name]
        elif self.instance.pk:
            self.fields.pop("organization", None)
        for name in self.defaulted_fields():
            self.fields[name].required = False

    def defaulted_fields(self) -> list[str]:
        """Shown fields whose model field has a default: left empty, the default applies."""
        model = self._meta.model
        return [name for name in self.fields
                if any(f.name == name and f.has_default() for f in model._meta.concrete_fields)]

    def service_data(self) -> dict:
        """Cleaned values of the fields the form shows (for the service call); an empty
        field that has a model default is left out, so the default (or a value the record
        type derives, like a priority from impact × urgency) applies."""
        defaulted = set(self.defaulted_fields())
        return {name: value for name, value in self.cleaned_data.items()
                if name in self.fields and name not in ("version", "attachments")
                and not (name in defaulted and value in (None, ""))}



class TransitionForm(ScopedForm):
    """Comment plus the fields a transition sets; built per transition."""

    comment = forms.CharField(label=_("Comment"), required=False,
                              max_length=COMMENT_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, record: Record, transition, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.transition = transition
        self.prefix = f"t-{transition.name}"
        relations = record_relation_querysets(user)
        required = {f for r in transition.required for f in r.split("|") if "|" not in r}
        for name in transition.fields:
            model_field = record._meta.get_field(name)
            field = model_field.formfield()
            if name in relations:
                field.queryset = relations[name]
            field.required = name in required
            field.initial = getattr(record, model_field.attname)
            self.fields[name] = field
        self.fields["comment"].required = transition.comment_required

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.transition.fields}


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=COMMENT_MAX_LENGTH)
    internal = forms.BooleanField(label=_("Internal note (staff only)"), required=False)


def attachments_field() -> forms.FileField:
    """The "attachments" of a new record's form: several files at once (the view stores
    each of ``request.FILES.getlist("attachments")``; the size limits are the service's)."""
    return forms.FileField(
        label=_("Attachments"), required=False,
        widget=forms.ClearableFileInput(attrs={"allow_multiple_selected": True}),
        help_text=_("Screenshots, documents: you can choose several files."))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    internal = forms.BooleanField(label=_("Internal (staff only)"), required=False)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=Language.choices)


class SearchForm(forms.Form):
    """The keyword of the global search (``core.global_search``): empty is no search
    yet; longer than ``search.MAX_QUERY`` is a field error, not a query cut short."""

    q = forms.CharField(label=_("Search"), required=False, max_length=MAX_QUERY)


class NotificationTemplateForm(forms.ModelForm):
    """A provider's notification text; checked in the sandbox, field by field."""

    class Meta:
        model = NotificationTemplate
        fields = ["event", "language", "subject_template", "body_template", "is_active"]
        widgets = {
            "subject_template": forms.TextInput(attrs={"class": "font-monospace"}),
            "body_template": forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("subject_template", "body_template"):
            self.fields[name].strip = False

    def clean(self) -> dict:
        cleaned = super().clean()
        subject, body = cleaned.get("subject_template"), cleaned.get("body_template")
        if subject is not None and body is not None:
            try:
                templating.validate_template(subject, body, event=cleaned.get("event", ""),
                                             language=cleaned.get("language"))
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field, messages)
        return cleaned
