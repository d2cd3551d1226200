"""The monthly service-level report, figure by figure: SLO attainment, breaches with
reasons, availability with overlapping outages at the month's borders, satisfaction and
ticket counts — on Asia/Shanghai months (SLM-4, SLM-5)."""

# covers: SLM-4, SLM-5, SLM-2 (availability and interruption targets), FBK-1

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from itsm.catalog.models import Service, SLAPolicy
from itsm.core import services as core
from itsm.quality.reports import merge_intervals, service_level_report
from itsm.servicedesk.models import Incident, ServiceRequest, SLAClock

from .data import at, catalogue, major_outage, outage, rating, step, ticket

NOVEMBER = at("2026-11-15 12:00")
OCTOBER_MINUTES = 31 * 24 * 60


@pytest.fixture
def services(world):
    return catalogue(world)


@pytest.fixture
def october(world, services):
    """Tickets of customer A on ERP around October 2026 (Shanghai time)."""
    erp = services["erp"]
    t = {}
    # Answered after 30 min, resolved after 60: both clocks met.
    t["met"] = ticket(world, "2026-10-05 09:00", service=erp)
    step(world, t["met"], "2026-10-05 09:30", "start")
    step(world, t["met"], "2026-10-05 10:00", "resolve")
    # Picked up 30 min late (due 10:00), resolved an hour late (due 13:00).
    t["late"] = ticket(world, "2026-10-06 09:00", model=Incident, service=erp,
                       title="ERP 登录报错")
    step(world, t["late"], "2026-10-06 10:30", "start")
    step(world, t["late"], "2026-10-06 14:00", "resolve")
    # Raised on the last evening, never answered: the response deadline (21:00) passes in
    # October, the resolution deadline (11-01 00:00) in November.
    t["open"] = ticket(world, "2026-10-31 20:00", service=erp, title="=HYPERLINK(\"x\")")
    # Raised on 09-30 23:30 local (15:30 UTC), answered 10-01 00:10 local (still 09-30 in
    # UTC) and resolved 01:00: both clocks stop in October, Shanghai time.
    t["border"] = ticket(world, "2026-09-30 23:30", service=erp)
    step(world, t["border"], "2026-10-01 00:10", "start")
    step(world, t["border"], "2026-10-01 01:00", "resolve")
    # Stopped 11-01 00:05 Shanghai time (10-31 16:05 UTC): November's, not October's.
    t["november"] = ticket(world, "2026-10-31 23:50", service=erp)
    step(world, t["november"], "2026-11-01 00:05", "start")
    # Customer B's late ticket: not in A's report.
    t["b"] = ticket(world, "2026-10-07 09:00", org="B", service=services["mail"])
    step(world, t["b"], "2026-10-07 12:00", "start")
    return t


def report(world, month: int = 10, **kwargs):
    """Customer A's report, as of mid-November, in English."""
    with translation.override("en"):
        return service_level_report(world.orgs["A"], 2026, month, now=NOVEMBER, **kwargs)


def slo(result, kind: str):
    [row] = [r for r in result.slo if r.kind == kind and r.service == "ERP"]
    return row


def test_slo_attainment_per_service_priority_and_clock(world, october):
    result = report(world)
    response = slo(result, "response")
    # met, late, open (breached, still running), border (met); not november, not B's
    assert (response.clocks, response.met, response.breached, response.still_open) == (
        4, 2, 2, 1)
    assert response.attainment == 50.0
    assert (response.priority, response.target_minutes) == (3, 60)
    resolution = slo(result, "resolution")
    assert (resolution.clocks, resolution.met, resolution.breached) == (3, 2, 1)
    assert resolution.attainment == 66.67
    assert [(r.service, r.kind) for r in result.slo] == [("ERP", "response"),
                                                         ("ERP", "resolution")]
    summary = result.summary
    assert (summary.clocks, summary.met, summary.breached) == (7, 4, 3)
    assert summary.attainment == 57.14
    assert (summary.response_attainment, summary.resolution_attainment) == (50.0, 66.67)


