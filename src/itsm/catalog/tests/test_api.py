"""Administration of the service catalogue and business calendars through the API.

Covers CRUD of services, SLA policies (targets written in the same request), the
priority matrix with its resolver, calendars with windows and exceptions, seeding
China's official holidays; validation (always a 400 with field messages, never a
500); who may read and write (administrators write, agents read, customers see the
services they subscribe to and no policies, another provider gets 404); the cached
business hours following every change; and the banner warning staff when next year's
holidays are missing.
"""

# covers: SLM-1 (service catalogue), SLM-2 (SLA targets per priority), SLM-6 (business
# calendars, holidays and make-up days, warning for missing years), INC-2 (priority
# matrix), GEN-API (REST API for everything)

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.catalog import admin_services
from itsm.catalog.models import PriorityRule, Service, SLAPolicy
from itsm.conftest import SENTINEL_B
from itsm.core import access
from itsm.core.models import AuditEntry, BusinessCalendar
from itsm.ui.context_processors import calendar_warning

SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICES = reverse("api:service-list")
POLICIES = reverse("api:slapolicy-list")
MATRIX = reverse("api:priorityrule-list")
RESOLVE = reverse("api:priorityrule-resolve")
CALENDARS = reverse("api:businesscalendar-list")
OFFICE = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]


def detail(route: str, pk: int) -> str:
    return reverse(f"api:{route}-detail", args=[pk])


def exceptions_url(pk: int) -> str:
    return reverse("api:businesscalendar-exceptions", args=[pk])


def seed_url(pk: int) -> str:
    return reverse("api:businesscalendar-seed-china", args=[pk])


def make_calendar(world, org: str = "P", name: str = "华东工作日", **data) -> BusinessCalendar:
    return admin_services.create_calendar(
        actor=None, data={"name": name, "organization": world.orgs[org], **data},
        windows=[{"weekday": d, "start": dt.time(9), "end": dt.time(18)} for d in range(5)])


def make_service(world, org: str = "P", code: str = "email", customers=("A",),
                 name: str = "企业邮箱") -> Service:
    calendar = make_calendar(world, org, name=f"{org} {code} 日历")
    return admin_services.create_provider_object(Service, actor=None, data={
        "provider": world.orgs[org], "code": code, "name": name, "calendar": calendar,
        "customers": [world.orgs[c] for c in customers]})


@pytest.fixture
def services(world):
    return {"a": make_service(world, "P", "email", ("A",)),
            "b": make_service(world, "P", "erp", ("B",), name=f"ERP {SENTINEL_B}"),
            "q": make_service(world, "Q", "mail-q", ("C",))}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Services -------------------------------------------------------------------------


