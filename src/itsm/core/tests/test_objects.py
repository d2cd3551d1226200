"""The object layer (``core.objects``): one audited write path for every plain model."""

# covers: GEN-AUDIT (every create / update / delete audited), GEN-7 (retention)

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from itsm.core import directory, objects
from itsm.core.exceptions import RetentionError
from itsm.core.models import AuditEntry, Department, Organization, Team


def entries(instance) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=instance._meta.label_lower,
                                          object_id=str(instance.pk)).order_by("id"))


def test_many_to_many_changes_are_audited_as_old_and_new_ids(world):
    agent, lead, engineer = world.agent, world.lead, world.engineer
    team = directory.create_object(Team, actor=world.admin, data={
        "organization": world.orgs["P"], "name": "二线", "members": [lead, agent]})
    directory.update_object(team, actor=world.admin, changes={"members": [agent, engineer]})
    created, updated = entries(team)
    assert created.action == "create"
    assert created.changes["members"] == [[], sorted([agent.pk, lead.pk])]
    assert created.changes["name"] == [None, "二线"]
    assert created.organization_id == world.orgs["P"].pk
    assert updated.action == "update"
    assert updated.changes == {"members": [sorted([agent.pk, lead.pk]),
                                           sorted([agent.pk, engineer.pk])]}
    assert set(team.members.all()) == {agent, engineer}


def test_an_update_that_changes_nothing_writes_nothing(world):
    team = world.teams["desk"]
    before = AuditEntry.objects.count()
    directory.update_object(team, actor=world.admin, changes={
        "name": team.name, "members": list(team.members.all())})
    assert AuditEntry.objects.count() == before


def test_invalid_data_is_refused_with_field_messages_and_nothing_saved(world):
    before = (Department.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as error:
        directory.create_object(Department, actor=world.admin, data={
            "organization": world.orgs["A"], "name": ""})
    assert "name" in error.value.message_dict
    assert (Department.objects.count(), AuditEntry.objects.count()) == before


def test_an_object_in_use_is_refused_with_409_and_nothing_is_logged(world):
    before = AuditEntry.objects.count()
    with pytest.raises(objects.InUseError) as error:
        directory.delete_object(world.orgs["A"], actor=world.admin)
    assert error.value.status_code == 409
    assert "华东制造" in error.value.message
    assert Organization.objects.filter(pk=world.orgs["A"].pk).exists()
    assert AuditEntry.objects.count() == before


def test_a_deletion_is_audited_with_the_values_it_removed(world):
    dept = directory.create_object(Department, actor=world.admin, data={
        "organization": world.orgs["A"], "name": "财务部"})
    pk = dept.pk
    directory.delete_object(dept, actor=world.admin)
    entry = AuditEntry.objects.filter(object_type="core.department", object_id=str(pk),
                                      action="delete").get()
    assert entry.changes["name"] == ["财务部", None]
    assert entry.organization_id == world.orgs["A"].pk
    assert not Department.objects.filter(pk=pk).exists()


def test_records_inside_their_retention_period_are_not_deleted(world):
    from itsm.changes.models import Change
    from itsm.core import services

    engineer = world.engineer
    change = services.create_record(Change, actor=engineer, data={
        "organization": world.orgs["P"], "requester": engineer, "title": "存储扩容",
        "description": "扩容 2 TB", "reason": "容量不足", "implementation_plan": "在线扩容",
        "backout_plan": "无需回退"})
    before = AuditEntry.objects.count()
    with pytest.raises(RetentionError):
        objects.delete_object(change, actor=world.admin)
    assert Change.objects.filter(pk=change.pk).exists()
    assert AuditEntry.objects.count() == before
