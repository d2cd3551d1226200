"""Reference data every installation has: role groups, the audit chain head, the China
business calendars and the CMDB's CI types.

Written by the data migrations (with the historical models) and again, idempotently,
after every ``migrate`` or ``flush`` (``post_migrate``): a database emptied by ``flush``
— as transactional tests do — gets its reference data back instead of losing it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps as global_apps

from .calendar_seed import china_arrangement
from .choices import Role

T = dt.time
#: name, description, working windows (Mon–Fri), always on
CALENDARS = [
    ("中国标准工作日 09:00–18:00", "周一至周五 09:00–18:00，含法定节假日与调休",
     [(T(9), T(18))], False),
    ("中国标准工作日（午休）", "周一至周五 09:00–12:00、13:30–18:00，含法定节假日与调休",
     [(T(9), T(12)), (T(13, 30), T(18))], False),
    ("7×24", "全天候服务，不区分节假日", [], True),
]
CALENDAR_YEARS = [2024, 2025, 2026]

CI_TYPES = [
    ("system", "信息系统"), ("application", "应用"), ("server", "服务器"),
    ("network", "网络设备"), ("database", "数据库"), ("service", "服务"),
    ("storage", "存储"), ("document", "文档"),
]
CI_ATTRIBUTES = {"server": ["ip_address", "os", "cpu", "memory_gb", "location"],
                 "database": ["engine", "version", "host"],
                 "network": ["ip_address", "model", "location"],
                 "application": ["version", "url"]}


def seed_roles_and_chain_head(apps: Any = global_apps) -> None:
    Group = apps.get_model("auth", "Group")
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": "0" * 64})


def seed_china_calendars(apps: Any = global_apps) -> None:
    BusinessCalendar = apps.get_model("core", "BusinessCalendar")
    CalendarWindow = apps.get_model("core", "CalendarWindow")
    CalendarException = apps.get_model("core", "CalendarException")
    arrangement = None
    for name, description, windows, always_on in CALENDARS:
        calendar, created = BusinessCalendar.objects.get_or_create(
            name=name, defaults={"description": description, "always_on": always_on})
        if not created or always_on:
            continue
        arrangement = arrangement or china_arrangement(CALENDAR_YEARS)
        CalendarWindow.objects.bulk_create(
            CalendarWindow(calendar=calendar, weekday=day, start=start, end=end)
            for day in range(5) for start, end in windows)
        CalendarException.objects.bulk_create(
            CalendarException(calendar=calendar, date=date, kind=kind, name=label)
            for date, kind, label in arrangement)


def seed_ci_types(apps: Any = global_apps) -> None:
    CIType = apps.get_model("cmdb", "CIType")
    for code, name in CI_TYPES:
        CIType.objects.get_or_create(code=code, defaults={
            "name": name, "attributes": CI_ATTRIBUTES.get(code, [])})


def seed_after_migrate(sender, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver of the core app: all reference data, if missing."""
    from django.db import connections

    if not {"core_auditchainhead", "cmdb_citype"} <= set(
            connections[using].introspection.table_names()):
        return  # migrating to an earlier state: the data migrations decide
    seed_roles_and_chain_head()
    seed_china_calendars()
    seed_ci_types()
