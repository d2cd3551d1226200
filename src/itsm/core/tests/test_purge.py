"""The audited purge of expired records (GEN-7): once the retention period is over, a
closed record is deleted by the nightly job (opt-in, ``ITSM_PURGE_EXPIRED``) or by
``itsm purge-expired``; open records, records still inside their period and record
types without a period are never touched, and every deletion is in the audit log."""

# covers: GEN-7

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from itsm.changes.models import Change
from itsm.changes.tests.conftest import build_change_world
from itsm.core import audit, services
from itsm.core.choices import AuditAction, AuditSource
from itsm.core.models import AuditEntry
from itsm.core.purge import purge_expired
from itsm.core.retention import latest_expired_creation_date
from itsm.core.tasks import purge_expired_records
from itsm.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db


def periods(changes: int) -> dict[str, int]:
    """What a purge reports: every record type with a retention period (changes: 5
    years, complaints: 2), here only changes past theirs."""
    return {"changes.change": changes, "complaints.complaint": 0}


def years_ago(years: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=years * 366)


def change_at(cw, when: dt.datetime, *, cancelled: bool) -> Change:
    """A change raised at ``when`` (and cancelled then, when ``cancelled``)."""
    with time_machine.travel(when, tick=False):
        start, end = cw.window()
        engineer = cw.world.users["engineer"]
        change = services.create_record(Change, actor=engineer, data={
            "organization": cw.world.orgs["P"], "requester": engineer,
            "title": "数据库版本升级", "description": "将核心数据库升级到 15.4",
            "reason": "修复安全漏洞", "implementation_plan": "1. 备份 2. 升级 3. 验证",
            "backout_plan": "恢复备份", "planned_start": start, "planned_end": end})
        if cancelled:
            change = services.transition_record(change, "cancel", actor=engineer,
                                                comment="需求已撤销")
    return change


@pytest.fixture
def records(world):
    cw = build_change_world(world)
    old_closed = change_at(cw, years_ago(6), cancelled=True)
    old_open = change_at(cw, years_ago(6), cancelled=False)
    recent_closed = change_at(cw, years_ago(1), cancelled=True)
    with time_machine.travel(years_ago(6), tick=False):
        request = world.request("requester_a")
        request = services.transition_record(request, "cancel",
                                             actor=world.users["requester_a"],
                                             comment="不再需要")
    assert old_closed.is_final and not old_open.is_final and recent_closed.is_final
    assert request.is_final and request.retained_until is None
    return {"old_closed": old_closed, "old_open": old_open,
            "recent_closed": recent_closed, "request": request}


def exists(record) -> bool:
    return type(record).objects.filter(pk=record.pk).exists()


def test_only_closed_records_past_their_period_are_purged_and_audited(records):
    old_closed = records["old_closed"]
    counts = purge_expired()
    assert counts == periods(1)  # types without a period are out of scope
    assert not exists(old_closed)
    assert exists(records["old_open"]) and exists(records["recent_closed"])
    assert exists(records["request"])

    entry = AuditEntry.objects.get(object_type="changes.change",
                                   object_id=str(old_closed.pk), action=AuditAction.DELETE)
    assert entry.source == AuditSource.JOB and entry.actor_id is None
    assert entry.changes["number"] == [old_closed.number, None]
    summary = AuditEntry.objects.get(object_id="purge-expired")
    assert summary.action == AuditAction.DELETE
    assert summary.changes["deleted"] == periods(1)
    assert summary.id > entry.id
    assert audit.verify_chain().ok

    # A second run finds nothing and writes no further summary.
    assert purge_expired() == periods(0)
    assert AuditEntry.objects.filter(object_id="purge-expired").count() == 1


def test_dry_run_only_counts(records):
    entries = AuditEntry.objects.count()
    assert purge_expired(dry_run=True) == periods(1)
    assert all(exists(record) for record in records.values())
    assert AuditEntry.objects.count() == entries


def test_small_batches_purge_everything_expired(world):
    cw = build_change_world(world)
    old = [change_at(cw, years_ago(6), cancelled=True) for _ in range(3)]
    assert purge_expired(batch_size=1) == periods(3)
    assert not any(exists(change) for change in old)
    assert audit.verify_chain().ok


def test_the_period_follows_the_setting(records, settings):
    settings.ITSM_CHANGE_RETENTION_YEARS = 10
    assert purge_expired() == periods(0)
    assert exists(records["old_closed"])
    settings.ITSM_CHANGE_RETENTION_YEARS = 0  # no period: changes are out of scope
    assert purge_expired() == {"complaints.complaint": 0}
    assert exists(records["old_closed"])


def test_the_command_prints_the_counts(records):
    out = StringIO()
    call_command("purge-expired", "--dry-run", stdout=out)
    assert "changes.change: 1" in out.getvalue()
    assert exists(records["old_closed"])

    out = StringIO()
    call_command("purge-expired", stdout=out)
    assert "changes.change: 1" in out.getvalue()
    assert not exists(records["old_closed"])
    entry = AuditEntry.objects.get(object_type="changes.change", action=AuditAction.DELETE,
                                   object_id=str(records["old_closed"].pk))
    assert entry.source == AuditSource.CLI


def test_the_nightly_job_is_opt_in(records, settings):
    settings.ITSM_PURGE_EXPIRED = False
    assert purge_expired_records.call_local() is None
    assert exists(records["old_closed"])
    assert not AuditEntry.objects.filter(object_id="purge-expired").exists()

    settings.ITSM_PURGE_EXPIRED = True
    assert purge_expired_records.call_local() == periods(1)
    assert not exists(records["old_closed"])
    assert exists(records["old_open"]) and exists(records["recent_closed"])


@pytest.mark.parametrize(("today", "years", "last"), [
    (dt.date(2030, 6, 15), 5, dt.date(2025, 6, 15)),
    (dt.date(2029, 2, 28), 5, dt.date(2024, 2, 29)),  # kept until 28 February 2029
    (dt.date(2028, 2, 29), 5, dt.date(2023, 2, 28)),
    (dt.date(2028, 2, 29), 4, dt.date(2024, 2, 29)),
])
def test_the_sql_cutoff_matches_retained_until(today, years, last, monkeypatch):
    assert latest_expired_creation_date(today, years) == last
    # A record created on ``last`` is expired on ``today``; one created a day later is not.
    monkeypatch.setattr(ServiceRequest, "retention_years", years)
    record = ServiceRequest(created_at=timezone.make_aware(
        dt.datetime.combine(last, dt.time(12))))
    assert record.retained_until <= today
    record.created_at += dt.timedelta(days=1)
    assert record.retained_until > today
