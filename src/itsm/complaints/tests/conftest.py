"""Complaint people on top of the ``world`` fixture: two designated handlers and a
quality manager of provider P, a manager (管理层) of P, a handler of Q; the clock
policies of P on the standard calendar (09:00–18:00, China's holidays)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from itsm.complaints import services as complaint_services
from itsm.complaints.models import CauseCategory, ComplaintPolicy
from itsm.conftest import PASSWORD
from itsm.core import directory, services
from itsm.core.choices import Role
from itsm.core.models import BusinessCalendar

SH = ZoneInfo("Asia/Shanghai")
STANDARD = "中国标准工作日 09:00–18:00"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def local(value: dt.datetime | None) -> str | None:
    return value.astimezone(SH).strftime("%Y-%m-%d %H:%M") if value else None


PEOPLE = [
    ("handler", "P", [Role.COMPLAINT_HANDLER]),
    ("handler2", "P", [Role.COMPLAINT_HANDLER, Role.AGENT]),
    ("boss", "P", [Role.MANAGEMENT]),
    ("qm", "P", [Role.QUALITY_MANAGER]),
    ("handler_q", "Q", [Role.COMPLAINT_HANDLER]),
]


@pytest.fixture
def cw(world):
    """The world with complaint people and P's policies (urgent: 24 h to respond and to
    resolve; ordinary and major: 24 h to respond)."""
    for username, org, roles in PEOPLE:
        world.users[username] = directory.create_person(actor=None, data={
            "username": username, "first_name": username, "last_name": "",
            "email": f"{username}@example.cn", "password": PASSWORD, "roles": roles,
            "profile": {"organization": world.orgs[org]}})
    calendar = BusinessCalendar.objects.get(name=STANDARD)
    for level, resolution in (("ordinary", None), ("urgent", 1440), ("major", None)):
        ComplaintPolicy.objects.create(provider=world.orgs["P"], level=level,
                                       response_minutes=1440, resolution_minutes=resolution,
                                       calendar=calendar)
    return world


def cause(name: str = "响应超时") -> CauseCategory:
    return CauseCategory.objects.get(provider=None, name=name)


def complain(world, who: str = "requester_a", when: str | None = None, **data):
    """A complaint raised through the service layer (at ``when``, Shanghai time)."""
    user = world.users[who]
    payload = {"organization": world.orgs["A"], "requester": world.requester_a,
               "title": "故障处理太慢", "description": "报修三天无人处理", **data}
    if when is None:
        return complaint_services.create_complaint(actor=user, data=payload)
    with time_machine.travel(at(when), tick=False):
        return complaint_services.create_complaint(actor=user, data=payload)


def step(world, record, name: str, who: str, when: str | None = None, comment: str = "",
         **values):
    if when is None:
        return services.transition_record(record, name, actor=world.users[who],
                                          values=values, comment=comment)
    with time_machine.travel(at(when), tick=False):
        return services.transition_record(record, name, actor=world.users[who],
                                          values=values, comment=comment)
