"""Forms of complaints, improvement actions and the complaint settings (cause categories,
clock policies); the settings are validated again and saved by ``services``."""

from typing import Any

from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.forms import RecordForm, ScopedModelForm
from itsm.core.models import Organization

from .models import CauseCategory, Complaint, ComplaintPolicy, ImprovementAction


class ComplaintForm(RecordForm):
    #: What a complainant fills in on the portal.
    customer_fields = ("title", "description", "system", "service", "remedy_sought")

    class Meta:
        model = Complaint
        fields = ["organization", "requester", "channel", "received_at", "title",
                  "description", "service", "system", "remedy_sought", "level",
                  "assignee_team", "assignee"]


class ImprovementActionForm(RecordForm):
    customer_fields = ()

    class Meta:
        model = ImprovementAction
        fields = ["organization", "requester", "title", "description", "cause_category",
                  "measure", "priority", "assignee_team", "assignee", "due_at"]


class CauseCategoryForm(ScopedModelForm):
    """A category (no parent) or a subcategory of one (shared or the provider's own)."""

    class Meta:
        model = CauseCategory
        fields = ["parent", "name", "order", "is_active"]

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        parents = CauseCategory.objects.filter(parent__isnull=True).order_by("order", "name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].help_text = _("Empty for a category; choose one to add a "
                                            "subcategory to it.")


class ComplaintPolicyForm(ScopedModelForm):
    """The targets of one level, for all customers or for one of them."""

    class Meta:
        model = ComplaintPolicy
        fields = ["level", "organization", "response_minutes", "resolution_minutes",
                  "calendar"]

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(
            provider_id=access.provider_id_of(user)).order_by("name")
        self.fields["organization"].empty_label = _("All customers")
        self.fields["calendar"].empty_label = _("Default calendar")
        self.fields["resolution_minutes"].help_text = _("Empty: no resolution target.")
        for name in ("response_minutes", "resolution_minutes"):
            self.fields[name].validators.append(MinValueValidator(1))
            self.fields[name].widget.attrs["min"] = 1