def test_admin_creates_updates_and_deletes_a_service(world):
    client = world.client("admin")
    calendar = make_calendar(world)
    response = client.post(SERVICES, {
        "code": "vpn", "name": "远程接入 VPN", "description": "出差人员远程办公",
        "calendar": calendar.pk, "customers": [world.orgs["A"].pk],
        "owner_team": world.teams["desk"].pk, "availability_target": "99.95",
    }, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["provider"] == world.orgs["P"].pk
    assert data["name"] == "远程接入 VPN"
    assert data["is_24x7"] is False
    service = Service.objects.get(pk=data["id"])
    assert list(service.customers.all()) == [world.orgs["A"]]
    assert AuditEntry.objects.filter(object_type="catalog.service", object_id=str(service.pk),
                                     action="create", organization_id=world.orgs["P"].pk)

    response = client.patch(detail("service", service.pk),
                            {"name": "VPN 远程接入", "customers": [world.orgs["A"].pk,
                                                                 world.orgs["B"].pk]},
                            format="json")
    assert response.status_code == 200, response.json()
    service.refresh_from_db()
    assert service.name == "VPN 远程接入"
    assert service.customers.count() == 2
    update = AuditEntry.objects.get(object_type="catalog.service", action="update")
    assert set(update.changes) == {"name", "customers"}

    assert client.delete(detail("service", service.pk)).status_code == 204
    assert not Service.objects.filter(pk=service.pk).exists()


def test_service_validation_is_400_with_field_messages(world, services):
    client = world.client("admin")
    q_calendar = services["q"].calendar
    response = client.post(SERVICES, {
        "code": "email", "name": "重复的邮箱", "calendar": q_calendar.pk,
        "customers": [world.orgs["C"].pk], "owner_team": world.teams["q_desk"].pk,
        "availability_target": "120",
    }, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert {"calendar", "customers", "owner_team", "availability_target"} <= set(errors)
    response = client.post(SERVICES, {"code": "email", "name": "重复的邮箱",
                                      "calendar": services["a"].calendar_id}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()
    response = client.post(SERVICES, {"code": "邮箱 服务", "name": ""}, format="json")
    assert response.status_code == 400
    assert {"code", "name", "calendar"} <= set(response.json())


def test_deleting_a_calendar_in_use_is_a_409(world, services):
    admin_services.create_policy(actor=None, data={
        "provider": world.orgs["P"], "name": "邮箱 SLA", "service": services["a"]})
    # The policy cascades; a ticket would protect it. The calendar is protected.
    response = world.client("admin").delete(
        detail("businesscalendar", services["a"].calendar_id))
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert "无法删除" in response.json()["detail"]  # zh-Hans by default
    assert BusinessCalendar.objects.filter(pk=services["a"].calendar_id).exists()


def test_agents_read_but_do_not_write_the_catalogue(world, services):
    client = world.client("agent")
    assert ids(client.get(SERVICES)) == {services["a"].pk, services["b"].pk}
    response = client.post(SERVICES, {"code": "x", "name": "x",
                                      "calendar": services["a"].calendar_id}, format="json")
    assert response.status_code == 403
    response = client.patch(detail("service", services["a"].pk), {"name": "改名"}, format="json")
    assert response.status_code == 403
    assert client.delete(detail("service", services["a"].pk)).status_code == 403
    services["a"].refresh_from_db()
    assert services["a"].name == "企业邮箱"


def test_customers_see_only_the_services_they_subscribe_to(world, services):
    client = world.client("requester_a")
    response = client.get(SERVICES)
    assert ids(response) == {services["a"].pk}
    assert SENTINEL_B not in response.content.decode()
    assert "customers" not in response.json()["results"][0]  # who else subscribes
    assert client.get(detail("service", services["a"].pk)).status_code == 200
    assert client.get(detail("service", services["b"].pk)).status_code == 404
    assert client.get(detail("service", services["q"].pk)).status_code == 404
    assert ids(world.client("custadmin_b").get(SERVICES)) == {services["b"].pk}


def test_another_providers_objects_are_404(world, services):
    policy = admin_services.create_policy(actor=None, data={
        "provider": world.orgs["P"], "name": "P 默认"})
    rule = admin_services.create_provider_object(PriorityRule, actor=None, data={
        "provider": world.orgs["P"], "impact": 1, "urgency": 1, "priority": 1})
    calendar = services["a"].calendar
    client = world.client("agent_q")
    for url in (detail("service", services["a"].pk), detail("slapolicy", policy.pk),
                detail("priorityrule", rule.pk), detail("businesscalendar", calendar.pk)):
        assert client.get(url).status_code == 404, url
        assert client.patch(url, {"name": "x"}, format="json").status_code == 404, url
        assert client.delete(url).status_code == 404, url
    assert client.get(exceptions_url(calendar.pk)).status_code == 404
    assert client.post(exceptions_url(calendar.pk), {"date": "2030-01-01", "kind": "holiday"},
                       format="json").status_code == 404
    assert client.post(seed_url(calendar.pk), {"years": [2026]},
                       format="json").status_code == 404
    assert ids(client.get(SERVICES)) == {services["q"].pk}


# --- SLA policies -----------------------------------------------------------------------


TARGETS = [{"priority": 1, "response_minutes": 30, "resolution_minutes": 240},
           {"priority": 2, "response_minutes": 120, "resolution_minutes": 480}]


def test_sla_policy_with_targets_in_one_request(world, services):
    client = world.client("admin")
    response = client.post(POLICIES, {
        "name": "华东制造 邮箱 SLA", "service": services["a"].pk, "customer": world.orgs["A"].pk,
        "targets": TARGETS,
    }, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["targets"] == TARGETS
    policy = SLAPolicy.objects.get(pk=data["id"])
    assert policy.provider == world.orgs["P"]
    assert policy.target_for(1).resolution_minutes == 240

    new_targets = [{"priority": 1, "response_minutes": 15, "resolution_minutes": 120},
                   {"priority": 3, "response_minutes": 120, "resolution_minutes": 1440}]
    response = client.patch(detail("slapolicy", policy.pk), {"targets": new_targets},
                            format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["targets"] == new_targets
    assert sorted(policy.targets.values_list("priority", flat=True)) == [1, 3]
    entry = AuditEntry.objects.filter(object_type="catalog.slapolicy", action="update").last()
    assert "targets" in entry.changes

    response = client.patch(detail("slapolicy", policy.pk), {"name": "改名 SLA"},
                            format="json")
    assert response.status_code == 200
    assert policy.targets.count() == 2  # targets left out stay as they are
    assert client.delete(detail("slapolicy", policy.pk)).status_code == 204


@pytest.mark.parametrize(("targets", "message_in"), [
    ([TARGETS[0], {**TARGETS[1], "priority": 1}], "targets"),
    ([{"priority": 1, "response_minutes": 0, "resolution_minutes": 60}], "targets"),
    ([{"priority": 1, "response_minutes": 300, "resolution_minutes": 60}], "targets"),
    ([{"priority": 9, "response_minutes": 30, "resolution_minutes": 60}], "targets"),
    ("不是列表", "targets"),
])
def test_invalid_targets_are_400(world, targets, message_in):
    response = world.client("admin").post(POLICIES, {"name": "坏的 SLA", "targets": targets},
                                          format="json")
    assert response.status_code == 400
    assert message_in in response.json()
    assert not SLAPolicy.objects.filter(name="坏的 SLA").exists()


def test_policy_references_stay_within_the_provider(world, services):
    response = world.client("admin").post(POLICIES, {
        "name": "越界", "service": services["q"].pk, "customer": world.orgs["C"].pk,
        "calendar": services["q"].calendar_id, "warning_percent": 0}, format="json")
    assert response.status_code == 400
    assert {"service", "customer", "calendar", "warning_percent"} <= set(response.json())


def test_policies_and_matrix_are_for_staff_only(world):
    policy = admin_services.create_policy(actor=None, data={
        "provider": world.orgs["P"], "name": "P 默认"}, targets=TARGETS)
    rule = admin_services.create_provider_object(PriorityRule, actor=None, data={
        "provider": world.orgs["P"], "impact": 1, "urgency": 1, "priority": 1})
    for identity in ("requester_a", "custadmin_a"):
        client = world.client(identity)
        assert client.get(POLICIES).json()["results"] == []
        assert client.get(detail("slapolicy", policy.pk)).status_code == 404
        assert client.get(MATRIX).json()["results"] == []
        assert client.get(detail("priorityrule", rule.pk)).status_code == 404
        assert client.get(RESOLVE, {"impact": 1, "urgency": 1}).status_code == 403
    assert ids(world.client("auditor").get(POLICIES)) == {policy.pk}
    agent = world.client("agent")
    assert ids(agent.get(POLICIES)) == {policy.pk}
    response = agent.post(POLICIES, {"name": "agent 的"}, format="json")
    assert response.status_code == 403


# --- Priority matrix --------------------------------------------------------------------


def test_priority_matrix_crud_and_resolve(world):
    client = world.client("admin")
    # Without a rule the shipped default answers: impact 4 × urgency 4 → not important.
    response = client.get(RESOLVE, {"impact": 4, "urgency": 4})
    assert response.status_code == 200
    assert response.json()["priority"] == 4
    response = client.post(MATRIX, {"impact": 4, "urgency": 4, "priority": 2}, format="json")
    assert response.status_code == 201, response.json()
    rule_id = response.json()["id"]
    answer = world.client("agent").get(RESOLVE, {"impact": 4, "urgency": 4}).json()
    assert answer["priority"] == 2
    assert answer["priority_label"]
    # Another provider's desk keeps its own (default) matrix.
    assert world.client("agent_q").get(RESOLVE, {"impact": 4, "urgency": 4}).json()[
        "priority"] == 4
    response = client.post(MATRIX, {"impact": 4, "urgency": 4, "priority": 1}, format="json")
    assert response.status_code == 400
    assert "urgency" in response.json()
    response = client.patch(detail("priorityrule", rule_id), {"priority": 3}, format="json")
    assert response.status_code == 200
    assert client.get(RESOLVE, {"impact": 4, "urgency": 4}).json()["priority"] == 3
    assert client.delete(detail("priorityrule", rule_id)).status_code == 204
    assert world.client("agent").post(
        MATRIX, {"impact": 1, "urgency": 1, "priority": 1}, format="json").status_code == 403


def test_resolve_validates_its_parameters(world):
    client = world.client("agent")
    response = client.get(RESOLVE, {"impact": 7})
    assert response.status_code == 400
    assert {"impact", "urgency"} <= set(response.json())
    response = client.post(MATRIX, {"impact": 0, "urgency": "高", "priority": 5},
                           format="json")
    assert response.status_code == 403  # agents do not write, whatever the body


# --- Calendars ------------------------------------------------------------------------


def test_admin_creates_a_calendar_with_windows(world):
    client = world.client("admin")
    lunch = [w for d in range(5) for w in (
        {"weekday": d, "start": "09:00", "end": "12:00"},
        {"weekday": d, "start": "13:30", "end": "18:00"})]
    response = client.post(CALENDARS, {"name": "华东 午休日历", "time_zone": "Asia/Shanghai",
                                       "windows": lunch}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["organization"] == world.orgs["P"].pk
    assert data["shared"] is False
    assert len(data["windows"]) == 10
    calendar = BusinessCalendar.objects.get(pk=data["id"])
    hours = calendar.business_hours()
    assert hours.windows_on(dt.date(2030, 3, 4)) == ((dt.time(9), dt.time(12)),
                                                     (dt.time(13, 30), dt.time(18)))
    response = client.patch(detail("businesscalendar", calendar.pk),
                            {"windows": OFFICE, "description": "标准"}, format="json")
    assert response.status_code == 200, response.json()
    assert BusinessCalendar.objects.get(pk=calendar.pk).business_hours().windows_on(
        dt.date(2030, 3, 4)) == ((dt.time(9), dt.time(18)),)
    assert AuditEntry.objects.filter(object_type="core.businesscalendar", action="update",
                                     object_id=str(calendar.pk)).exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "重叠", "windows": [{"weekday": 0, "start": "09:00", "end": "12:00"},
                                {"weekday": 0, "start": "11:00", "end": "18:00"}]}, "windows"),
    ({"name": "倒置", "windows": [{"weekday": 0, "start": "18:00", "end": "09:00"}]}, "windows"),
    ({"name": "星期八", "windows": [{"weekday": 8, "start": "09:00", "end": "18:00"}]},
     "windows"),
    ({"name": "时区", "time_zone": "火星/标准时间"}, "time_zone"),
    ({"name": "中国标准工作日 09:00–18:00"}, "name"),
    ({"name": ""}, "name"),
])
def test_invalid_calendars_are_400(world, body, field):
    response = world.client("admin").post(CALENDARS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_calendar_reads_and_writes(world):
    own = make_calendar(world)
    other = make_calendar(world, "Q", name="Q 日历")
    shared = BusinessCalendar.objects.get(name="7×24")
    for identity in ("agent", "requester_a", "custadmin_b"):
        got = ids(world.client(identity).get(CALENDARS, {"page_size": 100}))
        assert {own.pk, shared.pk} <= got and other.pk not in got, identity
    agent = world.client("agent")
    assert agent.patch(detail("businesscalendar", own.pk), {"description": "x"},
                       format="json").status_code == 403
    assert agent.post(exceptions_url(own.pk), {"date": "2030-01-01", "kind": "holiday"},
                      format="json").status_code == 403
    assert agent.post(seed_url(own.pk), {"years": [2026]}, format="json").status_code == 403
    assert world.client("requester_a").get(exceptions_url(own.pk)).status_code == 200
    admin = world.client("admin")
    # Shared calendars serve every provider: only a superuser changes them...
    assert admin.patch(detail("businesscalendar", shared.pk), {"description": "x"},
                       format="json").status_code == 403
    assert admin.delete(detail("businesscalendar", shared.pk)).status_code == 403
    assert world.client("agent_q").get(detail("businesscalendar", own.pk)).status_code == 404


def test_exceptions_list_create_delete_and_validation(world):
    calendar = make_calendar(world)
    client = world.client("admin")
    url = exceptions_url(calendar.pk)
    response = client.post(url, {"date": "2030-10-01", "kind": "holiday", "name": "国庆节"},
                           format="json")
    assert response.status_code == 201, response.json()
    holiday_id = response.json()["id"]
    response = client.post(url, {"date": "2030-09-29", "kind": "half_day", "name": "半天",
                                 "start": "09:00", "end": "12:00"}, format="json")
    assert response.status_code == 201, response.json()
    bad = [
        ({"date": "2030-10-01", "kind": "workday"}, "date"),              # date taken
        ({"date": "2030-10-02", "kind": "half_day"}, "start"),            # no hours
        ({"date": "2030-10-03", "kind": "holiday", "start": "09:00", "end": "12:00"},
         "start"),                                                        # holiday hours
        ({"date": "2030-10-04", "kind": "half_day", "start": "13:00", "end": "09:00"},
         "end"),
        ({"date": "2030-10-05", "kind": "workday", "start": "09:00"}, "end"),
        ({"date": "2030-02-30", "kind": "holiday"}, "date"),
        ({"date": "2030-10-06", "kind": "假期"}, "kind"),
    ]
    for body, field in bad:
        response = client.post(url, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), (body, response.json())
    rows = client.get(url).json()
    assert [r["date"] for r in rows] == ["2030-09-29", "2030-10-01"]
    assert client.get(url, {"year": "2031"}).json() == []
    assert client.get(url, {"year": "明年"}).status_code == 400
    # Found by fuzzing: years no date can have were a 500.
    for year in ("0", "2645757827", "²"):
        response = client.get(url, {"year": year})
        assert response.status_code == 400 and "year" in response.json(), year
    delete_url = reverse("api:businesscalendar-exception-detail",
                         args=[calendar.pk, holiday_id])
    assert world.client("agent").delete(delete_url).status_code == 403
    assert client.delete(delete_url).status_code == 204
    assert client.delete(delete_url).status_code == 404
    assert [r["date"] for r in client.get(url).json()] == ["2030-09-29"]


def test_changing_an_exception_moves_due_times_at_once(world):
    """business_hours() is cached until a calendar changes: every change renews it."""
    calendar = make_calendar(world)
    friday = dt.datetime(2030, 3, 1, 17, 0, tzinfo=SHANGHAI)

    def due() -> dt.datetime:
        fresh = BusinessCalendar.objects.get(pk=calendar.pk)
        return fresh.business_hours().add(friday, dt.timedelta(hours=2))

    assert due() == dt.datetime(2030, 3, 4, 10, 0, tzinfo=SHANGHAI)     # Monday (cached now)
    client = world.client("admin")
    response = client.post(exceptions_url(calendar.pk),
                           {"date": "2030-03-04", "kind": "holiday", "name": "临时假日"},
                           format="json")
    assert response.status_code == 201
    assert due() == dt.datetime(2030, 3, 5, 10, 0, tzinfo=SHANGHAI)     # Tuesday
    # A make-up working day on the Saturday pulls it forward again.
    client.post(exceptions_url(calendar.pk), {"date": "2030-03-02", "kind": "workday",
                                              "name": "调休上班"}, format="json")
    assert due() == dt.datetime(2030, 3, 2, 10, 0, tzinfo=SHANGHAI)
    for row in client.get(exceptions_url(calendar.pk)).json():
        client.delete(reverse("api:businesscalendar-exception-detail",
                              args=[calendar.pk, row["id"]]))
    assert due() == dt.datetime(2030, 3, 4, 10, 0, tzinfo=SHANGHAI)
    client.patch(detail("businesscalendar", calendar.pk),
                 {"windows": [{"weekday": d, "start": "08:00", "end": "18:00"}
                              for d in range(5)]}, format="json")
    assert due() == dt.datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)


def test_version_moves_on_even_with_a_frozen_clock(world):
    calendar = make_calendar(world)
    with time_machine.travel(dt.datetime(2030, 1, 1, 9, tzinfo=SHANGHAI), tick=False):
        first = BusinessCalendar.objects.get(pk=calendar.pk).updated_at
        admin_services.add_exception(calendar, actor=None,
                                     data={"date": dt.date(2030, 1, 2), "kind": "holiday"})
        second = BusinessCalendar.objects.get(pk=calendar.pk).updated_at
        admin_services.add_exception(calendar, actor=None,
                                     data={"date": dt.date(2030, 1, 3), "kind": "holiday"})
        third = BusinessCalendar.objects.get(pk=calendar.pk).updated_at
    assert first < second < third


# --- Seeding China's holidays ---------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 11, 21, 10, tzinfo=SHANGHAI))
def test_seed_china_adds_2026_to_a_fresh_calendar(world):
    calendar = make_calendar(world)
    client = world.client("admin")
    got = client.get(detail("businesscalendar", calendar.pk)).json()
    assert got["missing_years"] == [2026, 2027]
    # A manual entry on a holiday date is kept.
    admin_services.add_exception(calendar, actor=None, data={
        "date": dt.date(2026, 10, 1), "kind": "half_day", "name": "值班半天",
        "start": dt.time(9), "end": dt.time(12)})
    response = client.post(seed_url(calendar.pk), {"years": [2026]}, format="json")
    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["years"] == [2026] and result["kept"] == 1 and result["added"] > 20
    hours = BusinessCalendar.objects.get(pk=calendar.pk).business_hours()
    assert hours.windows_on(dt.date(2026, 10, 2)) == ()                  # National Day
    assert hours.windows_on(dt.date(2026, 10, 1)) == ((dt.time(9), dt.time(12)),)
    got = client.get(detail("businesscalendar", calendar.pk)).json()
    assert got["missing_years"] == [2027]
    listed = {row["id"]: row for row in client.get(CALENDARS, {"page_size": 100}).json()[
        "results"]}
    assert listed[calendar.pk]["missing_years"] == [2027]
    assert listed[BusinessCalendar.objects.get(name="7×24").pk]["missing_years"] == []
    # Seeding again adds nothing.
    again = client.post(seed_url(calendar.pk), {"years": [2026]}, format="json").json()
    assert again["added"] == 0
    assert AuditEntry.objects.filter(object_type="core.businesscalendar",
                                     object_id=str(calendar.pk), action="update").exists()


def test_seed_china_refuses_unpublished_years(world):
    calendar = make_calendar(world)
    client = world.client("admin")
    response = client.post(seed_url(calendar.pk), {"years": [2026, 2035]}, format="json")
    assert response.status_code == 400
    assert "2035" in response.json()["years"][0]
    assert "2026" not in response.json()["years"][0]
    assert not calendar.exceptions.exists()
    for body in ({}, {"years": []}, {"years": ["明年"]}):
        response = client.post(seed_url(calendar.pk), body, format="json")
        assert response.status_code == 400
        assert "years" in response.json()
    always = admin_services.create_calendar(actor=None, data={
        "name": "P 7×24", "organization": world.orgs["P"], "always_on": True})
    response = client.post(seed_url(always.pk), {"years": [2026]}, format="json")
    assert response.status_code == 400


def test_any_administrator_may_seed_a_shared_calendar(world):
    shared = BusinessCalendar.objects.get(name="中国标准工作日 09:00–18:00")
    response = world.client("admin").post(seed_url(shared.pk), {"years": [2026]},
                                          format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["added"] == 0  # shipped with 2024–2026 already


# --- The banner: next year's holidays missing -----------------------------------------


BANNER = 'id="calendar-warning"'


@time_machine.travel(dt.datetime(2026, 11, 21, 10, tzinfo=SHANGHAI))
def test_banner_warns_calendar_administrators_when_next_year_is_missing(world):
    page = world.client("admin").get(reverse("home"), follow=True)
    assert page.status_code == 200
    body = page.content.decode()
    assert BANNER in body
    assert "2027" in body
    assert "中国标准工作日 09:00–18:00" in body
    assert "/admin/core/businesscalendar/" in body
    # Only those who may change the calendars are told (see test_holiday_banner).
    for identity in ("agent", "auditor", "requester_a", "custadmin_a"):
        body = world.client(identity).get(reverse("home"), follow=True).content.decode()
        assert BANNER not in body, identity


def test_banner_is_quiet_when_the_years_are_entered(world):
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI)):
        body = world.client("admin").get(reverse("home"), follow=True).content.decode()
        assert BANNER not in body  # 2027 cannot be published before the autumn
    with time_machine.travel(dt.datetime(2026, 11, 21, 10, tzinfo=SHANGHAI)):
        for calendar in BusinessCalendar.objects.filter(always_on=False):
            admin_services.add_exception(calendar, actor=None, data={
                "date": dt.date(2027, 1, 1), "kind": "holiday", "name": "元旦"})
        body = world.client("admin").get(reverse("home"), follow=True).content.decode()
        assert BANNER not in body


@time_machine.travel(dt.datetime(2026, 11, 21, 10, tzinfo=SHANGHAI))
def test_banner_costs_one_query_per_request(world):
    user = world.users["admin"]
    # known to every request already
    access.provider_id_of(user), access.roles_of(user), user.profile
    request = RequestFactory().get("/")
    request.user = user
    with CaptureQueriesContext(connection) as queries:
        warning = calendar_warning(request)
        assert calendar_warning(request) is warning
    assert len(queries) == 1
    assert warning["years"] == [2027]
    # Another provider's calendar does not concern P's staff.
    other = make_calendar(world, "Q", name="Q 日历")
    names = [row["name"] for row in admin_services.calendars_missing_holidays(user)]
    assert other.name not in names
