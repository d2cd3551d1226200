"""SLA clocks end to end: deadlines to the minute on China's official calendar,
lunch breaks, pauses, priority changes, 7×24, and recomputation from history."""

# covers: SLM-2, SLM-6, SLM-7, REQ-4

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from itsm.catalog.models import Service, SLAPolicy, SLATarget
from itsm.core import services
from itsm.core.models import BusinessCalendar
from itsm.servicedesk import sla
from itsm.servicedesk.models import Incident, ServiceRequest, SLAClock

SH = ZoneInfo("Asia/Shanghai")
STANDARD = "中国标准工作日 09:00–18:00"
LUNCH = "中国标准工作日（午休）"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def policy(world, calendar_name: str, *, response: int = 120, resolution: int = 240,
           **extra) -> SLAPolicy:
    if calendar_name == "7×24":  # also after a transactional test flushed the seed data
        calendar = BusinessCalendar.objects.get_or_create(name=calendar_name,
                                                          defaults={"always_on": True})[0]
    else:
        calendar = BusinessCalendar.objects.get(name=calendar_name)
    p = SLAPolicy.objects.create(provider=world.orgs["P"], name=f"SLA {calendar_name}",
                                 calendar=calendar, **extra)
    for priority in (1, 2, 3, 4):
        SLATarget.objects.create(policy=p, priority=priority, response_minutes=response,
                                 resolution_minutes=resolution)
    return p


def raise_ticket(world, when: str, model=ServiceRequest, **data):
    with time_machine.travel(at(when), tick=False):
        return services.create_record(model, actor=world.agent, data={
            "organization": world.orgs["A"], "requester": world.requester_a,
            "title": "打印机卡纸", "priority": 3, **data})


def step(world, ticket, when: str, name: str, actor=None, **values):
    comment = values.pop("comment", "")
    with time_machine.travel(at(when), tick=False):
        return services.transition_record(ticket, name, actor=actor or world.agent,
                                          values=values, comment=comment)


def clock(ticket, kind: str) -> SLAClock:
    return sla.clocks_of(ticket)[kind]


def due(ticket, kind: str = "resolution") -> str | None:
    value = clock(ticket, kind).due_at
    return value.astimezone(SH).strftime("%Y-%m-%d %H:%M") if value else None


# --- Deadlines on the official calendar (checked against the State Council notices) ----

DEADLINES = [
    # (calendar, raised at, resolution minutes, expected due)
    (STANDARD, "2025-09-30 17:30", 240, "2025-10-09 12:30"),   # National Day 10-01..08
    (STANDARD, "2025-09-27 10:00", 120, "2025-09-28 11:00"),   # Sat → Sun make-up day
    (STANDARD, "2025-10-11 09:00", 60, "2025-10-11 10:00"),    # Sat 10-11 is a make-up day
    (STANDARD, "2025-10-10 17:00", 180, "2025-10-11 11:00"),   # Fri → make-up Saturday
    (STANDARD, "2025-09-26 16:00", 240, "2025-09-28 11:00"),   # Fri → Sun 09-28 make-up
    (STANDARD, "2025-04-30 17:00", 120, "2025-05-06 10:00"),   # Labour Day 05-01..05
    (STANDARD, "2025-04-27 09:30", 30, "2025-04-27 10:00"),    # Sun 04-27 make-up day
    (STANDARD, "2025-01-27 17:00", 120, "2025-02-05 10:00"),   # Spring Festival 01-28..02-04
    (STANDARD, "2025-01-26 17:30", 60, "2025-01-27 09:30"),    # Sun 01-26 make-up day
    (STANDARD, "2025-02-08 17:00", 120, "2025-02-10 10:00"),   # Sat 02-08 make-up day
    # New Year 2026-01-01..03, then Sunday 01-04 is a make-up day
    (STANDARD, "2025-12-31 17:00", 120, "2026-01-04 10:00"),
    (STANDARD, "2026-01-04 09:00", 60, "2026-01-04 10:00"),    # Sun 2026-01-04 make-up day
    (STANDARD, "2026-10-09 17:30", 60, "2026-10-10 09:30"),    # Sat 2026-10-10 make-up day
    (STANDARD, "2026-09-30 17:00", 120, "2026-10-08 10:00"),   # 2026 National Day 10-01..07
    (STANDARD, "2025-10-09 20:00", 30, "2025-10-10 09:30"),    # raised after hours
    (LUNCH, "2025-09-26 11:00", 120, "2025-09-26 14:30"),      # lunch break 12:00–13:30
    (LUNCH, "2025-09-30 11:30", 360, "2025-10-09 10:00"),      # lunch + National Day
    (LUNCH, "2025-10-10 12:15", 60, "2025-10-10 14:30"),       # raised during lunch
    ("7×24", "2025-09-30 23:30", 240, "2025-10-01 03:30"),     # 7×24 ignores holidays
    ("7×24", "2025-10-01 10:00", 30, "2025-10-01 10:30"),      # 7×24 on a holiday
]


