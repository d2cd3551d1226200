"""The form of a report subscription's schedule and recipients (its parameters are the
report's own form, bound beside it with the prefix ``p``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import access, pickers
from ..choices import STAFF_ROLES, ReportFormat, ReportFrequency, Role
from ..forms import ScopedModelForm
from ..models import ReportSubscription
from .registry import Report
from .services import recipient_candidates

#: The prefix of the report's parameter fields on the subscription form.
PARAMETER_PREFIX = "p"


class SubscriptionForm(ScopedModelForm):
    """Frequency and format among those the report has; recipients among the provider's
    active staff, roles among the staff roles."""

    roles = forms.MultipleChoiceField(
        label=_("Roles"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(value, label) for value, label in Role.choices if value in STAFF_ROLES],
        help_text=_("Everyone of your organization holding one of these roles when the "
                    "report is sent."))

    class Meta:
        model = ReportSubscription
        fields = ["frequency", "format", "people", "roles", "is_active"]

    def __init__(self, *args: Any, user, report: Report, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["frequency"].choices = [
            (value, label) for value, label in ReportFrequency.choices
            if value in report.periods]
        self.fields["format"].choices = [
            (value, label) for value, label in ReportFormat.choices if value in report.formats]
        people = self.fields["people"]
        people.queryset = pickers.for_picker(recipient_candidates(
            access.provider_id_of(user)))
        people.label_from_instance = pickers.label
        people.required = False
        people.help_text = _("They get the report by email; so do the holders of the roles "
                             "below.")
        self.fields["frequency"].help_text = _(
            "Sent on the first day of the period, for the period that just ended.")
