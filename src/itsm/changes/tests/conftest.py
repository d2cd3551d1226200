"""Change-management people and boards on top of the ``world`` fixture.

Provider P gets a change manager, three CAB members (a default board of three, quorum
by majority), a department "运维部" headed by ``lead`` with ``engineer`` in it, and
two configuration items. Provider Q gets its own board with member ``cab_q``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from itsm.catalog.models import Service
from itsm.changes.models import ChangeBoard
from itsm.cmdb.models import CIType, ConfigurationItem
from itsm.conftest import PASSWORD
from itsm.core import directory
from itsm.core.choices import Role
from itsm.core.models import BusinessCalendar, Department


@dataclass
class ChangeWorld:
    world: object
    users: dict = field(default_factory=dict)
    board: ChangeBoard | None = None
    board_q: ChangeBoard | None = None
    items: dict = field(default_factory=dict)
    services: dict = field(default_factory=dict)
    department: Department | None = None

    def window(self, days: int = 3, hours: int = 2) -> tuple[dt.datetime, dt.datetime]:
        start = (timezone.now() + dt.timedelta(days=days)).replace(minute=0, second=0,
                                                                   microsecond=0)
        return start, start + dt.timedelta(hours=hours)


def _person(world, username: str, org: str, roles: list[str]):
    return directory.create_person(actor=None, data={
        "username": username, "first_name": username, "last_name": "",
        "email": f"{username}@example.cn", "password": PASSWORD, "roles": roles,
        "profile": {"organization": world.orgs[org]}})


def build_change_world(world) -> ChangeWorld:
    cw = ChangeWorld(world=world)
    for username, org, roles in [
        ("chgmgr", "P", [Role.CHANGE_MANAGER, Role.AGENT]),
        ("cab1", "P", [Role.CAB_MEMBER, Role.AGENT]),
        ("cab2", "P", [Role.CAB_MEMBER, Role.AGENT]),
        ("cab3", "P", [Role.CAB_MEMBER, Role.AGENT]),
        ("cab_q", "Q", [Role.CAB_MEMBER, Role.AGENT]),
    ]:
        cw.users[username] = _person(world, username, org, roles)
    cw.board = ChangeBoard.objects.create(provider=world.orgs["P"], name="IT服务管理委员会",
                                          chair=cw.users["chgmgr"], is_default=True)
    cw.board.members.set([cw.users["cab1"], cw.users["cab2"], cw.users["cab3"]])
    cw.board.emergency_approvers.set([cw.users["chgmgr"]])
    cw.board_q = ChangeBoard.objects.create(provider=world.orgs["Q"], name="Q 变更委员会",
                                            is_default=True)
    cw.board_q.members.set([cw.users["cab_q"]])
    cw.department = Department.objects.create(organization=world.orgs["P"], name="运维部",
                                              head=world.users["lead"])
    for username in ("engineer", "agent"):
        profile = world.users[username].profile
        profile.department = cw.department
        profile.save()
    db_type, _ = CIType.objects.get_or_create(code="database", defaults={"name": "数据库"})
    for name in ("核心数据库", "应用服务器"):
        cw.items[name] = ConfigurationItem.objects.create(
            name=name, ci_type=db_type, organization=world.orgs["P"])
    calendar, _ = BusinessCalendar.objects.get_or_create(name="7x24 changes",
                                                         defaults={"always_on": True})
    for key, org, team in [("pay", "P", "desk"), ("q", "Q", "q_desk")]:
        cw.services[key] = Service.objects.create(
            provider=world.orgs[org], code=key, name=f"{key} 服务", calendar=calendar,
            owner_team=world.teams[team])
    cw.services["pay"].customers.set([world.orgs["A"], world.orgs["B"]])
    return cw


@pytest.fixture
def cw(world) -> ChangeWorld:
    return build_change_world(world)