@pytest.mark.parametrize(("calendar", "raised", "minutes", "expected"), DEADLINES)
def test_resolution_deadline_on_the_official_calendar(world, calendar, raised, minutes,
                                                      expected):
    policy(world, calendar, resolution=minutes)
    ticket = raise_ticket(world, raised)
    assert due(ticket) == expected


def test_seeded_calendar_matches_chinesecalendar_every_day_2024_to_2026(db):
    import chinese_calendar

    hours = BusinessCalendar.objects.get(name=STANDARD).business_hours()
    mismatches = []
    day = dt.date(2024, 1, 1)
    while day <= dt.date(2026, 12, 31):
        ours = bool(hours.windows_on(day))
        if ours != chinese_calendar.is_workday(day):
            mismatches.append(day)
        day += dt.timedelta(days=1)
    assert mismatches == []


def test_missing_next_year_is_reported(db):
    calendar = BusinessCalendar.objects.get(name=STANDARD)
    assert calendar.missing_years(dt.date(2026, 11, 21)) == [2027]
    assert calendar.missing_years(dt.date(2025, 6, 1)) == []
    assert BusinessCalendar.objects.get(name="7×24").missing_years(dt.date(2026, 1, 1)) == []


# --- Pauses, responses, priority changes ---------------------------------------------


def test_waiting_for_customer_pauses_the_resolution_clock(world):
    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")                  # Monday
    ticket = step(world, ticket, "2025-09-22 09:30", "start", assignee=world.agent)
    ticket = step(world, ticket, "2025-09-22 10:00", "ask_customer", comment="请提供截图")
    resolution = clock(ticket, "resolution")
    assert resolution.paused_since is not None and resolution.due_at is None
    ticket = step(world, ticket, "2025-09-23 10:00", "customer_replied", actor=world.requester_a)
    # 1 h used before the pause; 3 h left from Tuesday 10:00
    assert due(ticket) == "2025-09-23 13:00"
    explanation = clock(ticket, "resolution").explanation
    assert explanation["pauses"][0][2] == "waiting_customer"
    assert explanation["calendar"] == STANDARD


def test_third_party_wait_pauses_too_and_pausing_never_brings_the_deadline_forward(world):
    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    ticket = step(world, ticket, "2025-09-22 09:10", "start", assignee=world.agent)
    before = clock(ticket, "resolution").due_at
    ticket = step(world, ticket, "2025-09-22 10:00", "wait_third_party", comment="等待厂商")
    ticket = step(world, ticket, "2025-09-22 10:30", "third_party_replied")
    assert clock(ticket, "resolution").due_at == before + dt.timedelta(minutes=30)


def test_first_public_staff_reply_stops_the_response_clock(world):
    policy(world, STANDARD, response=120)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    assert due(ticket, "response") == "2025-09-22 11:00"
    with time_machine.travel(at("2025-09-22 09:20"), tick=False):
        services.add_comment(ticket, actor=world.agent, body="内部记录", internal=True)
    assert clock(ticket, "response").stopped_at is None
    with time_machine.travel(at("2025-09-22 09:45"), tick=False):
        services.add_comment(ticket, actor=world.requester_a, body="有人处理吗？")
    assert clock(ticket, "response").stopped_at is None
    with time_machine.travel(at("2025-09-22 10:15"), tick=False):
        services.add_comment(ticket, actor=world.agent, body="已受理")
    response = clock(ticket, "response")
    assert response.stopped_at == at("2025-09-22 10:15") and response.met is True
    ticket.refresh_from_db()
    assert ticket.first_response_at == at("2025-09-22 10:15")


