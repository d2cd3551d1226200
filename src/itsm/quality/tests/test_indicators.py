"""The indicator registry: each shipped indicator on a hand-built data set equals the
value computed by hand, for the whole provider and split by a dimension, and the
drill-down gives the records behind it. Another provider's records never count."""

# covers: QA-1, SLM-4

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from itsm.core import services
from itsm.quality import indicators
from itsm.quality.indicators import Scope
from itsm.servicedesk.models import Incident, SatisfactionRating, ServiceRequest, SLAClock

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
START, END = dt.datetime(2026, 11, 1, tzinfo=SH), dt.datetime(2026, 12, 1, tzinfo=SH)


def at(day: int, hour: int = 9, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=SH)


def ticket(world, model, requester: str, assignee: str, *, created: dt.datetime,
           resolved: dt.datetime | None = None, response: tuple | None = None,
           resolution: tuple | None = None, priority: int = 3):
    """A ticket with its clocks stopped as given: (stopped at, met)."""
    user = world.users[requester]
    record = services.create_record(model, actor=user, data={
        "organization": user.profile.organization, "requester": user, "title": "打印机卡纸",
        "description": "三楼打印机卡纸"})
    model.objects.filter(pk=record.pk).update(
        created_at=created, resolved_at=resolved, assignee=world.users[assignee],
        assignee_team=world.teams["desk"] if assignee != "agent_q" else None,
        priority=priority)
    for kind, stop in (("response", response), ("resolution", resolution)):
        SLAClock.objects.filter(record_type=ContentType.objects.get_for_model(model),
                                record_id=record.pk, kind=kind).update(
            stopped_at=stop[0] if stop else None, met=stop[1] if stop else None)
    return record


def rate(world, record, score: int, when: dt.datetime, agent: str) -> None:
    SatisfactionRating.objects.create(
        record_type=ContentType.objects.get_for_model(type(record)), record_id=record.pk,
        organization_id=record.organization_id, score=score, created_at=when,
        agent=world.users[agent], team=world.teams.get("desk"))


@pytest.fixture
def data(world):
    t1 = ticket(world, ServiceRequest, "requester_a", "agent", created=at(3),
                resolved=at(5), response=(at(3, 10), True), resolution=(at(5), False),
                priority=2)
    t2 = ticket(world, ServiceRequest, "requester_b", "engineer", created=at(10),
                resolved=at(10, 15), response=(at(10, 10), True), resolution=(at(10, 15), True))
    t3 = ticket(world, Incident, "requester_a", "lead", created=at(20),
                response=(at(20, 14), False))  # resolution still running
    ticket(world, ServiceRequest, "requester_a", "agent", created=at(28, month=10),
           resolved=at(31, month=10), response=(at(30, month=10), True),
           resolution=(at(31, month=10), True))  # October: outside the period
    other = ticket(world, ServiceRequest, "requester_c", "agent_q", created=at(4),
                   resolved=at(4, 10), response=(at(4, 9), False),
                   resolution=(at(4, 10), False))  # another provider's
    rate(world, t1, 2, at(6), "agent")
    rate(world, t2, 5, at(11), "engineer")
    rate(world, other, 1, at(6), "agent_q")
    return {"t1": t1, "t2": t2, "t3": t3, "scope": Scope(provider_id=world.orgs["P"].pk)}


def test_sla_attainment_counts_the_clocks_stopped_in_the_period(world, data):
    scope = data["scope"]
    response = indicators.value("sla-response", scope, START, END)
    assert (response.value, response.numerator, response.denominator) == (66.67, 2, 3)
    by_person = indicators.split("sla-response", scope, START, END, by="person")
    assert {world.users[n].pk: by_person[world.users[n].pk].value
            for n in ("agent", "engineer", "lead")} == {
        world.users["agent"].pk: 100.0, world.users["engineer"].pk: 100.0,
        world.users["lead"].pk: 0.0}
    by_customer = indicators.split("sla-response", scope, START, END, by="customer")
    assert {k: v.value for k, v in by_customer.items()} == {
        world.orgs["A"].pk: 50.0, world.orgs["B"].pk: 100.0}
    assert indicators.value("sla-resolution", scope, START, END).value == 50.0
    # Narrowed to a customer, as a drill-down from the split does.
    narrowed = scope.narrowed("customer", world.orgs["B"].pk)
    assert indicators.value("sla-resolution", narrowed, START, END).value == 100.0
    behind = {r.number for qs in indicators.records("sla-response", scope, START, END)
              for r in qs}
    assert behind == {data["t1"].number, data["t2"].number, data["t3"].number}


