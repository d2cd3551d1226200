"""The parameters of the quarterly quality report, for the page, the PDF, the API and
subscriptions alike."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core import access
from itsm.core.models import Organization
from itsm.core.reports.periods import (
    last_complete_period,
    parse_quarter,
    period_value,
    quarter_bounds,
    running_period,
    zone,
)

from .forms import MAX_ID

FIRST_YEAR = 2000
#: Quarters offered in the form's list (any other past one may be typed in the API).
OFFERED_QUARTERS = 8


class QuarterlyReportForm(forms.Form):
    """``quarter`` (``2026-Q3``; the last complete one by default, in the provider's time
    zone) and ``customer`` (the id of one of the provider's customers; all by default).
    A customer outside the provider is a 404 (its existence is not disclosed); a
    malformed or future quarter is a field error (400)."""

    quarter = forms.CharField(
        label=gettext_lazy("Quarter"), required=False, max_length=7,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    customer = forms.IntegerField(
        label=gettext_lazy("Customer"), min_value=1, max_value=MAX_ID, required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, data: Any, *, user, now: dt.datetime | None = None) -> None:
        super().__init__(data)
        self.user = user
        self.now = now or timezone.now()
        self.provider = (access.organization_of(user) if access.is_provider_staff(user)
                         else None)
        self.tz = zone(self.provider.time_zone if self.provider else None)
        self.customers = ({o.pk: o for o in Organization.objects.filter(
            provider_id=self.provider.pk).order_by("name")} if self.provider else {})
        start, _end = running_period("quarter", self.now, self.tz)
        offered = []
        for _i in range(OFFERED_QUARTERS):
            start, _end = last_complete_period("quarter", start, self.tz)
            offered.append(period_value("quarter", start))
        self.fields["quarter"].widget.choices = [(q, q) for q in offered]
        self.fields["customer"].widget.choices = [("", _("All customers"))] + [
            (pk, o.name) for pk, o in self.customers.items()]

    def clean_quarter(self) -> tuple[int, int]:
        raw = (self.cleaned_data.get("quarter") or "").strip()
        if not raw:
            start, _end = last_complete_period("quarter", self.now, self.tz)
            return start.year, (start.month - 1) // 3 + 1
        parsed = parse_quarter(raw)
        if parsed is None:
            raise forms.ValidationError(_("Enter a quarter as YYYY-Qn, e.g. 2026-Q3."))
        if parsed[0] < FIRST_YEAR:
            raise forms.ValidationError(_("Choose a quarter from %(year)d on.")
                                        % {"year": FIRST_YEAR})
        start, _end = quarter_bounds(*parsed, self.tz)
        if start > self.now:
            raise forms.ValidationError(_("That quarter has not started yet."))
        return parsed

    def clean_customer(self) -> Organization | None:
        pk = self.cleaned_data.get("customer")
        if pk is None:
            return None
        if pk not in self.customers:
            raise Http404(_("No such customer."))
        return self.customers[pk]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.provider is None:
            raise Http404
        if "quarter" in data:
            data["year"], data["quarter_number"] = data["quarter"]
            data["start"], data["end"] = quarter_bounds(*data["quarter"], self.tz)
        data["provider"] = self.provider
        return data
