"""Change records are kept ``ITSM_CHANGE_RETENTION_YEARS`` (default 5, CHG-5 / GEN-7):
inside the period no interface deletes one — service layer, API, web UI, Django admin
(single and bulk), queryset and cascades — and every attempt leaves the change and its
audit trail as they were; afterwards an administrator may delete it."""

# covers: CHG-5, GEN-7

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from itsm.changes.models import Change
from itsm.core import directory, services
from itsm.core.exceptions import RetentionError
from itsm.core.models import AuditEntry, Organization

pytestmark = pytest.mark.django_db


def old_change(cw, days: int) -> Change:
    """A change raised ``days`` ago, with a comment on its timeline."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=days), tick=False):
        start, end = cw.window()
        engineer = cw.world.users["engineer"]
        change = services.create_record(Change, actor=engineer, data={
            "organization": cw.world.orgs["P"], "requester": engineer,
            "title": "存储阵列扩容", "description": "为核心数据库扩容 2 TB",
            "reason": "容量不足", "implementation_plan": "在线扩容", "backout_plan": "无需回退",
            "planned_start": start, "planned_end": end})
        services.add_comment(change, actor=engineer, body="已与厂商确认扩容方案。")
    return change


def trail(change: Change) -> tuple:
    """What must survive a refused deletion: the change, its audit entries, its timeline
    and comments."""
    entries = tuple(AuditEntry.objects.filter(object_type="changes.change",
                                              object_id=str(change.pk))
                    .values_list("id", "hash"))
    return (Change.objects.filter(pk=change.pk).exists(), entries,
            change.timeline.count(), change.comments.count())


def page(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def admin_client(cw) -> Client:
    """P's administrator with the model permissions the Django admin asks for."""
    admin = cw.world.users["admin"]
    admin.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="changes", codename__in=["view_change", "delete_change"]))
    client = Client()
    client.force_login(admin)
    return client


def test_a_year_old_change_cannot_be_deleted_through_any_interface(cw, admin_client):
    admin = cw.world.users["admin"]
    change = old_change(cw, days=366)
    until = change.retained_until
    assert until == timezone.localtime(change.created_at).date().replace(
        year=timezone.localtime(change.created_at).year + 5)
    before = trail(change)
    assert before[0] and before[1] and before[2] >= 2 and before[3] == 1

    # Service layer: the message names the date and the retention period.
    with pytest.raises(RetentionError) as excinfo, transaction.atomic():
        services.delete_record(change, actor=admin)
    assert until.isoformat() in excinfo.value.message and "5" in excinfo.value.message
    assert trail(change) == before

    # REST API: 409 with the code "retention".
    response = cw.world.client("admin").delete(f"/api/changes/{change.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "retention"
    assert until.isoformat() in str(response.json())
    assert trail(change) == before

    # Web UI: the confirmation page says so at once, and a POST is refused with 409.
    ui = Client()
    ui.force_login(admin)
    url = reverse("changes:change-delete", args=[change.pk])
    confirm = ui.get(url)
    assert confirm.status_code == 200
    assert until.isoformat() in page(confirm) and 'id="confirm-delete"' not in page(confirm)
    response = ui.post(url)
    assert response.status_code == 409
    assert until.isoformat() in page(response)
    assert trail(change) == before

    # Django admin, single delete: an error message instead of a 500, nothing deleted.
    admin_url = reverse("admin:changes_change_delete", args=[change.pk])
    response = admin_client.get(admin_url, follow=True)
    assert response.status_code == 200 and until.isoformat() in page(response)
    response = admin_client.post(admin_url, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert until.isoformat() in page(response)
    assert trail(change) == before

    # Django admin, bulk "delete selected" (with a deletable change in the selection).
    fresh = old_change(cw, days=1)
    fresh_before = trail(fresh)
    response = admin_client.post(reverse("admin:changes_change_changelist"), {
        "action": "delete_selected", "_selected_action": [change.pk, fresh.pk],
        "post": "yes"}, follow=True)
    assert response.status_code == 200
    assert until.isoformat() in page(response)
    assert trail(change) == before and trail(fresh) == fresh_before

    # Queryset delete and a single instance's delete (shell, scripts).
    with pytest.raises(RetentionError), transaction.atomic():
        Change.objects.filter(pk=change.pk).delete()
    with pytest.raises(RetentionError), transaction.atomic():
        Change.objects.get(pk=change.pk).delete()
    assert trail(change) == before

    # Cascades: nothing cascades to a change (its organization, requester, board and
    # template are PROTECT), so deleting what it hangs on is refused as well.
    org = Organization.objects.get(pk=change.organization_id)
    with pytest.raises(ProtectedError), transaction.atomic():
        org.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Organization.objects.filter(pk=org.pk).delete()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - ValidationError
        directory.delete_object(org, actor=admin)
    with pytest.raises(ProtectedError), transaction.atomic():
        cw.world.users["engineer"].delete()
    assert trail(change) == before


def test_after_five_years_an_administrator_deletes_a_change(cw, admin_client):
    change = old_change(cw, days=5 * 366)
    assert change.retained_until <= timezone.localdate()
    ui = Client()
    ui.force_login(cw.world.users["admin"])
    url = reverse("changes:change-delete", args=[change.pk])
    assert 'id="confirm-delete"' in page(ui.get(url))
    response = ui.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("changes:change-list")
    assert not Change.objects.filter(pk=change.pk).exists()
    entry = AuditEntry.objects.filter(object_type="changes.change",
                                      object_id=str(change.pk)).latest("id")
    assert entry.action == "delete"


def test_the_retention_period_is_configurable(cw, admin_client, settings):
    change = old_change(cw, days=400)
    other = old_change(cw, days=400)
    settings.ITSM_CHANGE_RETENTION_YEARS = 2
    response = cw.world.client("admin").delete(f"/api/changes/{change.pk}/")
    assert response.status_code == 409
    settings.ITSM_CHANGE_RETENTION_YEARS = 1
    assert change.retained_until < timezone.localdate()
    assert cw.world.client("admin").delete(f"/api/changes/{change.pk}/").status_code == 204
    assert not Change.objects.filter(pk=change.pk).exists()
    # The admin's bulk action deletes too once the period is over.
    response = admin_client.post(reverse("admin:changes_change_changelist"), {
        "action": "delete_selected", "_selected_action": [other.pk], "post": "yes"})
    assert response.status_code == 302
    assert not Change.objects.filter(pk=other.pk).exists()
    assert AuditEntry.objects.filter(object_type="changes.change", object_id=str(other.pk),
                                     action="delete").exists()


def test_only_administrators_may_delete_even_after_the_period(cw, settings):
    settings.ITSM_CHANGE_RETENTION_YEARS = 1
    change = old_change(cw, days=400)
    for username in ("chgmgr", "cab1"):
        client = Client()
        client.force_login(cw.users[username])
        assert client.post(reverse("changes:change-delete", args=[change.pk])).status_code == 403
    client = Client()
    client.force_login(cw.world.users["requester_a"])
    assert client.post(reverse("changes:change-delete", args=[change.pk])).status_code == 404
    assert Change.objects.filter(pk=change.pk).exists()