def test_average_handling_time_of_the_tickets_resolved_in_the_period(world, data):
    scope = data["scope"]
    handling = indicators.value("handling-time", scope, START, END)
    assert (handling.value, handling.denominator) == (27.0, 2)  # (48 h + 6 h) / 2
    by_priority = indicators.split("handling-time", scope, START, END, by="priority")
    assert {k: v.value for k, v in by_priority.items()} == {2: 48.0, 3: 6.0}


def test_ticket_satisfaction_averages_the_ratings_of_the_period(world, data):
    scope = data["scope"]
    assert indicators.value("ticket-satisfaction", scope, START, END).value == 3.5
    by_team = indicators.split("ticket-satisfaction", scope, START, END, by="team")
    assert {k: v.value for k, v in by_team.items()} == {world.teams["desk"].pk: 3.5}
    with pytest.raises(ValueError):
        indicators.split("ticket-satisfaction", scope, START, END, by="priority")


def test_a_period_without_records_has_no_value(world, data):
    scope = data["scope"]
    empty = indicators.value("sla-response", scope, at(1, month=1), at(1, month=2))
    assert empty.value is None and empty.denominator == 0


def test_every_indicator_declares_unit_direction_and_splits(world, data):
    keys = [i.key for i in indicators.indicators()]
    assert {"sla-response", "sla-resolution", "handling-time", "ticket-satisfaction"} <= set(
        keys)
    for found in indicators.indicators():
        assert found.unit and found.direction in (indicators.UP, indicators.DOWN)
        for dimension in found.dimensions:
            indicators.split(found.key, data["scope"], START, END, by=dimension)


PERIOD = "start=2026-11-01&end=2026-12-01"


def test_the_api_gives_a_value_split_and_its_records(world, data):
    listed = world.client("agent").get("/api/indicators/")
    assert listed.status_code == 200
    assert {"sla-response", "handling-time"} <= {i["key"] for i in listed.json()}
    body = world.client("agent").get(
        f"/api/indicators/sla-response/?{PERIOD}&by=customer").json()
    assert (body["value"], body["numerator"], body["denominator"]) == (66.67, 2, 3)
    assert [(row["label"], row["value"]) for row in body["split"]] == [
        (world.orgs["B"].name, 100.0), ("华东制造", 50.0)]  # better first
    records = world.client("agent").get(
        f"/api/indicators/sla-response/records/?{PERIOD}&customer={world.orgs['A'].pk}").json()
    assert records["count"] == 2
    assert {r["number"] for r in records["records"]} == {data["t1"].number, data["t3"].number}
    # Another provider's staff read their own provider's records only.
    theirs = world.client("agent_q").get(f"/api/indicators/sla-response/?{PERIOD}").json()
    assert (theirs["value"], theirs["denominator"]) == (0.0, 1)


def test_the_api_refuses_customers_and_bad_input(world, data):
    assert world.client("requester_a").get("/api/indicators/").status_code == 403
    assert world.client("requester_a").get(
        f"/api/indicators/sla-response/?{PERIOD}").status_code == 403
    assert world.client(None).get("/api/indicators/").status_code in (401, 403)
    agent = world.client("agent")
    assert agent.get(f"/api/indicators/no-such/?{PERIOD}").status_code == 404
    for query, field in ((f"{PERIOD}&customer={world.orgs['C'].pk}", "customer"),
                         ("start=2026-12-01&end=2026-11-01", "end"),
                         ("start=2026-11-01", "end"), ("start=yesterday&end=2026-11-01", "start"),
                         (f"{PERIOD}&by=priority", "by")):  # ratings have no priority
        response = agent.get(f"/api/indicators/ticket-satisfaction/?{query}")
        assert response.status_code == 400, (query, response.content)
        assert field in response.json(), (query, response.json())