def test_the_month_is_a_shanghai_month(world, october):
    """The border ticket's clocks stopped on 09-30 UTC but 10-01 in Shanghai; the
    november ticket's on 10-31 UTC but 11-01 in Shanghai."""
    assert report(world, month=9).slo == []
    november = report(world, month=11)
    response, resolution = slo(november, "response"), slo(november, "resolution")
    assert (response.clocks, response.met) == (1, 1)  # answered 00:05 on 11-01
    # Running and overdue in November: the open ticket's (due 11-01 00:00) and the
    # november ticket's (due 11-01 03:50); the open ticket's response breach is October's.
    assert (resolution.clocks, resolution.met, resolution.still_open) == (2, 0, 2)


def test_breaches_with_times_overrun_and_reasons(world, october):
    result = report(world)
    rows = {(r.number, r.kind): r for r in result.breaches}
    late, opened = october["late"], october["open"]
    assert set(rows) == {(late.number, "response"), (late.number, "resolution"),
                         (opened.number, "response")}
    response = rows[(late.number, "response")]
    assert (response.due_at, response.stopped_at) == (at("2026-10-06 10:00"),
                                                      at("2026-10-06 10:30"))
    assert (response.overrun_minutes, response.still_open) == (30, False)
    assert (response.title, response.url) == ("ERP 登录报错", f"/incidents/{late.pk}/")
    assert response.reasons == [
        "Not assigned before the deadline (first assigned 2026-10-06 10:30)"]
    resolution = rows[(late.number, "resolution")]
    assert (resolution.due_at, resolution.stopped_at, resolution.overrun_minutes) == (
        at("2026-10-06 13:00"), at("2026-10-06 14:00"), 60)
    assert resolution.reasons == ["The first response was late as well"]
    still = rows[(opened.number, "response")]
    assert (still.due_at, still.stopped_at, still.still_open) == (
        at("2026-10-31 21:00"), None, True)
    assert still.overrun_minutes == (NOVEMBER - at("2026-10-31 21:00")).total_seconds() // 60
    assert still.reasons == ["Never assigned"]
    assert [r.due_at for r in result.breaches] == sorted(r.due_at for r in rows.values())


def test_breach_reasons_from_the_history(world, services):
    """A priority raised, a reassignment, a reopening: each is given; without such facts
    the reason is "Not recorded" (waiting for the customer pauses the clock: no reason)."""
    erp = services["erp"]
    busy = ticket(world, "2026-10-12 09:00", service=erp, priority=4)
    step(world, busy, "2026-10-12 09:10", "assign", assignee=world.agent)
    with time_machine.travel(at("2026-10-12 09:20"), tick=False):
        core.update_record(type(busy).objects.get(pk=busy.pk), actor=world.agent,
                           changes={"priority": 1})
    step(world, busy, "2026-10-12 09:30", "assign", assignee=world.engineer)
    step(world, busy, "2026-10-12 09:40", "start", assignee=world.engineer)
    step(world, busy, "2026-10-12 10:00", "resolve")
    step(world, busy, "2026-10-12 11:00", "reopen", comment="还是不行")
    step(world, busy, "2026-10-12 15:00", "resolve")  # 60 + 240 minutes: due 14:00
    quiet = ticket(world, "2026-10-13 09:00", service=erp)
    step(world, quiet, "2026-10-13 09:05", "start")
    step(world, quiet, "2026-10-13 09:10", "ask_customer", comment="请提供截图")
    step(world, quiet, "2026-10-13 12:00", "customer_replied")
    step(world, quiet, "2026-10-13 16:00", "resolve")  # 10 + 240 minutes: due 15:50
    rows = {(r.number, r.kind): r for r in report(world).breaches}
    assert (busy.number, "response") not in rows and (quiet.number, "response") not in rows
    busy_row = rows[(busy.number, "resolution")]
    assert (busy_row.due_at, busy_row.overrun_minutes) == (at("2026-10-12 14:00"), 60)
    assert busy_row.reasons == [
        "Priority raised from Not important to Urgent at 2026-10-12 09:20",
        "Reassigned 1 time", "Reopened 1 time after being resolved"]
    quiet_row = rows[(quiet.number, "resolution")]
    assert (quiet_row.due_at, quiet_row.overrun_minutes) == (at("2026-10-13 15:50"), 10)
    assert (quiet_row.reasons, quiet_row.reason) == ([], "Not recorded")


