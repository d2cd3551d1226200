"""CMDB service layer: validation, permissions, relations, record links, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from itsm.cmdb import services
from itsm.cmdb.impact import analyse
from itsm.cmdb.models import CIRelation, ConfigurationItem
from itsm.core.models import AuditEntry

from .conftest import ci_type


def test_create_item_with_chinese_name_is_audited(cmdb):
    world = cmdb.world
    item = services.create_item(actor=world.agent, data={
        "organization": world.orgs["A"], "ci_type": ci_type("database"),
        "name": "财务数据库", "attributes": {"version": "达梦 8", "port": "5236"}})
    assert item.pk and item.attributes["version"] == "达梦 8"
    entry = AuditEntry.objects.filter(object_type="cmdb.configurationitem",
                                      object_id=str(item.pk)).get()
    assert entry.action == "create" and entry.actor_id == world.agent.pk


def test_unknown_attribute_is_a_field_error(cmdb):
    world = cmdb.world
    with pytest.raises(ValidationError) as exc:
        services.create_item(actor=world.agent, data={
            "organization": world.orgs["A"], "ci_type": ci_type("database"),
            "name": "x", "attributes": {"颜色": "红"}})
    assert "颜色" in exc.value.message_dict["attributes"][0]


def test_duplicate_name_and_foreign_organization_refused(cmdb):
    world = cmdb.world
    with pytest.raises(ValidationError) as exc:
        services.create_item(actor=world.agent, data={
            "organization": world.orgs["P"], "ci_type": ci_type("database"),
            "name": "订单数据库"})
    assert exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_item(actor=world.agent, data={
            "organization": world.orgs["C"], "ci_type": ci_type("server"), "name": "x"})
    assert "organization" in exc.value.message_dict


@pytest.mark.parametrize("who", ["auditor", "requester_a", "custadmin_a"])
def test_readers_cannot_write(cmdb, who):
    world = cmdb.world
    user = world.users[who]
    with pytest.raises(PermissionDenied):
        services.create_item(actor=user, data={
            "organization": world.orgs["A"], "ci_type": ci_type("server"), "name": "x"})
    with pytest.raises(PermissionDenied):
        services.update_item(cmdb.items["app_a"], actor=user, changes={"name": "y"})
    with pytest.raises(PermissionDenied):
        services.delete_item(cmdb.items["app_a"], actor=user)


def test_agent_of_another_provider_cannot_update(cmdb):
    with pytest.raises(PermissionDenied):
        services.update_item(cmdb.items["app_a"], actor=cmdb.world.agent_q,
                             changes={"name": "y"})


def test_update_bumps_updated_at_and_logs_diff(cmdb):
    item = cmdb.items["srv"]
    before = item.updated_at
    services.update_item(item, actor=cmdb.world.agent, changes={
        "status": "maintenance", "attributes": {"ip": "10.0.0.8"}})
    item.refresh_from_db()
    assert item.updated_at > before and item.status == "maintenance"
    entry = AuditEntry.objects.filter(object_type="cmdb.configurationitem",
                                      object_id=str(item.pk), action="update").get()
    assert {"status", "attributes"} <= set(entry.changes)


def test_relations_refuse_self_duplicate_and_out_of_scope(cmdb):
    agent, it = cmdb.world.agent, cmdb.items
    with pytest.raises(ValidationError) as exc:
        services.add_relation(it["db"], it["db"], kind="depends_on", actor=agent)
    assert "target" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.add_relation(it["app_a"], it["db"], kind="depends_on", actor=agent)
    assert "target" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.add_relation(it["app_a"], it["c"], kind="depends_on", actor=agent)
    assert "target" in exc.value.message_dict
    relation = services.add_relation(it["app_a"], it["srv"], kind="runs_on", actor=agent)
    services.remove_relation(relation, actor=agent)
    assert not CIRelation.objects.filter(pk=relation.pk).exists()


def test_delete_refused_while_an_open_record_links(cmdb):
    world = cmdb.world
    request = world.request("requester_a")
    services.link_record_ci(request, cmdb.items["app_a"], actor=world.agent)
    with pytest.raises(ValidationError) as exc:
        services.delete_item(cmdb.items["app_a"], actor=world.agent)
    assert request.number in str(exc.value)
    services.unlink_record_ci(request, cmdb.items["app_a"], actor=world.agent)
    services.delete_item(cmdb.items["app_a"], actor=world.agent)
    assert not ConfigurationItem.objects.filter(pk=cmdb.items["app_a"].pk).exists()


def test_impact_follows_the_cycle_and_crosses_organizations(cmdb):
    it = cmdb.items
    result = analyse(it["db"])
    assert result.item_ids == {it["db"].pk, it["srv"].pk, it["app_a"].pk, it["app_b"].pk}
    assert {s.code for s in result.services} == {"svc-a", "svc-b"}
    assert {o.code for o in result.organizations} == {"a", "b"}
    assert analyse(it["app_a"]).item_ids == {it["app_a"].pk}
