"""Forms of the controlled documents' pages: the document (with its first version, from
a template), versions, reviews, loans, the settings and the requirement analysis."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.forms import RecordForm, ScopedForm, ScopedModelForm
from itsm.core.limits import COMMENT_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, LONG_TEXT_MAX_LENGTH
from itsm.core.models import Department
from itsm.core.scoping import STAFF_GROUP_NAMES

from .choices import Confidentiality, DocumentStatus, Importance, ReviewDecision
from .models import (
    ControlledDocument,
    DocumentCategory,
    DocumentClearance,
    DocumentTemplate,
)
from .requirements import SECTIONS

User = get_user_model()


def category_label(category: DocumentCategory) -> str:
    return f"{category} ({category.number_code})"


def _text_area(rows: int = 8) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class DocumentForm(RecordForm):
    """A document's fields; on creation also its first version (a text, prefilled from a
    template, or a file)."""

    text = forms.CharField(label=_("Text of the first version"), required=False,
                           max_length=LONG_TEXT_MAX_LENGTH, widget=_text_area(12),
                           help_text=_("Or upload a file; both can be added later as "
                                       "versions."))
    file = forms.FileField(label=_("File of the first version"), required=False)

    class Meta:
        model = ControlledDocument
        fields = ["title", "document_category", "importance", "confidentiality",
                  "description", "department", "owner", "assignee", "effective_date",
                  "supersedes", "due_at", "organization", "requester"]
        widgets = {"effective_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        provider = access.provider_id_of(user)
        if "document_category" in self.fields:
            field = self.fields["document_category"]
            field.queryset = (DocumentCategory.objects.filter(provider_id=provider,
                                                               is_active=True)
                              .select_related("parent").order_by("parent__order", "order"))
            field.label_from_instance = category_label
            field.required = True
        if "department" in self.fields:
            self.fields["department"].queryset = Department.objects.filter(
                organization_id=provider)
        if "supersedes" in self.fields:
            self.fields["supersedes"].queryset = ControlledDocument.objects.filter(
                status=DocumentStatus.PUBLISHED).exclude(pk=self.instance.pk)
        if "requester" in self.fields:
            self.fields["requester"].required = False
            self.fields["requester"].help_text = _(
                "For a document of a customer organization: its contact there.")
        if "owner" in self.fields and not self.instance.pk:
            self.fields["owner"].help_text = _("Leave empty to own it yourself.")
        if "organization" in self.fields:
            self.fields["organization"].required = False
            self.fields["organization"].help_text = _(
                "Leave empty for an internal document of your provider.")
        if self.instance.pk:
            for name in ("text", "file"):
                self.fields.pop(name)
            if self.instance.status != DocumentStatus.DRAFT:
                for name in list(self.fields):
                    if name not in ("owner", "assignee", "confidentiality", "effective_date",
                                    "due_at"):
                        self.fields.pop(name)

    def service_data(self) -> dict:
        data = super().service_data()
        for name in ("text", "file"):
            data.pop(name, None)
        if data.get("organization") is None:
            data.pop("organization", None)
        if data.get("requester") is None:
            data.pop("requester", None)
        return data

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("text") and cleaned.get("file"):
            self.add_error("file", _("A version is a file or a text, not both."))
        return cleaned


class VersionForm(forms.Form):
    """A new version (or the check-in): a file or a text, what changed."""

    file = forms.FileField(label=_("File"), required=False)
    text = forms.CharField(label=_("Text"), required=False, max_length=LONG_TEXT_MAX_LENGTH,
                           widget=_text_area(10))
    change_summary = forms.CharField(label=_("What changed"), required=False, max_length=500)
    major = forms.BooleanField(label=_("Major revision (next major number)"), required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=ReviewDecision.choices,
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_MAX_LENGTH,
                              widget=_text_area(3),
                              help_text=_("Required when rejecting: what must change."))


class LoanRequestForm(forms.Form):
    purpose = forms.CharField(label=_("Purpose"), max_length=500)
    due_date = forms.DateField(label=_("Return by"),
                               widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["due_date"].initial = timezone.localdate() + dt.timedelta(days=14)


class CommentOnlyForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=DESCRIPTION_MAX_LENGTH,
                             widget=_text_area(3))


class CategoryForm(ScopedModelForm):
    class Meta:
        model = DocumentCategory
        fields = ["parent", "name", "kind", "code", "order", "is_active"]

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        parents = DocumentCategory.objects.filter(parent__isnull=True,
                                                  provider_id=access.provider_id_of(user))
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["kind"].required = False

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()

    def clean(self) -> dict:
        cleaned = super().clean()
        parent = cleaned.get("parent")
        if parent is not None:
            cleaned["kind"] = parent.kind
        elif not cleaned.get("kind"):
            self.add_error("kind", _("Choose what the category is about."))
        return cleaned


class TemplateForm(ScopedModelForm):
    class Meta:
        model = DocumentTemplate
        fields = ["category", "name", "body", "file", "is_active"]
        widgets = {"body": _text_area(12)}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["category"].queryset = DocumentCategory.objects.filter(
            provider_id=access.provider_id_of(user))
        self.fields["category"].label_from_instance = category_label


class ClearanceForm(ScopedModelForm):
    class Meta:
        model = DocumentClearance
        fields = ["user", "level", "reason"]

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            is_active=True, profile__organization_id=access.provider_id_of(user),
            groups__name__in=STAFF_GROUP_NAMES).distinct()


class RequirementForm(ScopedForm):
    """The requirement analysis of a request (REQ-5): four sections."""

    title = forms.CharField(label=_("Title"), max_length=200)
    functional = forms.CharField(label=SECTIONS[0][1], required=False,
                                 max_length=DESCRIPTION_MAX_LENGTH, widget=_text_area(5))
    performance = forms.CharField(label=SECTIONS[1][1], required=False,
                                  max_length=DESCRIPTION_MAX_LENGTH, widget=_text_area(4))
    interface = forms.CharField(label=SECTIONS[2][1], required=False,
                                max_length=DESCRIPTION_MAX_LENGTH, widget=_text_area(4))
    data = forms.CharField(label=SECTIONS[3][1], required=False,
                           max_length=DESCRIPTION_MAX_LENGTH, widget=_text_area(4))
    importance = forms.ChoiceField(label=_("importance"), choices=Importance.choices,
                                   initial=Importance.ORDINARY)
    confidentiality = forms.ChoiceField(label=_("confidentiality"),
                                        choices=Confidentiality.choices,
                                        initial=Confidentiality.INTERNAL)

    def sections(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key, _heading in SECTIONS}
