"""People, tickets and complaints at exact times for the improvement tests (not a test
module): a quality manager ``qm`` and management ``boss`` of P, a quality manager
``qm_q`` of Q; tickets and complaints stamped at given Shanghai times, so the complaint
rate of a window is counted by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from itsm.complaints import services as complaint_services
from itsm.complaints.models import CauseCategory, Complaint
from itsm.conftest import PASSWORD
from itsm.core import directory, services
from itsm.core.choices import Role
from itsm.quality import improvement
from itsm.quality.models import ImprovementPlan
from itsm.servicedesk.models import ServiceRequest

SH = ZoneInfo("Asia/Shanghai")

PEOPLE = [("qm", "P", [Role.QUALITY_MANAGER]), ("boss", "P", [Role.MANAGEMENT]),
          ("qm_q", "Q", [Role.QUALITY_MANAGER])]


def at(text: str) -> dt.datetime:
    """A Shanghai local time, e.g. ``at("2026-11-01 09:00")``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def add_people(world):
    for username, org, roles in PEOPLE:
        world.users[username] = directory.create_person(actor=None, data={
            "username": username, "first_name": username, "last_name": "",
            "email": f"{username}@example.cn", "password": PASSWORD, "roles": roles,
            "profile": {"organization": world.orgs[org]}})
    return world


def cause(name: str = "响应超时") -> CauseCategory:
    return CauseCategory.objects.get(provider=None, name=name)


def tickets(world, when: str, count: int, org: str = "A") -> list[ServiceRequest]:
    """``count`` service requests of ``org`` raised at ``when``."""
    requester = {"A": world.requester_a, "B": world.requester_b, "C": world.requester_c}[org]
    actor = world.agent_q if org == "C" else world.agent
    made = []
    for _n in range(count):
        record = services.create_record(ServiceRequest, actor=actor, data={
            "organization": world.orgs[org], "requester": requester, "title": "打印机卡纸",
            "description": "三楼打印机卡纸"})
        ServiceRequest.objects.filter(pk=record.pk).update(created_at=at(when))
        made.append(record)
    return made


def complaints(world, when: str, count: int, org: str = "A") -> list[Complaint]:
    """``count`` complaints of ``org`` received at ``when``, caused by 响应超时."""
    requester = {"A": world.requester_a, "C": world.requester_c}[org]
    made = []
    for _n in range(count):
        record = complaint_services.create_complaint(actor=requester, data={
            "organization": world.orgs[org], "requester": requester,
            "title": "故障处理太慢", "description": "报修三天无人处理"})
        Complaint.objects.filter(pk=record.pk).update(received_at=at(when),
                                                      cause_category=cause())
        made.append(record)
    return made


def plan(world, actor: str = "qm", **data: Any) -> ImprovementPlan:
    """A plan of P opened by ``actor`` through the service (complaint rate, target 150‰,
    evaluated on 2030-01-31 unless given)."""
    return improvement.create_plan(actor=world.users[actor], data={
        "title": "降低投诉率", "source_kind": "complaint_cause", "source_cause": cause(),
        "indicator": "complaint-rate", "target_value": Decimal("150"),
        "evaluation_date": dt.date(2030, 1, 31), **data})
