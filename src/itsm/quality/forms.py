"""The parameters of the service-level report, for the page, the XLSX and the API alike."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core import access

from .reports import DEFAULT_TIME_ZONE, reportable_organizations, services_of

#: The largest id a bigint column holds; anything larger is a typing error, not an id.
MAX_ID = 2**63 - 1
MONTH_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}")
FIRST_YEAR = 2000


def _today(now: dt.datetime, time_zone: str) -> dt.date:
    try:
        return timezone.localtime(now, ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.localtime(now, ZoneInfo(DEFAULT_TIME_ZONE)).date()


def previous_month(now: dt.datetime, time_zone: str) -> tuple[int, int]:
    last = _today(now, time_zone).replace(day=1) - dt.timedelta(days=1)
    return last.year, last.month


class ServiceLevelReportForm(forms.Form):
    """``organization`` (id; a customer administrator's own by default), ``month``
    (YYYY-MM, the previous month by default) and ``service`` (id, optional).

    An organization the user may not report on — another provider's, another
    customer's, or none at all — raises Http404 from ``is_valid()``, so that its
    existence is not disclosed; malformed values are field errors (400).
    """

    organization = forms.IntegerField(
        label=gettext_lazy("Organization"), min_value=1, max_value=MAX_ID, required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    month = forms.CharField(
        label=gettext_lazy("Month"), required=False, max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm",
                                      "placeholder": "YYYY-MM"}))
    service = forms.IntegerField(
        label=gettext_lazy("Service"), min_value=1, max_value=MAX_ID, required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}))

    def __init__(self, data: Any, *, user, now: dt.datetime | None = None) -> None:
        super().__init__(data)
        self.user = user
        self.now = now or timezone.now()
        self.organizations = {o.pk: o for o in reportable_organizations(user).order_by("name")}
        self.fields["organization"].widget.choices = [
            ("", _("Choose an organization"))] + [(pk, o.name) for pk, o in
                                                  self.organizations.items()]
        self.fields["service"].widget.choices = [("", _("All services"))]

    def clean_month(self) -> tuple[int, int] | None:
        raw = (self.cleaned_data.get("month") or "").strip()
        if not raw:
            return None
        if not MONTH_PATTERN.fullmatch(raw) or not 1 <= int(raw[5:]) <= 12:
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2026-10."))
        year, month = int(raw[:4]), int(raw[5:])
        if year < FIRST_YEAR:
            raise forms.ValidationError(_("Choose a month from %(year)d on.")
                                        % {"year": FIRST_YEAR})
        return year, month

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        organization = self._organization(data.get("organization"))
        if organization is None:
            self.add_error("organization", _("Choose an organization."))
            return data
        data["organization"] = organization
        year, month = data.get("month") or previous_month(self.now, organization.time_zone)
        today = _today(self.now, organization.time_zone)
        if (year, month) > (today.year, today.month):
            self.add_error("month", _("That month has not started yet."))
        data["year"], data["month"] = year, month
        service_id = data.get("service")
        data["service"] = None
        services = {s.pk: s for s in services_of(organization).order_by("name")}
        self.fields["service"].widget.choices = [("", _("All services"))] + [
            (pk, s.name) for pk, s in services.items()]
        if service_id is not None:
            data["service"] = services.get(service_id)
            if data["service"] is None:
                self.add_error("service", _("Choose a service that serves %(organization)s.")
                               % {"organization": organization.name})
        return data

    def _organization(self, pk: int | None):
        if pk is not None:
            if pk not in self.organizations:
                raise Http404(_("No such organization."))
            return self.organizations[pk]
        own = access.organization_of(self.user)
        if not access.is_provider_staff(self.user) and own is not None:
            return self.organizations.get(own.pk)
        return None

    def report_arguments(self) -> dict[str, Any]:
        """Keyword arguments of ``reports.service_level_report`` (after ``is_valid()``)."""
        data = self.cleaned_data
        return {"organization": data["organization"], "year": data["year"],
                "month": data["month"], "service": data["service"]}

    def query(self) -> dict[str, Any]:
        """The parameters as query-string values (after ``is_valid()``)."""
        data = self.cleaned_data
        query = {"organization": data["organization"].pk,
                 "month": f"{data['year']:04d}-{data['month']:02d}"}
        if data["service"] is not None:
            query["service"] = data["service"].pk
        return query