def test_late_response_is_recorded_as_breached(world):
    policy(world, STANDARD, response=60)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    with time_machine.travel(at("2025-09-22 11:00"), tick=False):
        services.add_comment(ticket, actor=world.agent, body="抱歉久等")
    response = clock(ticket, "response")
    assert response.met is False
    assert response.breached_at == at("2025-09-22 10:00")


def test_priority_change_recomputes_the_deadline_from_the_start(world):
    p = policy(world, STANDARD, resolution=24 * 60)
    SLATarget.objects.filter(policy=p, priority=1).update(resolution_minutes=240)
    ticket = raise_ticket(world, "2025-09-22 09:00", priority=3)
    assert due(ticket) == "2025-09-24 15:00"                # 24 working hours of 9 a day
    with time_machine.travel(at("2025-09-22 10:00"), tick=False):
        ticket = services.update_record(ticket, actor=world.agent, changes={"priority": 1})
    assert due(ticket) == "2025-09-22 13:00"                # 4 working hours from 09:00
    assert clock(ticket, "resolution").explanation["priority_changes"][0][1:] == [3, 1]


def test_resolve_stops_and_reopen_resumes_the_clock(world):
    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    ticket = step(world, ticket, "2025-09-22 09:10", "start", assignee=world.agent)
    ticket = step(world, ticket, "2025-09-22 10:00", "resolve", resolution="已更换硒鼓")
    resolution = clock(ticket, "resolution")
    assert resolution.stopped_at == at("2025-09-22 10:00") and resolution.met is True
    ticket = step(world, ticket, "2025-09-23 09:00", "reopen", actor=world.requester_a,
                  comment="还是卡纸")
    # 1 h used; the resolved night does not count; 3 h left from Tuesday 09:00
    assert due(ticket) == "2025-09-23 12:00"
    assert clock(ticket, "resolution").stopped_at is None


def test_service_calendar_applies_without_policy_calendar(world):
    always = BusinessCalendar.objects.get(name="7×24")
    service = Service.objects.create(provider=world.orgs["P"], code="core-net",
                                     name="核心网络", calendar=always)
    SLAPolicy.objects.create(provider=world.orgs["P"], name="网络", service=service)
    ticket = raise_ticket(world, "2025-10-01 08:00", model=Incident, service=service,
                          priority=1)
    assert due(ticket) == "2025-10-01 12:00"                # default: urgent = 4 h, 7×24


def test_without_any_policy_the_manual_defaults_apply(world):
    ticket = raise_ticket(world, "2025-09-22 09:00", priority=1)
    assert clock(ticket, "response").target_minutes == 30
    assert clock(ticket, "resolution").target_minutes == 240
    assert due(ticket) == "2025-09-22 13:00"


def test_more_specific_policy_wins(world):
    general = policy(world, STANDARD, resolution=480)
    customer = SLAPolicy.objects.create(provider=world.orgs["P"], name="华东制造专属",
                                        customer=world.orgs["A"],
                                        calendar=general.calendar)
    SLATarget.objects.create(policy=customer, priority=3, response_minutes=60,
                             resolution_minutes=120)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    assert clock(ticket, "resolution").policy == customer
    assert due(ticket) == "2025-09-22 11:00"


