"""A small CMDB on top of the ``world`` fixture.

Provider P runs the database ``订单数据库`` on the server ``db-srv-01`` (which in turn
depends on the database: a cycle). Customer A's application ``华东订单系统`` and
customer B's ``ERP SENTINEL`` depend on the database; each provides a catalogue
service subscribed by its customer. Provider Q has an item of customer C.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from itsm.catalog import admin_services
from itsm.catalog.models import Service
from itsm.cmdb import services
from itsm.cmdb.models import CIType, ConfigurationItem


@dataclass
class CMDB:
    world: object
    items: dict[str, ConfigurationItem] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)


def ci_type(code: str) -> CIType:
    return CIType.objects.get(code=code)


@pytest.fixture
def cmdb(world, sentinel) -> CMDB:
    orgs = world.orgs
    result = CMDB(world=world)
    calendar = admin_services.create_calendar(
        actor=None, data={"name": "P 日历", "organization": orgs["P"]},
        windows=[{"weekday": 0, "start": dt.time(9), "end": dt.time(18)}])
    for key, provider, customer, name in [("a", "P", "A", "订单服务"),
                                          ("b", "P", "B", f"ERP 服务 {sentinel}")]:
        result.services[key] = admin_services.create_provider_object(Service, actor=None, data={
            "provider": orgs[provider], "code": f"svc-{key}", "name": name,
            "calendar": calendar, "customers": [orgs[customer]]})
    db_type = ci_type("database")
    db_type.attributes = ["version", "port"]
    db_type.save()
    server_type = ci_type("server")
    server_type.attributes = ["ip"]
    server_type.save()
    for key, org, code, name, extra in [
        ("db", "P", "database", "订单数据库", {"attributes": {"version": "PostgreSQL 16"}}),
        ("srv", "P", "server", "db-srv-01", {}),
        ("app_a", "A", "application", "华东订单系统", {"service": result.services["a"]}),
        ("app_b", "B", "application", f"ERP {sentinel}", {"service": result.services["b"]}),
        ("c", "C", "application", "C 邮件系统", {}),
    ]:
        result.items[key] = services.create_item(actor=None, data={
            "organization": orgs[org], "ci_type": ci_type(code), "name": name, **extra})
    it = result.items
    services.add_relation(it["db"], it["srv"], kind="runs_on", actor=None)
    services.add_relation(it["srv"], it["db"], kind="depends_on", actor=None)  # a cycle
    services.add_relation(it["app_a"], it["db"], kind="depends_on", actor=None)
    services.add_relation(it["app_b"], it["db"], kind="depends_on", actor=None)
    return result