def test_merge_intervals_clips_and_merges():
    start, end = at("2026-10-01 00:00"), at("2026-11-01 00:00")
    merged = merge_intervals([(at("2026-10-10 11:00"), at("2026-10-10 13:00")),
                              (at("2026-09-30 23:00"), at("2026-10-01 01:00")),
                              (at("2026-10-10 10:00"), at("2026-10-10 12:00")),
                              (at("2026-10-10 13:00"), at("2026-10-10 13:30")),
                              (at("2026-09-01 00:00"), at("2026-09-02 00:00"))], start, end)
    assert merged == [(at("2026-10-01 00:00"), at("2026-10-01 01:00")),
                      (at("2026-10-10 10:00"), at("2026-10-10 13:30"))]


def test_availability_with_overlapping_outages_clipped_at_the_borders(world, services):
    erp, mail = services["erp"], services["mail"]
    outage(world, "2026-09-30 23:00", "2026-10-01 01:00", service=erp)  # 60 min in October
    outage(world, "2026-10-10 10:00", "2026-10-10 12:00", service=erp)  # } merged:
    outage(world, "2026-10-10 11:00", "2026-10-10 13:00", service=erp)  # } 180 min
    outage(world, "2026-10-31 23:30", None, service=erp, status="in_progress")  # 30 min
    major_outage(world, "2026-10-20 08:00", "2026-10-20 08:45", service=erp)  # 45 min
    # Not outages of A's ERP: cancelled, not urgent, another customer's, another month's
    outage(world, "2026-10-15 10:00", None, service=erp, status="cancelled")
    outage(world, "2026-10-16 10:00", "2026-10-16 20:00", service=erp, priority=2)
    outage(world, "2026-10-17 10:00", "2026-10-17 20:00", service=mail, org="B")
    outage(world, "2026-08-01 10:00", "2026-08-01 20:00", service=erp)
    rows = {r.service: r for r in report(world).availability}
    assert set(rows) == {"ERP", "MAIL"}  # the services serving A
    erp_row = rows["ERP"]
    assert (erp_row.outage_minutes, erp_row.outages, erp_row.records) == (315, 4, 5)
    assert erp_row.period_minutes == OCTOBER_MINUTES
    assert erp_row.availability == round(100 * (1 - 315 / OCTOBER_MINUTES), 3) == 99.294
    assert (erp_row.target, erp_row.met) == (99.9, False)
    assert (erp_row.longest_outage_minutes, erp_row.interruption_met) == (180, False)
    assert (rows["MAIL"].availability, rows["MAIL"].met) == (100.0, True)
    september = {r.service: r for r in report(world, month=9).availability}["ERP"]
    assert (september.outage_minutes, september.period_minutes) == (60, 30 * 24 * 60)
    assert september.interruption_met is True  # exactly the 60 minutes allowed


def test_availability_target_of_the_customer_policy(world, services):
    """The target of the policy the clocks apply when it names the service or the
    customer (the most specific wins), else the service's own: a provider-wide policy
    carries only the default target."""
    for service, target in (("erp", "99.0"), ("mail", "98.0")):
        Service.objects.filter(pk=services[service].pk).update(availability_target=target)
    SLAPolicy.objects.create(provider=world.orgs["P"], name="全局", availability_target="95.0")
    assert {r.service: r.target for r in report(world).availability} == {
        "ERP": 99.0, "MAIL": 98.0}
    SLAPolicy.objects.create(provider=world.orgs["P"], name="A 的通用",
                             customer=world.orgs["A"], availability_target="99.7")
    SLAPolicy.objects.create(provider=world.orgs["P"], name="A 的 ERP",
                             service=services["erp"], customer=world.orgs["A"],
                             availability_target="99.5")
    assert {r.service: r.target for r in report(world).availability} == {
        "ERP": 99.5, "MAIL": 99.7}
    SLAPolicy.objects.create(provider=world.orgs["P"], name="邮件", service=services["mail"],
                             availability_target="99.8")
    assert {r.service: r.target for r in report(world).availability} == {
        "ERP": 99.5, "MAIL": 99.8}


def test_first_response_late_in_the_month_before(world, services):
    """The response was due (and late) in September, the resolution in October: the
    October breach still says the first response was late."""
    late = ticket(world, "2026-09-30 21:00", service=services["erp"])  # due 22:00 / 01:00
    step(world, late, "2026-09-30 23:00", "start")
    step(world, late, "2026-10-01 03:00", "resolve")
    [breach] = report(world).breaches
    assert (breach.number, breach.kind) == (late.number, "resolution")
    assert "The first response was late as well" in breach.reasons
    assert [b.kind for b in report(world, month=9).breaches] == ["response"]