def test_recomputing_from_history_gives_the_same_clocks(world):
    policy(world, LUNCH, resolution=300)
    ticket = raise_ticket(world, "2025-09-30 10:00")
    ticket = step(world, ticket, "2025-09-30 10:30", "start", assignee=world.agent)
    ticket = step(world, ticket, "2025-09-30 11:00", "ask_customer", comment="请确认")
    ticket = step(world, ticket, "2025-10-09 09:00", "customer_replied",
                  actor=world.requester_a)
    columns = ["due_at", "warn_at", "escalate_at", "paused_since", "stopped_at", "met",
               "target_minutes", "paused_seconds"]
    before = {c.kind: {k: getattr(c, k) for k in columns} for c in sla.clocks_of(ticket).values()}
    SLAClock.objects.filter(record_type=ContentType.objects.get_for_model(ServiceRequest),
                            record_id=ticket.pk).delete()
    with time_machine.travel(at("2025-10-09 09:00"), tick=False):
        sla.recompute_clocks(ServiceRequest.objects.get(pk=ticket.pk))
    after = {c.kind: {k: getattr(c, k) for k in columns} for c in sla.clocks_of(ticket).values()}
    assert after == before


# --- Escalation ------------------------------------------------------------------------


def test_warning_breach_and_escalation_happen_once_each(world):
    policy(world, "7×24", response=600, resolution=60, warning_percent=75,
           second_escalation_percent=200)
    ticket = raise_ticket(world, "2025-09-22 09:00",
                          assignee_team=world.teams["desk"], assignee=world.engineer)
    assert sla.sweep(at("2025-09-22 09:40")) == {"warning": 0, "breach": 0, "escalation": 0}
    assert sla.sweep(at("2025-09-22 09:46")) == {"warning": 1, "breach": 0, "escalation": 0}
    assert sla.sweep(at("2025-09-22 09:50")) == {"warning": 0, "breach": 0, "escalation": 0}
    assert sla.sweep(at("2025-09-22 10:01"))["breach"] == 1
    assert sla.sweep(at("2025-09-22 11:01"))["escalation"] == 1
    assert sla.sweep(at("2025-09-22 12:00")) == {"warning": 0, "breach": 0, "escalation": 0}
    resolution = clock(ticket, "resolution")
    assert resolution.warned_at == at("2025-09-22 09:46")
    assert resolution.breached_at == at("2025-09-22 10:01") and resolution.met is False
    stages = [e.data["stage"] for e in ticket.timeline.filter(kind="sla")
              if e.data["clock"] == "resolution"]
    assert stages == ["warning", "breach", "escalation"]
    from itsm.core.models import Notification

    told = {(n.event, n.recipient) for n in Notification.objects.filter(
        event__startswith="sla_", channel__isnull=True)}
    assert ("sla_warning", world.engineer.email) in told        # the assignee
    assert ("sla_breach", world.lead.email) in told             # the team lead
    assert ("sla_escalation", world.admin.email) in told        # management
    assert ("sla_escalation", world.engineer.email) not in told


def test_paused_and_stopped_clocks_are_not_escalated(world):
    policy(world, "7×24", response=600, resolution=60)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    ticket = step(world, ticket, "2025-09-22 09:05", "start", assignee=world.agent)
    step(world, ticket, "2025-09-22 09:10", "ask_customer", comment="请补充信息")
    assert sla.sweep(at("2025-09-23 09:00")) == {"warning": 0, "breach": 0, "escalation": 0}


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_escalate_once(world):


    from itsm.conftest import is_postgres, race

    if not is_postgres():
        pytest.skip("worker races are proven on PostgreSQL")
    policy(world, "7×24", response=6000, resolution=60)
    raise_ticket(world, "2025-09-22 09:00")
    results = race(lambda: sla.sweep(at("2025-09-22 12:00")), 2)
    assert sum(r["breach"] for r in results) == 1
    assert sum(r["escalation"] for r in results) == 1


