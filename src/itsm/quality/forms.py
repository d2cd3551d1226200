"""The parameters of the service-level report, for the page, the XLSX and the API alike."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.catalog.models import Service
from itsm.core import access
from itsm.core.choices import Priority
from itsm.core.forms import ScopedModelForm
from itsm.core.models import Organization, Team

from .choices import PeriodKind
from .indicators import DIMENSIONS, UP, Scope, indicators
from .models import QualityTarget
from .reports import DEFAULT_TIME_ZONE, reportable_organizations, services_of

#: The largest id a bigint column holds; anything larger is a typing error, not an id.
MAX_ID = 2**63 - 1
MONTH_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}")
FIRST_YEAR = 2000
#: The longest period an indicator is computed over at once (two years).
MAX_INDICATOR_DAYS = 731


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


_SCOPE_FIELD_NAMES = ("customer", "service", "team", "person", "priority")


class IndicatorQueryForm(forms.Form):
    """What an indicator's value is asked for: ``start`` and ``end`` (dates; end
    exclusive; the previous month by default), narrowed to a ``customer``, ``service``,
    ``team``, ``person`` or ``priority`` of the reader's provider, split ``by`` one of the
    indicator's dimensions. An id outside the provider is a field error (400), as is a
    period longer than :data:`MAX_INDICATOR_DAYS` or ending before it starts."""

    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("Until"), required=False,
                          help_text=gettext_lazy("Exclusive: the day after the period."))
    customer = forms.IntegerField(label=gettext_lazy("Customer"), min_value=1,
                                  max_value=MAX_ID, required=False)
    service = forms.IntegerField(label=gettext_lazy("Service"), min_value=1,
                                 max_value=MAX_ID, required=False)
    team = forms.IntegerField(label=gettext_lazy("Team"), min_value=1, max_value=MAX_ID,
                              required=False)
    person = forms.IntegerField(label=gettext_lazy("Person"), min_value=1, max_value=MAX_ID,
                                required=False)
    priority = forms.TypedChoiceField(label=gettext_lazy("Priority"), coerce=int,
                                      required=False, empty_value=None,
                                      choices=[("", "—"), *Priority.choices])
    by = forms.ChoiceField(label=gettext_lazy("Split by"), required=False)

    def __init__(self, data: Any, *, user, indicator=None, now: dt.datetime | None = None
                 ) -> None:
        super().__init__(data)
        self.user, self.indicator = user, indicator
        self.now = now or timezone.now()
        self.fields["by"].choices = [("", "—"), *(
            (key, label) for key, label in DIMENSIONS.items()
            if indicator is not None and key in indicator.dimensions)]

    def _own(self, name: str, queryset) -> None:
        value = self.cleaned_data.get(name)
        if value is not None and not queryset.filter(pk=value).exists():
            self.add_error(name, _("Not one of your provider's."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        provider = access.provider_id_of(self.user)
        self._own("customer", Organization.objects.filter(
            Q(pk=provider) | Q(provider_id=provider)))
        self._own("service", Service.objects.filter(provider_id=provider))
        self._own("team", Team.objects.filter(organization_id=provider))
        self._own("person", get_user_model().objects.filter(profile__organization_id=provider))
        start, end = data.get("start"), data.get("end")
        if start is None and end is None:
            year, month = previous_month(self.now, DEFAULT_TIME_ZONE)
            start = dt.date(year, month, 1)
            end = (start + dt.timedelta(days=31)).replace(day=1)
        elif start is None or end is None:
            self.add_error("start" if start is None else "end",
                           _("Give both ends of the period, or neither."))
            return data
        if end <= start:
            self.add_error("end", _("The period ends before it starts."))
        elif (end - start).days > MAX_INDICATOR_DAYS:
            self.add_error("end", _("A period of at most %(days)d days.")
                           % {"days": MAX_INDICATOR_DAYS})
        data["start"], data["end"] = start, end
        return data

    def scope(self) -> Scope:
        data = self.cleaned_data
        return Scope(provider_id=access.provider_id_of(self.user),
                     customer_id=data.get("customer"), service_id=data.get("service"),
                     team_id=data.get("team"), person_id=data.get("person"),
                     priority=data.get("priority"))

    def narrowing(self) -> list[tuple[str, Any]]:
        """(field, value) of the dimensions the value is narrowed to."""
        return [(name, self.cleaned_data[name]) for name in _SCOPE_FIELD_NAMES
                if self.cleaned_data.get(name) is not None]

    def previous_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period of the same length just before (for the trend)."""
        start, end = self.bounds()
        return start - (end - start), start

    def query(self, **changes: Any) -> str:
        """The form's values as a query string, with ``changes`` (None drops one)."""
        values = {name: self.cleaned_data.get(name) for name in self.fields}
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as moments, from midnight to midnight in the provider's time zone."""
        tz = ZoneInfo(DEFAULT_TIME_ZONE)
        return tuple(dt.datetime.combine(self.cleaned_data[name], dt.time(), tzinfo=tz)
                     for name in ("start", "end"))


def indicator_label(indicator) -> str:
    """An indicator's name, unit and direction."""
    side = _("more is better") if indicator.direction == UP else _("less is better")
    return f"{indicator.name} ({indicator.unit}, {side})"


class QualityTargetForm(ScopedModelForm):
    """A quality target of the user's provider (validated again by the model and saved
    by ``services.save_target``)."""

    indicator = forms.ChoiceField(label=gettext_lazy("Indicator"))

    class Meta:
        model = QualityTarget
        fields = ["indicator", "period_kind", "team", "customer", "service", "target",
                  "warning", "critical", "owners", "is_active"]

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        provider_id = access.provider_id_of(user)
        self.fields["indicator"].choices = [(i.key, indicator_label(i)) for i in indicators()]
        self.fields["team"].queryset = Team.objects.filter(organization_id=provider_id)
        self.fields["customer"].queryset = Organization.objects.filter(
            provider_id=provider_id).order_by("name")
        self.fields["service"].queryset = Service.objects.filter(provider_id=provider_id)
        self.fields["owners"].queryset = get_user_model().objects.filter(
            is_active=True, profile__organization_id=provider_id).order_by("username")
        for name, label in (("team", _("All teams")), ("customer", _("All customers")),
                            ("service", _("All services"))):
            self.fields[name].empty_label = label
        self.fields["owners"].help_text = _("Alerted when a threshold is crossed; empty "
                                            "for a team's target: the team's lead.")
        self.fields["warning"].help_text = _("On the indicator's bad side of the target: "
                                             "below it when more is better, above it when "
                                             "less is better.")


class DashboardForm(forms.Form):
    """The quality dashboard's ``period`` (kind; monthly by default) and ``team`` (one of
    the provider's teams, optional). A team of another provider is a field error."""

    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PeriodKind.choices,
                               required=False)
    team = forms.IntegerField(label=gettext_lazy("Team"), min_value=1, max_value=MAX_ID,
                              required=False)

    def __init__(self, data: Any, *, user) -> None:
        super().__init__(data)
        self.teams = {t.pk: t for t in Team.objects.filter(
            organization_id=access.provider_id_of(user)).order_by("name")}

    def clean_period(self) -> str:
        return self.cleaned_data.get("period") or PeriodKind.MONTH

    def clean_team(self) -> int | None:
        team = self.cleaned_data.get("team")
        if team is not None and team not in self.teams:
            raise forms.ValidationError(_("Not one of your provider's."))
        return team
