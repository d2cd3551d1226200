"""The change lifecycle through the service layer: tiers, votes, quorum, emergency path,
freeze windows, conflicts and retention."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from itsm.changes import approvals, schedule
from itsm.changes.choices import ApprovalStatus, ChangeStatus, Stage
from itsm.changes.models import Change, FreezeWindow
from itsm.cmdb import services as cmdb_services
from itsm.core import services
from itsm.core.exceptions import RetentionError, WorkflowError
from itsm.core.models import AuditEntry

pytestmark = pytest.mark.django_db

ASSESS_HIGH = {"likelihood": 3, "impact": 3, "impact_business": "核心交易停机 30 分钟",
               "impact_technology": "数据库主备切换", "impact_security": "无",
               "impact_cost": "加班 2 人"}


def new_change(cw, *, actor=None, change_type="normal", **extra) -> Change:
    start, end = cw.window()
    data = {"organization": cw.world.orgs["P"], "requester": cw.world.users["engineer"],
            "title": "数据库版本升级", "description": "将核心数据库升级到 15.4",
            "change_type": change_type, "reason": "修复安全漏洞", "scope": "核心数据库",
            "implementation_plan": "1. 备份 2. 升级 3. 验证", "backout_plan": "恢复备份",
            "test_plan": "回归测试", "planned_start": start, "planned_end": end, **extra}
    return services.create_record(Change, actor=actor or cw.world.users["engineer"], data=data)


def submit_and_assess(cw, change: Change, assessment=ASSESS_HIGH) -> Change:
    change = services.transition_record(change, "submit", actor=cw.world.users["engineer"])
    return services.transition_record(change, "assess", actor=cw.users["chgmgr"],
                                      values=dict(assessment))


def test_cab_rejects_then_majority_approves(cw):
    change = submit_and_assess(cw, new_change(cw))
    assert change.status == ChangeStatus.APPROVAL
    assert (change.risk_level, change.scale) == ("high", "major")
    step = approvals.current_approval(change)
    assert step.stage == Stage.CAB and step.quorum == 2
    assert set(step.approvers.values_list("username", flat=True)) == {"cab1", "cab2", "cab3"}

    with pytest.raises(ValidationError):
        approvals.cast_vote(step, voter=cw.users["cab1"], decision="reject")  # no reason
    approvals.cast_vote(step, voter=cw.users["cab1"], decision="approve")
    approvals.cast_vote(step, voter=cw.users["cab2"], decision="reject", comment="回退方案不足")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVAL  # 1:1 with one vote left
    approvals.cast_vote(step, voter=cw.users["cab3"], decision="reject", comment="同意 cab2")
    change.refresh_from_db()
    assert change.status == ChangeStatus.DRAFT  # returned to the requester
    step.refresh_from_db()
    assert step.status == ApprovalStatus.REJECTED

    change = services.update_record(change, actor=cw.world.users["engineer"],
                                    changes={"backout_plan": "恢复备份并切回旧主库"})
    change = submit_and_assess(cw, change)
    step2 = approvals.current_approval(change)
    assert step2.round == 2
    approvals.cast_vote(step2, voter=cw.users["cab1"], decision="approve")
    with pytest.raises(PermissionDenied):
        approvals.cast_vote(step2, voter=cw.users["cab1"], decision="approve")  # twice
    with pytest.raises(PermissionDenied):
        approvals.cast_vote(step2, voter=cw.world.users["agent"], decision="approve")
    approvals.cast_vote(step2, voter=cw.users["cab2"], decision="approve")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED and change.approved_at
    actions = list(AuditEntry.objects.filter(object_type="changes.change",
                                             object_id=str(change.pk))
                   .values_list("changes__transition", flat=True))
    assert {"submit", "assess", "reject", "approve"} <= set(actions)


def test_particularly_major_needs_senior_management_after_cab(cw):
    change = submit_and_assess(cw, new_change(cw), {**ASSESS_HIGH, "likelihood": 4,
                                                     "impact": 4})
    assert change.scale == "particularly_major"
    cab = approvals.current_approval(change)
    for name in ("cab1", "cab2"):
        approvals.cast_vote(cab, voter=cw.users[name], decision="approve")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVAL
    senior = approvals.current_approval(change)
    assert senior.stage == Stage.SENIOR_MANAGEMENT
    approvals.cast_vote(senior, voter=cw.world.users["admin"], decision="approve")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def test_ordinary_change_goes_to_the_department_head(cw):
    change = submit_and_assess(cw, new_change(cw), {**ASSESS_HIGH, "likelihood": 1,
                                                     "impact": 1})
    step = approvals.current_approval(change)
    assert (change.risk_level, step.stage) == ("low", Stage.DEPARTMENT_HEAD)
    assert list(step.approvers.all()) == [cw.world.users["lead"]]
    approvals.cast_vote(step, voter=cw.world.users["lead"], decision="approve")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def test_emergency_change_is_implemented_before_cab_and_reviewed_after(cw):
    change = submit_and_assess(cw, new_change(cw, change_type="emergency"))
    step = approvals.current_approval(change)
    assert step.stage == Stage.EMERGENCY
    approvals.cast_vote(step, voter=cw.users["chgmgr"], decision="approve")
    manager, engineer = cw.users["chgmgr"], cw.world.users["engineer"]
    change = services.transition_record(Change.objects.get(pk=change.pk), "schedule",
                                        actor=manager)
    change = services.transition_record(change, "start", actor=engineer)
    change = services.transition_record(change, "complete", actor=engineer)
    retro = approvals.current_approval(change)
    assert retro.stage == Stage.RETROSPECTIVE
    change = services.transition_record(change, "verify", actor=engineer, values={
        "verification_function": "交易正常", "verification_performance": "TPS 正常",
        "verification_security": "漏洞已修复", "outcome": "success"})
    with pytest.raises(ValidationError) as error:
        services.transition_record(change, "close", actor=manager,
                                   values={"review_findings": "处置及时"})
    assert "review_findings" in error.value.message_dict
    for name in ("cab1", "cab2"):
        approvals.cast_vote(retro, voter=cw.users[name], decision="approve")
    change = services.transition_record(Change.objects.get(pk=change.pk), "close",
                                        actor=manager, values={"review_findings": "处置及时"})
    assert change.status == ChangeStatus.CLOSED


def test_freeze_blocks_scheduling_and_conflicts_are_found(cw):
    first = submit_and_assess(cw, new_change(cw))
    second = submit_and_assess(cw, new_change(cw, title="数据库参数调整"))
    for change in (first, second):
        cmdb_services.link_record_ci(change, cw.items["核心数据库"], actor=None)
    conflicts = schedule.conflicts_for(second)
    assert [c.change.pk for c in conflicts] == [first.pk]
    assert conflicts[0].items == ["核心数据库"]
    for name in ("cab1", "cab2"):
        approvals.cast_vote(approvals.current_approval(first), voter=cw.users[name],
                            decision="approve")
    start, end = cw.window()
    FreezeWindow.objects.create(provider=cw.world.orgs["P"], name="国庆保障期",
                                start=start - dt.timedelta(hours=1), end=end)
    with pytest.raises(ValidationError) as error:
        services.transition_record(Change.objects.get(pk=first.pk), "schedule",
                                   actor=cw.users["chgmgr"])
    assert "国庆保障期" in str(error.value)
    later = (start + dt.timedelta(days=2), end + dt.timedelta(days=2))
    change = services.transition_record(
        Change.objects.get(pk=first.pk), "schedule", actor=cw.users["chgmgr"],
        values={"planned_start": later[0], "planned_end": later[1]})
    assert change.status == ChangeStatus.SCHEDULED


def test_customer_and_other_board_cannot_vote(cw):
    change = submit_and_assess(cw, new_change(cw))
    step = approvals.current_approval(change)
    for user in (cw.world.users["custadmin_a"], cw.users["cab_q"]):
        with pytest.raises(PermissionDenied):
            approvals.cast_vote(step, voter=user, decision="approve")
        assert not Change.objects.visible_to(user).filter(pk=change.pk).exists()


def test_a_year_old_change_cannot_be_deleted(cw):
    with time_machine.travel(timezone.now() - dt.timedelta(days=366)):
        change = new_change(cw)
    with pytest.raises(RetentionError), transaction.atomic():
        services.delete_record(change, actor=cw.world.users["admin"])
    with pytest.raises(RetentionError), transaction.atomic():
        Change.objects.filter(pk=change.pk).delete()
    assert Change.objects.filter(pk=change.pk).exists()


def test_start_needs_a_schedule(cw):
    change = submit_and_assess(cw, new_change(cw))
    with pytest.raises(WorkflowError):
        services.transition_record(change, "start", actor=cw.world.users["engineer"])


def test_services_are_set_audited_and_scoped(cw):
    service, other = cw.services["pay"], cw.services["q"]
    change = new_change(cw, services=[service])
    assert list(change.services.all()) == [service]
    entry = AuditEntry.objects.filter(object_type="changes.change").latest("id")
    assert entry.changes["services"] == [[], [service.pk]]
    with pytest.raises(ValidationError) as error:
        services.update_record(change, actor=cw.world.users["engineer"],
                               changes={"services": [other]})
    assert "services" in error.value.message_dict
    assert list(change.services.all()) == [service]


def test_nobody_approves_by_transition_only_by_votes(cw):
    change = submit_and_assess(cw, new_change(cw))
    for user in (cw.users["chgmgr"], cw.world.users["admin"], cw.users["cab1"]):
        assert "approve" not in [t.name for t in change.workflow.available(change, user)]
        with pytest.raises(PermissionDenied):
            services.transition_record(change, "approve", actor=user)
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVAL


def test_board_closes_voting_on_the_votes_cast_once_quorate(cw):
    change = submit_and_assess(cw, new_change(cw))
    step = approvals.current_approval(change)
    approvals.cast_vote(step, voter=cw.users["cab1"], decision="approve")
    with pytest.raises(ValidationError):  # 1 of 2 votes needed for a quorum
        approvals.close_voting(step, actor=cw.users["chgmgr"])
    approvals.cast_vote(step, voter=cw.users["cab2"], decision="abstain")
    with pytest.raises(PermissionDenied):
        approvals.close_voting(step, actor=cw.users["cab3"])
    assert approvals.close_voting(step, actor=cw.users["chgmgr"]) == ApprovalStatus.APPROVED
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def test_approvers_and_requester_are_emailed(cw, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        change = submit_and_assess(cw, new_change(cw))
    asked = {m.to[0] for m in mailoutbox}
    assert asked == {"cab1@example.cn", "cab2@example.cn", "cab3@example.cn"}
    assert all(change.number in m.subject for m in mailoutbox)
    mailoutbox.clear()
    step = approvals.current_approval(change)
    with django_capture_on_commit_callbacks(execute=True):
        approvals.cast_vote(step, voter=cw.users["cab1"], decision="approve")
        approvals.cast_vote(step, voter=cw.users["cab2"], decision="approve")
    told = [m for m in mailoutbox if m.to == ["engineer@example.cn"]]
    assert len(told) == 1 and change.number in told[0].subject


def test_calendar_conflicts_take_the_same_queries_for_two_or_six_changes(cw):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries() -> tuple[int, int]:
        start, end = cw.window(days=0, hours=24 * 10)
        with CaptureQueriesContext(connection) as queries:
            entries, _freezes = schedule.calendar(Change.objects.all(),
                                                  FreezeWindow.objects.all(), start, end)
        return len(queries), sum(len(e.conflicts) for e in entries)

    def add(n: int) -> None:
        for _ in range(n):
            change = submit_and_assess(cw, new_change(cw))
            cmdb_services.link_record_ci(change, cw.items["核心数据库"], actor=None)

    add(2)
    few, few_conflicts = count_queries()
    add(4)
    many, many_conflicts = count_queries()
    assert (few_conflicts, many_conflicts) == (2, 30)  # every pair, both ways
    assert many == few