def test_detail_page_explains_the_deadline_in_words(world):
    from django.test import Client
    from django.utils import translation

    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-30 17:30")
    ticket = step(world, ticket, "2025-09-30 17:40", "start", assignee=world.agent)
    ticket = step(world, ticket, "2025-09-30 17:50", "ask_customer", comment="请提供截图")
    step(world, ticket, "2025-10-09 09:00", "customer_replied", actor=world.requester_a)
    client = Client()
    client.force_login(world.agent)
    with translation.override("en"):
        page = client.get(ticket.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="sla"' in page
    assert "2025-10-09 12:40" in page          # 20 min used, 10 min paused, 3 h 40 left
    assert "国庆节" in page                      # holidays crossed are named
    assert STANDARD in page
    assert "2025-09-30 17:50" in page and "2025-10-09 09:00" in page   # the pause


def test_a_portal_reply_resumes_a_ticket_waiting_for_the_customer(world):
    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    ticket = step(world, ticket, "2025-09-22 09:30", "start", assignee=world.agent)
    ticket = step(world, ticket, "2025-09-22 10:00", "ask_customer", comment="请提供截图")
    with time_machine.travel(at("2025-09-23 10:00"), tick=False):
        services.add_comment(ticket, actor=world.requester_a, body="截图已上传")
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert due(ticket) == "2025-09-23 13:00"


def test_a_calendar_without_working_time_never_blocks_a_ticket(world):
    empty = BusinessCalendar.objects.create(name="未配置的日历")
    p = SLAPolicy.objects.create(provider=world.orgs["P"], name="broken", calendar=empty)
    SLATarget.objects.create(policy=p, priority=3, response_minutes=60,
                             resolution_minutes=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    assert ticket.pk and clock(ticket, "resolution").due_at is None


# --- Clocks planned before the insert; transitions that cannot move them -----------------


def test_the_create_answer_carries_the_deadline_to_the_minute(world):
    p = policy(world, STANDARD, resolution=240)
    with time_machine.travel(at("2025-09-30 17:30"), tick=False):
        answer = world.client("agent").post("/api/service-requests/", {
            "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
            "title": "打印机卡纸", "priority": 3}, format="json")
    assert answer.status_code == 201, answer.content
    ticket = ServiceRequest.objects.get(pk=answer.json()["id"])
    assert due(ticket) == "2025-10-09 12:30"                # across National Day
    assert dt.datetime.fromisoformat(answer.json()["due_at"]) == ticket.due_at \
        == clock(ticket, "resolution").due_at
    assert answer.json()["sla_policy"] == p.pk == ticket.sla_policy_id


def test_assigning_and_reassigning_leave_the_clocks_as_they_were(world):
    policy(world, STANDARD, resolution=240)
    ticket = raise_ticket(world, "2025-09-22 09:00")
    before = {c.kind: (c.due_at, c.warn_at, c.updated_at) for c in sla.clocks_of(ticket).values()}
    ticket = step(world, ticket, "2025-09-22 09:30", "assign",
                  assignee_team=world.teams["desk"])
    ticket = step(world, ticket, "2025-09-22 10:00", "assign", assignee=world.engineer)
    after = {c.kind: (c.due_at, c.warn_at, c.updated_at) for c in sla.clocks_of(ticket).values()}
    assert after == before                                  # not even rewritten
    assert due(ticket) == "2025-09-22 13:00"
    ticket = step(world, ticket, "2025-09-22 10:30", "start", assignee=world.engineer)
    assert clock(ticket, "response").stopped_at == at("2025-09-22 10:30")  # first response


def test_an_automatically_assigned_ticket_has_the_clocks_its_history_gives(world, settings):
    settings.ITSM_ASSIGNMENT_STRATEGY = "least_loaded"
    policy(world, STANDARD, resolution=240)
    service = Service.objects.create(provider=world.orgs["P"], code="print", name="打印服务",
                                     owner_team=world.teams["desk"],
                                     calendar=BusinessCalendar.objects.get(name=STANDARD))
    world.teams["desk"].members.add(world.engineer)
    ticket = raise_ticket(world, "2025-09-22 09:00", service=service)
    assert ticket.status == "assigned" and ticket.assignee_id is not None
    columns = ["due_at", "warn_at", "escalate_at", "stopped_at", "met", "target_minutes"]
    planned = {c.kind: {k: getattr(c, k) for k in columns} for c in sla.clocks_of(ticket).values()}
    assert set(planned) == {"response", "resolution"}
    with time_machine.travel(at("2025-09-22 09:00"), tick=False):
        sla.recompute_clocks(ServiceRequest.objects.get(pk=ticket.pk))
    again = {c.kind: {k: getattr(c, k) for k in columns} for c in sla.clocks_of(ticket).values()}
    assert again == planned and due(ticket) == "2025-09-22 13:00"
