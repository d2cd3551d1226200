"""The audit log: every write recorded with actor, source, IP and diff; append-only;
hash-chained so that `itsm verify-audit` finds a row changed behind our back."""

# covers: GEN-1

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from itsm.core import services
from itsm.core.audit import audit_context, verify_chain
from itsm.core.choices import AuditSource
from itsm.core.models import AuditEntry


def entries_for(record):
    return AuditEntry.objects.filter(object_type=record._meta.label_lower,
                                     object_id=str(record.pk)).order_by("id")


def test_create_update_transition_are_audited_with_actor_source_ip_and_diff(world):
    client = world.client("agent")
    response = client.post("/api/service-requests/", {
        "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
        "title": "邮件无法发送", "priority": 2}, format="json", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = client.patch(f"/api/service-requests/{pk}/", {"title": "邮件无法发送（已复现）"},
                            format="json", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200, response.content
    response = client.post(f"/api/service-requests/{pk}/transition/", {
        "transition": "assign", "values": {"assignee_team": world.teams["desk"].pk}},
        format="json", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200, response.content

    from itsm.servicedesk.models import ServiceRequest

    record = ServiceRequest.objects.get(pk=pk)
    created, updated, moved = entries_for(record)
    for entry in (created, updated, moved):
        assert entry.actor_id == world.agent.pk
        assert entry.source == AuditSource.API
        assert entry.ip_address == "10.1.2.3"
        assert entry.organization_id == world.orgs["A"].pk
    assert created.action == "create" and created.changes["title"] == [None, "邮件无法发送"]
    assert updated.action == "update"
    assert updated.changes == {"title": ["邮件无法发送", "邮件无法发送（已复现）"]}
    assert moved.action == "transition"
    assert moved.changes["status"] == ["new", "assigned"]
    assert moved.changes["assignee_team_id"] == [None, world.teams["desk"].pk]


def test_web_and_job_sources(world):
    from django.test import Client

    client = Client()
    client.force_login(world.requester_a)
    response = client.post("/requests/new/", {"title": "网页提交", "description": "x"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="create", source=AuditSource.WEB,
                                     object_repr__contains="网页提交").exists()
    with audit_context(source=AuditSource.JOB):
        record = world.request("requester_a", title="任务创建")
    assert entries_for(record).get().source == AuditSource.JOB


def test_delete_is_audited(world):
    record = world.request("requester_a")
    response = world.client("admin").delete(f"/api/service-requests/{record.pk}/")
    assert response.status_code == 204
    entry = entries_for(record).last()
    assert entry.action == "delete"
    assert entry.changes["title"] == ["打印机卡纸", None]


def test_entries_are_append_only(world):
    world.request("requester_a")
    entry = AuditEntry.objects.first()
    entry.object_repr = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_verify_audit_passes_on_an_untouched_chain(world, capsys):
    record = world.request("requester_a")
    services.add_comment(record, actor=world.agent, body="已受理")
    call_command("verify-audit")
    assert "Audit chain intact" in capsys.readouterr().out
    assert verify_chain().checked == AuditEntry.objects.count()


@pytest.mark.audit_tampered
def test_verify_audit_reports_the_first_row_changed_with_raw_sql(world):
    for i in range(3):
        world.request("requester_a", title=f"记录 {i}")
    victim = AuditEntry.objects.order_by("id")[5]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET object_repr = %s WHERE id = %s",
                       ["forged", victim.pk])
    with pytest.raises(CommandError) as excinfo:
        call_command("verify-audit")
    assert f"entry #{victim.pk} " in str(excinfo.value)
    assert "content does not match" in str(excinfo.value)


@pytest.mark.audit_tampered
def test_verify_audit_reports_a_removed_row(world):
    for i in range(3):
        world.request("requester_a", title=f"记录 {i}")
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [ids[4]])
    with pytest.raises(CommandError) as excinfo:
        call_command("verify-audit")
    assert f"entry #{ids[5]} " in str(excinfo.value)
    assert "removed" in str(excinfo.value)


@pytest.mark.audit_tampered
def test_verify_audit_reports_removed_newest_rows(world):
    world.request("requester_a")
    last = AuditEntry.objects.order_by("-id").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match="newest entries were removed"):
        call_command("verify-audit")
