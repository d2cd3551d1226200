"""Tickets, clocks, outages and ratings at exact times for the report tests (not a test
module). Everything runs on a 7×24 policy (response 60, resolution 240 minutes), so
working minutes are calendar minutes and every deadline is easy to check by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.contenttypes.models import ContentType

from itsm.catalog.models import Service, SLAPolicy, SLATarget
from itsm.core import services
from itsm.core.models import BusinessCalendar
from itsm.servicedesk.models import (
    Incident,
    MajorIncident,
    SatisfactionRating,
    ServiceRequest,
    Ticket,
)

SH = ZoneInfo("Asia/Shanghai")
RESPONSE, RESOLUTION = 60, 240
OFFICE_HOURS = "中国标准工作日 09:00–18:00"


def at(text: str) -> dt.datetime:
    """A Shanghai local time, e.g. ``at("2026-10-05 09:00")``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def catalogue(world) -> dict[str, Service]:
    """Provider P: ERP (customer A), Mail (A and B); provider Q: Q-App (C); one 7×24
    SLA policy for P. The services' own support hours are office hours, so an urgent
    incident does not become a major incident by itself (servicedesk.major)."""
    always = BusinessCalendar.objects.get_or_create(name="7×24",
                                                    defaults={"always_on": True})[0]
    office = BusinessCalendar.objects.get(name=OFFICE_HOURS)
    made = {}
    for code, provider, customers in [("erp", "P", "A"), ("mail", "P", "AB"),
                                      ("qapp", "Q", "C")]:
        made[code] = Service.objects.create(
            provider=world.orgs[provider], code=code, name=code.upper(), calendar=office)
        made[code].customers.set([world.orgs[c] for c in customers])
    policy = SLAPolicy.objects.create(provider=world.orgs["P"], name="7×24 SLA",
                                      calendar=always)
    for priority in (1, 2, 3, 4):
        SLATarget.objects.create(policy=policy, priority=priority, response_minutes=RESPONSE,
                                 resolution_minutes=RESOLUTION)
    return made


def ticket(world, when: str, *, model: type[Ticket] = ServiceRequest, org: str = "A",
           service: Service | None = None, priority: int = 3, title: str = "打印机卡纸",
           **data: Any) -> Ticket:
    """A ticket raised by the agent at ``when`` (Shanghai time) for ``org``."""
    requester = {"A": world.requester_a, "B": world.requester_b, "C": world.requester_c}[org]
    actor = world.agent_q if org == "C" else world.agent
    with time_machine.travel(at(when), tick=False):
        return services.create_record(model, actor=actor, data={
            "organization": world.orgs[org], "requester": requester, "title": title,
            "priority": priority, "service": service, **data})


def step(world, record: Ticket, when: str, name: str, **values: Any) -> Ticket:
    """A transition by the record's provider staff at ``when``."""
    actor = world.agent_q if record.organization.code == "c" else world.agent
    comment = values.pop("comment", "")
    if name in ("start",) and "assignee" not in values:
        values["assignee"] = actor
    if name == "resolve" and "resolution" not in values:
        values["resolution"] = "已处理"
    with time_machine.travel(at(when), tick=False):
        return services.transition_record(record, name, actor=actor, values=values,
                                          comment=comment)


def outage(world, start: str, end: str | None, *, service: Service, org: str = "A",
           priority: int = 1, status: str = "resolved") -> Incident:
    """An incident from ``start`` to ``end`` (resolved then), its times set directly."""
    incident = ticket(world, start, model=Incident, org=org, service=service,
                      priority=priority, title="系统宕机")
    changes: dict[str, Any] = {"status": status}
    if end is not None:
        changes["resolved_at"] = at(end)
    Incident.objects.filter(pk=incident.pk).update(**changes)
    return incident


def major_outage(world, start: str, recovered: str | None, *, service: Service,
                 org: str = "A") -> MajorIncident:
    with time_machine.travel(at(start), tick=False):
        major = services.create_record(MajorIncident, actor=world.agent, data={
            "organization": world.orgs[org], "requester": world.requester_a,
            "title": "重大事件", "service": service})
    MajorIncident.objects.filter(pk=major.pk).update(
        recovered_at=at(recovered) if recovered else None)
    return major


def rating(world, record: Ticket, when: str, score: int) -> SatisfactionRating:
    """A rating stored directly at ``when`` (the rating service needs a closed ticket)."""
    return SatisfactionRating.objects.create(
        record_type=ContentType.objects.get_for_model(type(record)), record_id=record.pk,
        organization_id=record.organization_id, score=score, service=record.service,
        created_at=at(when))
