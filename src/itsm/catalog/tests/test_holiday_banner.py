"""The holiday banner (SLM-6): shown to calendar administrators only, closed by each of
them for themselves, and fixed with one click when the ``holidays`` package has
published the year's official arrangement."""

# covers: SLM-6, GEN-AUDIT

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from itsm.catalog import admin_services
from itsm.conftest import PASSWORD
from itsm.core import directory
from itsm.core.calendar_seed import china_arrangement
from itsm.core.choices import Role
from itsm.core.models import AuditEntry, BusinessCalendar, Profile

SHANGHAI = ZoneInfo("Asia/Shanghai")
BANNER = 'id="calendar-warning"'
#: Next year (2026) counts from November; the installed ``holidays`` knows 2026.
NOVEMBER_2025 = dt.datetime(2025, 11, 21, 10, tzinfo=SHANGHAI)


@pytest.fixture
def calendar(world) -> BusinessCalendar:
    """A calendar of P with this year's days entered and none of next year's (the
    shipped shared calendars have both)."""
    calendar = admin_services.create_calendar(
        actor=None, data={"name": "星云工作日", "organization": world.orgs["P"]},
        windows=[{"weekday": d, "start": dt.time(9), "end": dt.time(18)} for d in range(5)])
    admin_services.add_exception(calendar, actor=None, data={
        "date": dt.date(2025, 10, 1), "kind": "holiday", "name": "国庆节"})
    return calendar


def second_admin(world):
    return directory.create_person(actor=None, data={
        "username": "admin2", "first_name": "admin2", "last_name": "",
        "email": "admin2@example.cn", "password": PASSWORD, "roles": [Role.ADMINISTRATOR],
        "is_staff": True, "profile": {"organization": world.orgs["P"]}})


def page(client, path: str = "/requests/") -> str:
    response = client.get(path, follow=True)
    assert response.status_code == 200
    return response.content.decode()


@time_machine.travel(NOVEMBER_2025)
def test_only_calendar_administrators_see_the_banner(world, calendar):
    body = page(world.client("admin"))
    assert BANNER in body and "星云工作日" in body
    assert 'id="calendar-seed-2026"' in body                # published: one click
    assert 'name="key" value="holidays:2026"' in body
    for identity in ("agent", "lead", "auditor", "requester_a", "custadmin_a"):
        assert BANNER not in page(world.client(identity)), identity


@time_machine.travel(NOVEMBER_2025)
def test_closing_the_banner_hides_it_for_that_administrator_only(world, calendar):
    admin, other = world.client("admin"), world.client(None)
    other.force_login(second_admin(world))
    response = admin.post(reverse("notice-dismiss"), {"key": "holidays:2026",
                                                      "next": "/requests/?open=true"})
    assert response.status_code == 302 and response["Location"] == "/requests/?open=true"
    assert BANNER not in page(admin)
    assert BANNER in page(other)
    profile = Profile.objects.get(user=world.admin)
    assert profile.dismissed_notices == ["holidays:2026"]
    assert AuditEntry.objects.filter(object_type="core.profile", object_id=str(profile.pk),
                                     changes__has_key="dismissed_notices").exists()
    # Closing it again changes nothing; an off-site "next" goes home instead.
    response = admin.post(reverse("notice-dismiss"), {"key": "holidays:2026",
                                                      "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert Profile.objects.get(user=world.admin).dismissed_notices == ["holidays:2026"]


def test_a_closed_banner_comes_back_for_another_year(world, calendar):
    with time_machine.travel(NOVEMBER_2025):
        world.client("admin").post(reverse("notice-dismiss"), {"key": "holidays:2026"})
        admin_services.seed_official_year(actor=None, year=2026)
    with time_machine.travel(dt.datetime(2026, 11, 21, 10, tzinfo=SHANGHAI)):
        body = page(world.client("admin"))
    assert BANNER in body and 'value="holidays:2027"' in body


@pytest.mark.parametrize("body", [{}, {"key": ""}, {"key": "<script>alert(1)</script>"},
                                  {"key": "holidays:" + "9" * 100}])
def test_a_bad_notice_key_is_a_400(world, body):
    response = world.client("admin").post(reverse("notice-dismiss"), body)
    assert response.status_code == 400
    assert Profile.objects.get(user=world.admin).dismissed_notices == []


@time_machine.travel(NOVEMBER_2025)
def test_the_seed_button_adds_the_official_days_audited_and_the_banner_goes(world, calendar):
    admin = world.client("admin")
    response = admin.post(reverse("catalog:seed-holidays"), {"year": "2026",
                                                             "next": "/requests/"})
    assert response.status_code == 302 and response["Location"] == "/requests/"
    official = {day for day, _kind, _name in china_arrangement([2026])}
    assert set(calendar.exceptions.filter(date__year=2026).values_list("date", flat=True)) \
        == official
    seeded = AuditEntry.objects.get(object_type="core.businesscalendar",
                                    object_id=str(calendar.pk), changes__has_key="seeded")
    assert seeded.actor_id == world.admin.pk
    assert seeded.changes["seeded"][1]["added"] == len(official)
    assert BANNER not in page(admin)
    # The shipped shared calendars had 2026 already: nothing was added to them.
    assert not AuditEntry.objects.filter(object_type="core.businesscalendar",
                                         changes__has_key="seeded").exclude(
        object_id=str(calendar.pk)).exists()


@time_machine.travel(NOVEMBER_2025)
def test_seeding_is_for_calendar_administrators_and_published_years(world, calendar):
    assert world.client("agent").post(reverse("catalog:seed-holidays"),
                                      {"year": "2026"}).status_code == 403
    admin = world.client("admin")
    for bad in ({}, {"year": "明年"}, {"year": "20260"}):
        assert admin.post(reverse("catalog:seed-holidays"), bad).status_code == 400
    response = admin.post(reverse("catalog:seed-holidays"), {"year": "2035"}, follow=True)
    assert response.status_code == 200
    assert "2035" in response.content.decode()               # said why, on the page
    assert not calendar.exceptions.filter(date__year__in=[2026, 2035]).exists()
