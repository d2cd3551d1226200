"""The Django admin of change management: read-only changes, master data saved through
``changes.services`` (audited), everything limited to the administrator's provider."""

# covers: CHG-6 (boards), CHG-3 (freeze windows), GEN-ACCESS

from __future__ import annotations

import html

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from itsm.changes.models import Change, ChangeBoard, ChangeTemplate
from itsm.core import services
from itsm.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(cw) -> Client:
    admin = cw.world.users["admin"]
    admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="changes"))
    client = Client()
    client.force_login(admin)
    return client


def page(response) -> str:
    return html.unescape(response.content.decode())


def test_changes_are_listed_per_provider_and_read_only(cw, admin_client):
    start, end = cw.window()
    change = services.create_record(Change, actor=cw.users["chgmgr"], data={
        "organization": cw.world.orgs["P"], "requester": cw.users["chgmgr"],
        "title": "防火墙策略调整", "planned_start": start, "planned_end": end})
    other = services.create_record(Change, actor=None, data={
        "organization": cw.world.orgs["Q"], "requester": cw.users["cab_q"],
        "title": "Q 的变更"})
    listing = admin_client.get(reverse("admin:changes_change_changelist"))
    assert listing.status_code == 200
    assert change.number in page(listing) and other.number not in page(listing)
    detail = admin_client.get(reverse("admin:changes_change_change", args=[change.pk]))
    assert detail.status_code == 200 and "防火墙策略调整" in page(detail)
    assert 'name="title"' not in page(detail)  # read-only
    response = admin_client.post(reverse("admin:changes_change_change", args=[change.pk]),
                                 {"title": "hacked"})
    assert response.status_code == 403
    assert admin_client.get(reverse("admin:changes_change_add")).status_code == 403
    assert admin_client.get(reverse("admin:changes_change_change",
                                    args=[other.pk])).status_code == 302  # "not found"
    change.refresh_from_db()
    assert change.title == "防火墙策略调整"


def test_a_board_is_saved_through_the_service_for_the_own_provider(cw, admin_client):
    response = admin_client.post(reverse("admin:changes_changeboard_add"), {
        "name": "项目变更控制委员会", "description": "", "chair": cw.users["chgmgr"].pk,
        "members": [cw.users["cab1"].pk, cw.users["cab2"].pk], "quorum": "0",
        "is_active": "on"})
    assert response.status_code == 302, page(response)[:2000]
    board = ChangeBoard.objects.get(name="项目变更控制委员会")
    assert board.provider == cw.world.orgs["P"]
    assert set(board.members.values_list("username", flat=True)) == {"cab1", "cab2"}
    entry = AuditEntry.objects.filter(object_type="changes.changeboard",
                                      object_id=str(board.pk)).get()
    assert entry.action == "create" and entry.actor_id == cw.world.users["admin"].pk
    # Q's board and Q's people are not offered.
    listing = page(admin_client.get(reverse("admin:changes_changeboard_changelist")))
    assert "IT服务管理委员会" in listing and "Q 变更委员会" not in listing
    form = page(admin_client.get(reverse("admin:changes_changeboard_add")))
    assert "cab1" in form and "cab_q" not in form


def test_a_refused_save_is_a_message_not_a_500(cw, admin_client):
    response = admin_client.post(reverse("admin:changes_changeboard_add"), {
        "name": "IT服务管理委员会", "description": "", "quorum": "0", "is_active": "on"},
        follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert ChangeBoard.objects.filter(name="IT服务管理委员会").count() == 1
    assert not AuditEntry.objects.filter(object_type="changes.changeboard").exists()


def test_a_template_in_use_is_not_deleted(cw, admin_client):
    template = ChangeTemplate.objects.create(provider=cw.world.orgs["P"], name="补丁安装",
                                             implementation_plan="安装", backout_plan="卸载")
    start, end = cw.window()
    services.create_record(Change, actor=cw.users["chgmgr"], data={
        "organization": cw.world.orgs["P"], "requester": cw.users["chgmgr"],
        "title": "补丁", "change_type": "standard", "template": template,
        "planned_start": start, "planned_end": end})
    url = reverse("admin:changes_changetemplate_delete", args=[template.pk])
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert ChangeTemplate.objects.filter(pk=template.pk).exists()


@pytest.mark.parametrize("model", ["changeboard", "changetemplate", "freezewindow",
                                   "cabmeeting"])
def test_master_data_pages_open(cw, admin_client, model):
    assert admin_client.get(reverse(f"admin:changes_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:changes_{model}_add")).status_code == 200


def test_a_change_shows_its_approvals_and_votes(cw, admin_client):
    from itsm.changes import approvals

    from .test_approvals import new_change, submit_and_assess

    change = submit_and_assess(cw, new_change(cw))
    approvals.cast_vote(approvals.current_approval(change), voter=cw.users["cab1"],
                        decision="approve")
    response = admin_client.get(reverse("admin:changes_change_change", args=[change.pk]))
    assert response.status_code == 200
    assert "cab1" in page(response)
    url = reverse("admin:changes_cabmeeting_add")
    response = admin_client.post(url, {
        "board": cw.board.pk, "title": "例会", "scheduled_at_0": "2030-01-02",
        "scheduled_at_1": "14:00", "location": "", "status": "planned", "minutes": "",
        "attendees": [cw.users["cab1"].pk]})
    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = cw.board.meetings.get()
    assert list(meeting.items.values_list("change", flat=True)) == [change.pk]
