"""Forms of the plan and drill pages; saving goes through ``security.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from itsm.catalog.models import Service
from itsm.core import access
from itsm.core.forms import ScopedModelForm
from itsm.core.models import Organization

from .models import Drill, EmergencyPlan

User = get_user_model()


def _json_widget() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 4, "class": "font-monospace"})


class PlanForm(ScopedModelForm):
    class Meta:
        model = EmergencyPlan
        fields = ["title", "customer", "service", "scope", "response_levels", "roles",
                  "contacts", "resources", "steps", "preparation", "monitoring_warning",
                  "response", "review", "version", "status"]
        widgets = {"response_levels": _json_widget(), "contacts": _json_widget()}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        provider = access.provider_id_of(user)
        self.fields["customer"].queryset = Organization.objects.filter(provider_id=provider)
        self.fields["service"].queryset = Service.objects.filter(provider_id=provider)
        for name in ("scope", "roles", "resources", "steps", "preparation",
                     "monitoring_warning", "response", "review"):
            self.fields[name].widget.attrs["rows"] = 3

    def _post_clean(self) -> None:
        """Model validation happens in the service layer (it knows the provider)."""


class DrillForm(ScopedModelForm):
    class Meta:
        model = Drill
        fields = ["plan", "date", "participants", "scenario", "findings", "evaluation",
                  "evaluation_notes", "follow_ups"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}),
                   "follow_ups": _json_widget()}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        provider = access.provider_id_of(user)
        self.fields["participants"].queryset = User.objects.filter(
            Q(profile__organization_id=provider)
            | Q(profile__organization__provider_id=provider)).order_by("username")

    def _post_clean(self) -> None:
        """Model validation happens in the service layer."""
