"""Django admin of the catalogue and calendars: saves go through the audited services and
every change of a calendar's windows or exceptions bumps its version."""

# covers: SLM-1, SLM-2, SLM-6 (administration in the Django admin)

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from itsm.catalog import admin_services
from itsm.catalog.models import SLAPolicy
from itsm.core.models import AuditEntry, BusinessCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def admin_client(world):
    """P's administrator with the model permissions the Django admin asks for."""
    user = world.users["admin"]
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["core", "catalog"],
        content_type__model__in=["businesscalendar", "calendarwindow", "calendarexception",
                                 "service", "slapolicy", "slatarget", "priorityrule"]))
    return world.client("admin")


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


def calendar_form(calendar: BusinessCalendar, windows: list[dict],
                  exceptions: list[dict]) -> dict:
    return {"name": calendar.name, "description": "", "time_zone": "Asia/Shanghai",
            "organization": calendar.organization_id or "",
            **formset("windows", windows), **formset("exceptions", exceptions)}


def test_saving_windows_and_exceptions_in_the_admin_bumps_the_version(world, admin_client):
    calendar = admin_services.create_calendar(actor=None, data={
        "name": "华东 日历", "organization": world.orgs["P"]})
    version = calendar.updated_at
    friday = dt.datetime(2030, 3, 1, 17, 0, tzinfo=SHANGHAI)
    assert calendar.business_hours().windows_on(dt.date(2030, 3, 4)) == ()
    url = reverse("admin:core_businesscalendar_change", args=[calendar.pk])
    windows = [{"weekday": str(d), "start": "09:00", "end": "18:00"} for d in range(5)]
    holiday = [{"date": "2030-03-04", "kind": "holiday", "name": "临时假日"}]
    response = admin_client.post(url, calendar_form(calendar, windows, holiday))
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    fresh = BusinessCalendar.objects.get(pk=calendar.pk)
    assert fresh.updated_at > version
    assert fresh.windows.count() == 5
    assert fresh.business_hours().add(friday, dt.timedelta(hours=2)) == dt.datetime(
        2030, 3, 5, 10, 0, tzinfo=SHANGHAI)
    assert AuditEntry.objects.filter(object_type="core.calendarexception",
                                     action="create").exists()
    assert AuditEntry.objects.filter(object_type="core.businesscalendar",
                                     object_id=str(calendar.pk), action="update").exists()


@pytest.mark.parametrize(("windows", "exceptions"), [
    ([{"weekday": "0", "start": "09:00", "end": "12:00"},
      {"weekday": "0", "start": "11:00", "end": "18:00"}], []),
    ([], [{"date": "2030-03-04", "kind": "holiday", "start": "09:00", "end": "12:00"}]),
    ([], [{"date": "2030-03-04", "kind": "half_day"}]),
])
def test_invalid_inlines_are_refused_without_a_change(world, admin_client, windows,
                                                       exceptions):
    calendar = admin_services.create_calendar(actor=None, data={
        "name": "华东 日历", "organization": world.orgs["P"]})
    url = reverse("admin:core_businesscalendar_change", args=[calendar.pk])
    response = admin_client.post(url, calendar_form(calendar, windows, exceptions))
    assert response.status_code == 200  # the form again, with its errors
    fresh = BusinessCalendar.objects.get(pk=calendar.pk)
    assert fresh.updated_at == calendar.updated_at
    assert not fresh.windows.exists() and not fresh.exceptions.exists()


def test_policy_targets_in_the_admin(world, admin_client):
    response = admin_client.post(reverse("admin:catalog_slapolicy_add"), {
        "provider": world.orgs["P"].pk, "name": "后台 SLA", "availability_target": "99.9",
        "warning_percent": "75", "second_escalation_percent": "150", "is_active": "on",
        **formset("targets", [
            {"priority": "1", "response_minutes": "30", "resolution_minutes": "240"},
            {"priority": "1", "response_minutes": "60", "resolution_minutes": "480"}]),
    })
    assert response.status_code == 200  # a priority given twice
    assert not SLAPolicy.objects.filter(name="后台 SLA").exists()
    response = admin_client.post(reverse("admin:catalog_slapolicy_add"), {
        "provider": world.orgs["P"].pk, "name": "后台 SLA", "availability_target": "99.9",
        "warning_percent": "75", "second_escalation_percent": "150", "is_active": "on",
        **formset("targets", [
            {"priority": "1", "response_minutes": "30", "resolution_minutes": "240"}]),
    })
    assert response.status_code == 302
    policy = SLAPolicy.objects.get(name="后台 SLA")
    assert policy.target_for(1).response_minutes == 30
    assert AuditEntry.objects.filter(object_type="catalog.slapolicy",
                                     object_id=str(policy.pk)).count() == 2


def test_admin_lists_only_own_and_shared_calendars_and_shared_are_read_only(world,
                                                                           admin_client):
    own = admin_services.create_calendar(actor=None, data={
        "name": "P 日历", "organization": world.orgs["P"]})
    other = admin_services.create_calendar(actor=None, data={
        "name": "Q 日历", "organization": world.orgs["Q"]})
    page = admin_client.get(reverse("admin:core_businesscalendar_changelist"))
    body = page.content.decode()
    assert "P 日历" in body and "Q 日历" not in body
    assert admin_client.get(reverse("admin:core_businesscalendar_change",
                                    args=[other.pk])).status_code in (302, 404)
    shared = BusinessCalendar.objects.get(name="7×24")
    response = admin_client.post(reverse("admin:core_businesscalendar_change",
                                         args=[shared.pk]),
                                 calendar_form(shared, [], []))
    assert response.status_code == 403
    assert own.pk


@time_machine.travel(dt.datetime(2025, 11, 21, 10, tzinfo=SHANGHAI))
def test_seed_action_adds_next_years_holidays(world, admin_client):
    calendar = admin_services.create_calendar(actor=None, data={
        "name": "P 日历", "organization": world.orgs["P"]})
    response = admin_client.post(reverse("admin:core_businesscalendar_changelist"), {
        "action": "seed_china_next_year", "_selected_action": [calendar.pk]})
    assert response.status_code == 302
    assert calendar.exceptions.filter(date__year=2026).count() > 20