def test_satisfaction_per_service(world, services, october):
    mail_ticket = ticket(world, "2026-10-02 09:00", service=services["mail"])
    for record, when, score in [(october["met"], "2026-10-05 12:00", 5),
                                (october["late"], "2026-10-07 12:00", 4),
                                (october["border"], "2026-10-01 02:00", 2),
                                (mail_ticket, "2026-10-31 23:59", 3),
                                (october["november"], "2026-11-01 00:30", 1),  # November
                                (october["b"], "2026-10-08 00:30", 1)]:  # customer B
        rating(world, record, when, score)
    result = report(world)
    rows = {r.service: r for r in result.satisfaction}
    assert (rows["ERP"].ratings, rows["ERP"].mean, rows["ERP"].satisfied) == (3, 3.67, 2)
    assert rows["ERP"].satisfied_percent == 66.67
    assert (rows["MAIL"].ratings, rows["MAIL"].mean, rows["MAIL"].satisfied) == (1, 3.0, 0)
    total = result.satisfaction_total
    assert (total.ratings, total.mean, total.satisfied, total.satisfied_percent) == (
        4, 3.5, 2, 50.0)


def test_ticket_counts(world, october):
    summary = report(world).summary
    # Opened in October: met, late, open, november (border: in September; b: customer B)
    assert summary.opened == 4
    # Resolved in October: met, late, border
    assert summary.resolved == 3
    # Open at the end of October: open, november
    assert summary.open_at_end == 2


def test_service_filter(world, services, october):
    mail_ticket = ticket(world, "2026-10-02 09:00", service=services["mail"])
    step(world, mail_ticket, "2026-10-02 12:00", "start")
    result = report(world, service=services["mail"])
    # Answered after 3 hours, still running after its resolution deadline (13:00)
    assert [(r.service, r.kind, r.clocks, r.breached) for r in result.slo] == [
        ("MAIL", "response", 1, 1), ("MAIL", "resolution", 1, 1)]
    assert [r.number for r in result.breaches] == [mail_ticket.number] * 2
    assert [r.service for r in result.availability] == ["MAIL"]
    assert result.summary.opened == 1


def test_who_may_ask_for_the_report(world, services):
    with pytest.raises(PermissionDenied):  # another customer
        service_level_report(world.orgs["B"], 2026, 10, user=world.custadmin_a)
    with pytest.raises(PermissionDenied):  # another provider's staff
        service_level_report(world.orgs["A"], 2026, 10, user=world.agent_q)
    with pytest.raises(PermissionDenied):  # a requester
        service_level_report(world.orgs["A"], 2026, 10, user=world.requester_a)
    ticket(world, "2026-10-05 09:00", service=services["erp"])
    for user in (world.auditor, world.custadmin_a, world.lead):
        result = service_level_report(world.orgs["A"], 2026, 10, user=user, now=NOVEMBER)
        assert result.summary.opened == 1


def _more_tickets(world, services, n: int, offset: int) -> None:
    """``n`` more tickets of A in October; every third answered late, every second
    resolved late."""
    for i in range(offset, offset + n):
        day, minute = f"2026-10-{1 + i % 28:02d}", f"{i % 60:02d}"
        record = ticket(world, f"{day} 09:{minute}", service=services["erp"],
                        model=Incident if i % 2 else ServiceRequest, priority=1 + i % 4)
        step(world, record, f"{day} {'11' if i % 3 == 0 else '09'}:{minute}", "start")
        if i % 2:
            step(world, record, f"{day} 18:00", "resolve")


def test_query_count_does_not_grow_with_the_tickets(world, services):
    _more_tickets(world, services, 6, 0)
    report(world)  # content types and the like are cached from here on
    with CaptureQueriesContext(connection) as small:
        first = report(world)
    _more_tickets(world, services, 30, 6)
    with CaptureQueriesContext(connection) as large:
        second = report(world)
    assert SLAClock.objects.count() == 2 * 36
    assert (first.summary.clocks, second.summary.clocks) == (12, 72)
    assert 0 < len(first.breaches) < len(second.breaches)
    # services, policies; per ticket type: SLO counts, breaches, their histories, ticket
    # counts; ratings; urgent incidents, major incidents
    assert len(large.captured_queries) == len(small.captured_queries) == 12
