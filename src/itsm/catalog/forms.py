"""Forms of the catalogue's web pages: the holiday banner's action, request types and
their parts (saving goes through ``request_types``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from itsm.core.forms import ScopedModelForm

from .models import RequestType, RequestTypeApproval, RequestTypeField, RequestTypeTask


class SeedYearForm(forms.Form):
    """The year of China's official arrangement to add (the holiday banner's button)."""

    year = forms.IntegerField(min_value=2000, max_value=2100)


# --- Request types and their parts ------------------------------------------------------


class RequestTypeForm(ScopedModelForm):
    class Meta:
        model = RequestType
        fields = ["service", "name", "description", "icon", "order", "sla_policy",
                  "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self) -> None:
        """Model validation happens in the service layer (it knows the provider)."""


class ChoicesField(forms.CharField):
    """The options of a choice field, one per line (stored as a list)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class RequestTypeFieldForm(ScopedModelForm):
    choices = ChoicesField(label=gettext_lazy("choices"), required=False,
                           help_text=gettext_lazy("For a choice field: one option per line."))

    class Meta:
        model = RequestTypeField
        fields = ["request_type", "key", "label", "kind", "required", "choices", "help_text",
                  "order"]

    def _post_clean(self) -> None:
        """Model validation happens in the service layer."""


class RequestTypeApprovalForm(ScopedModelForm):
    class Meta:
        model = RequestTypeApproval
        fields = ["request_type", "order", "kind", "role"]

    def _post_clean(self) -> None:
        """Model validation happens in the service layer."""


class RequestTypeTaskForm(ScopedModelForm):
    class Meta:
        model = RequestTypeTask
        fields = ["request_type", "order", "title", "description", "team"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self) -> None:
        """Model validation happens in the service layer."""
