"""The change pages (CHG-1..6): detail panels, votes, calendar, CAB meetings, master data,
and who may see and do what on them."""

# covers: CHG-1, CHG-2, CHG-3, CHG-4, CHG-6

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from itsm.changes import approvals
from itsm.changes.choices import (
    ApprovalStatus,
    ChangeStatus,
    MeetingDecision,
    Stage,
    TaskStatus,
    VoteDecision,
)
from itsm.changes.models import CabMeeting, Change, ChangeTemplate, FreezeWindow, Vote
from itsm.cmdb import services as cmdb_services
from itsm.core import services
from itsm.problems.models import Problem

from .test_approvals import new_change, submit_and_assess

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def zh(message: str, **params) -> str:
    """``message`` as the zh-Hans UI shows it (whether translated yet or not)."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
    return text % params if params else text


def label(choice) -> str:
    with translation.override("zh-hans"):
        return str(choice.label)


def detail(cw, change: Change, username: str = "chgmgr"):
    return client(cw, username).get(reverse("changes:change-detail", args=[change.pk]))


def client(cw, username: str):
    users = {**cw.world.users, **cw.users}
    from django.test import Client

    c = Client()
    c.force_login(users[username])
    return c


def vote(cw, change: Change, username: str, decision: str, comment: str = ""):
    step = approvals.current_approval(change)
    return client(cw, username).post(
        reverse("changes:change-vote", args=[change.pk, step.pk]),
        {"decision": decision, "comment": comment})


def day_cell(html: str, day: dt.date) -> str:
    """The calendar cell of ``day``."""
    match = re.search(rf'<td class="calendar-day[^"]*" data-date="{day.isoformat()}".*?</td>',
                      html, re.S)
    assert match, f"no cell for {day}"
    return match.group(0)


# --- The detail page -----------------------------------------------------------------------


def test_detail_page_shows_risk_approvals_schedule_and_items(cw):
    change = submit_and_assess(cw, new_change(cw))
    cmdb_services.link_record_ci(change, cw.items["核心数据库"], actor=None)
    response = detail(cw, change)
    assert response.status_code == 200
    html = page(response)
    assert "数据库版本升级" in html and change.number in html
    # risk matrix: 4 × 4 cells, the change's one (likelihood 3 × impact 3) highlighted
    assert html.count("data-likelihood=") == 16
    current = re.findall(r'data-likelihood="(\d)" data-impact="(\d)" data-current="true"', html)
    assert current == [("3", "3")]
    assert 'id="risk-level" data-level="high"' in html
    assert 'data-scale="major"' in html
    # approvals: the CAB step with its approvers and an empty tally
    assert 'data-stage="cab" data-status="pending"' in html
    assert "IT服务管理委员会" in html
    assert 'data-approve="0" data-reject="0" data-abstain="0"' in html
    for name in ("cab1", "cab2", "cab3"):
        assert name in html
    assert 'id="vote-form"' not in html  # the change manager is no approver
    assert "核心数据库" in html and 'id="change-items"' in html
    assert 'id="schedule-clear"' in html
    FreezeWindow.objects.create(provider=cw.world.orgs["P"], name="年终结算保障期",
                                start=change.planned_start - dt.timedelta(hours=1),
                                end=change.planned_end)
    html = page(detail(cw, change))
    assert 'id="schedule-freezes"' in html and "年终结算保障期" in html
    assert 'id="schedule-clear"' not in html
    # the approver sees the vote form
    assert 'id="vote-form"' in page(detail(cw, change, "cab1"))


def test_timeline_describes_votes_steps_tasks_and_meetings(cw):
    change = submit_and_assess(cw, new_change(cw))
    vote(cw, change, "cab1", "approve")
    vote(cw, change, "cab2", "reject", "回退方案不足")
    vote(cw, change, "cab3", "reject", "窗口期太短")
    html = page(detail(cw, change, "engineer"))
    timeline = html[html.index('id="timeline"'):]
    cab = label(Stage.CAB)
    assert zh("voted “%(decision)s” (%(stage)s, round %(round)s)",
              decision=label(VoteDecision.APPROVE), stage=cab, round=1) in timeline
    assert zh("voted “%(decision)s” (%(stage)s, round %(round)s): %(reason)s",
              decision=label(VoteDecision.REJECT), stage=cab, round=1,
              reason="回退方案不足") in timeline
    assert zh("approval opened: %(stage)s, round %(round)s", stage=cab, round=1) in timeline
    assert zh("%(stage)s (round %(round)s) decided: %(outcome)s", stage=cab, round=1,
              outcome=label(ApprovalStatus.REJECTED)) in timeline


def test_vote_form_records_votes_and_the_majority_approves(cw):
    change = submit_and_assess(cw, new_change(cw))
    response = vote(cw, change, "cab1", "approve", "方案完整")
    assert response.status_code == 302
    assert list(Vote.objects.values_list("voter__username", "decision", "comment")) == [
        ("cab1", "approve", "方案完整")]
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVAL
    html = page(detail(cw, change, "cab1"))
    assert 'id="vote-form"' not in html  # voted already
    assert 'data-voter="cab1" data-decision="approve"' in html and "方案完整" in html
    assert vote(cw, change, "cab2", "approve").status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    # voting again on the decided step: not open any more (409), nothing stored
    step = change.approvals.get()
    response = client(cw, "cab3").post(reverse("changes:change-vote", args=[change.pk, step.pk]),
                                       {"decision": "approve"})
    assert response.status_code == 409
    assert Vote.objects.count() == 2


def test_rejection_without_reason_is_a_form_error(cw):
    change = submit_and_assess(cw, new_change(cw))
    response = vote(cw, change, "cab1", "reject", "  ")
    assert response.status_code == 400
    html = page(response)
    assert zh("Please give a reason for rejecting.") in html
    assert 'id="vote-form"' in html
    assert not Vote.objects.exists()
    response = vote(cw, change, "cab1", "maybe")
    assert response.status_code == 400 and not Vote.objects.exists()


@pytest.mark.parametrize("username", ["agent", "auditor", "chgmgr"])
def test_non_approver_vote_is_403(cw, username):
    change = submit_and_assess(cw, new_change(cw))
    assert vote(cw, change, username, "approve").status_code == 403
    assert vote(cw, change, username, "reject").status_code == 403
    assert not Vote.objects.exists()


def test_chair_closes_voting_once_the_quorum_has_voted(cw):
    change = submit_and_assess(cw, new_change(cw))
    vote(cw, change, "cab1", "approve")
    assert 'id="close-voting"' not in page(detail(cw, change))  # quorum not reached
    vote(cw, change, "cab2", "abstain")
    assert 'id="close-voting"' not in page(detail(cw, change, "cab3"))  # not the chair
    assert 'id="close-voting"' in page(detail(cw, change))
    step = approvals.current_approval(change)
    response = client(cw, "cab3").post(
        reverse("changes:change-close-voting", args=[change.pk, step.pk]))
    assert response.status_code == 403
    response = client(cw, "chgmgr").post(
        reverse("changes:change-close-voting", args=[change.pk, step.pk]))
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED


def test_items_tasks_and_plan_uses_from_the_panels(cw):
    from itsm.security import services as security_services

    change = submit_and_assess(cw, new_change(cw))
    manager = client(cw, "chgmgr")
    url = reverse("changes:change-item-link", args=[change.pk])
    response = manager.post(url, {"ci": "不存在的服务器"})
    assert response.status_code == 400 and "不存在的服务器" in page(response)
    assert manager.post(url, {"ci": "核心数据库"}).status_code == 302
    assert manager.post(url, {"ci": str(cw.items["应用服务器"].pk)}).status_code == 302
    response = manager.post(url, {"ci": "核心数据库"})
    assert response.status_code == 400  # linked already
    assert [i.name for i in cmdb_services.linked_items(change, cw.users["chgmgr"])
            .order_by("name")] == sorted(["核心数据库", "应用服务器"])
    app = cw.items["应用服务器"]
    assert manager.post(reverse("changes:change-item-unlink",
                                args=[change.pk, app.pk])).status_code == 302
    assert client(cw, "auditor").post(url, {"ci": "应用服务器"}).status_code == 403

    response = manager.post(reverse("changes:change-task-add", args=[change.pk]), {
        "task-title": "备份数据库", "task-assignee": cw.world.users["engineer"].pk,
        "task-planned_start": "2030-01-01T22:00", "task-planned_end": "2030-01-01T23:00"})
    assert response.status_code == 302
    task = change.tasks.get()
    assert task.assignee == cw.world.users["engineer"]
    assert timezone.localtime(task.planned_start).hour == 22
    response = manager.post(reverse("changes:change-task-add", args=[change.pk]),
                            {"task-title": ""})
    assert response.status_code == 400 and change.tasks.count() == 1
    response = client(cw, "engineer").post(
        reverse("changes:change-task-update", args=[change.pk, task.pk]),
        {"status": "done", "notes": "备份完成"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.started_at and task.finished_at
    html = page(detail(cw, change))
    assert zh("task “%(task)s”: %(status)s", task="备份数据库",
              status=label(TaskStatus.DONE)) in html
    assert "备份完成" in html

    plan = security_services.save_plan(None, actor=None, data={
        "provider": cw.world.orgs["P"], "title": "数据库故障应急预案"})
    plan_url = reverse("changes:change-plan-use", args=[change.pk])
    assert manager.post(plan_url, {"plan": plan.pk}).status_code == 403  # no security role
    response = client(cw, "lead").post(plan_url, {"plan": plan.pk, "note": "按预案切换"})
    assert response.status_code == 302
    html = page(detail(cw, change))
    assert "数据库故障应急预案" in html and "按预案切换" in html
    response = client(cw, "lead").post(plan_url, {"plan": plan.pk})
    assert response.status_code == 400  # recorded already


def test_problem_names_its_fixing_change_and_the_change_lists_it(cw):
    change = new_change(cw)
    problem = services.create_record(Problem, actor=cw.world.users["agent"], data={
        "organization": cw.world.orgs["A"], "requester": cw.world.users["requester_a"],
        "title": "数据库连接池耗尽", "description": "高峰期连接超时"})
    agent = client(cw, "agent")
    form = page(agent.get(reverse("problems:problem-edit", args=[problem.pk])))
    assert 'name="fix_change"' in form and change.number in form
    response = agent.post(reverse("problems:problem-edit", args=[problem.pk]), {
        "requester": cw.world.users["requester_a"].pk, "title": problem.title,
        "description": problem.description, "priority": problem.priority,
        "fix_change": change.pk, "version": problem.version})
    assert response.status_code == 302, page(response)[:3000]
    problem.refresh_from_db()
    assert problem.fix_change == change
    html = page(agent.get(reverse("problems:problem-detail", args=[problem.pk])))
    assert f'href="{change.get_absolute_url()}" id="fix-change-link"' in html
    html = page(detail(cw, change, "agent"))
    section = html[html.index('id="change-problems"'):]
    assert problem.number in section and "数据库连接池耗尽" in section


# --- Access ------------------------------------------------------------------------------


def _meeting(cw) -> CabMeeting:
    from itsm.changes import services as change_services

    return change_services.save_meeting(None, actor=cw.users["chgmgr"], data={
        "board": cw.board, "title": "第 12 次变更评审会", "scheduled_at": timezone.now()})


@pytest.mark.parametrize("username", ["requester_a", "custadmin_a"])
def test_customers_get_404_on_every_change_page(cw, username):
    change = submit_and_assess(cw, new_change(cw))
    meeting = _meeting(cw)
    step = approvals.current_approval(change)
    c = client(cw, username)
    for url in (reverse("changes:change-detail", args=[change.pk]),
                reverse("changes:calendar"), reverse("changes:meeting-list"),
                reverse("changes:meeting-detail", args=[meeting.pk]),
                reverse("changes:board-list"), reverse("changes:template-list"),
                reverse("changes:freeze-list"), reverse("changes:meeting-create")):
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("changes:change-vote", args=[change.pk, step.pk]),
                  {"decision": "approve"}).status_code == 404
    assert not Vote.objects.exists()


def test_other_providers_cab_member_gets_404(cw):
    change = submit_and_assess(cw, new_change(cw))
    meeting = _meeting(cw)
    step = approvals.current_approval(change)
    item = meeting.items.get()
    c = client(cw, "cab_q")
    assert c.get(reverse("changes:change-detail", args=[change.pk])).status_code == 404
    assert c.post(reverse("changes:change-vote", args=[change.pk, step.pk]),
                  {"decision": "approve"}).status_code == 404
    assert c.get(reverse("changes:meeting-detail", args=[meeting.pk])).status_code == 404
    assert c.post(reverse("changes:meeting-decision", args=[meeting.pk, item.pk]),
                  {f"item-{item.pk}-decision": "approved"}).status_code == 404
    assert c.get(reverse("changes:board-detail", args=[cw.board.pk])).status_code == 404
    calendar = c.get(reverse("changes:calendar"), {"date": change.planned_start.date()})
    assert calendar.status_code == 200 and change.number not in page(calendar)
    meetings = page(c.get(reverse("changes:meeting-list")))
    assert "第 12 次变更评审会" not in meetings
    assert not Vote.objects.exists()
    item.refresh_from_db()
    assert item.decision == ""


# --- The calendar ---------------------------------------------------------------------------


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_calendar_shows_changes_on_their_day_with_conflicts_and_freezes(cw):
    day = dt.date(2030, 6, 12)
    window = {"planned_start": at(day, 10), "planned_end": at(day, 12)}
    first = submit_and_assess(cw, new_change(cw, **window))
    second = submit_and_assess(cw, new_change(cw, title="数据库参数调整", **window))
    alone = new_change(cw, title="网络设备巡检", planned_start=at(day, 20),
                       planned_end=at(day + dt.timedelta(days=8), 2))
    for change in (first, second):
        cmdb_services.link_record_ci(change, cw.items["核心数据库"], actor=None)
    FreezeWindow.objects.create(provider=cw.world.orgs["P"], name="国庆保障期",
                                start=at(day - dt.timedelta(days=2), 0),
                                end=at(day - dt.timedelta(days=1), 23))
    response = client(cw, "agent").get(reverse("changes:calendar"), {"date": "2030-06-12"})
    assert response.status_code == 200
    html = page(response)
    assert html.count('class="calendar-day') == 35  # 2030-06-01 is a Saturday: 5 weeks
    cell = day_cell(html, day)
    assert first.number in cell and second.number in cell and "数据库参数调整" in cell
    assert cell.count("conflict-badge") == 2
    assert 'id="calendar-conflicts"' in html
    for frozen in (dt.date(2030, 6, 10), dt.date(2030, 6, 11)):
        assert "国庆保障期" in day_cell(html, frozen) and " frozen" in day_cell(html, frozen)
    assert " frozen" not in cell and "国庆保障期" not in cell
    # a change spanning days shows on each of them, without a conflict
    for spanned in (day, dt.date(2030, 6, 16), dt.date(2030, 6, 20)):
        assert alone.number in day_cell(html, spanned)
    assert alone.number not in day_cell(html, dt.date(2030, 6, 21))
    assert "conflict-badge" not in day_cell(html, dt.date(2030, 6, 16))
    assert "date=2030-05-01" in html and "date=2030-07-01" in html  # previous / next

    week = page(client(cw, "agent").get(reverse("changes:calendar"),
                                        {"view": "week", "date": "2030-06-12"}))
    assert week.count('class="calendar-day') == 7
    assert 'data-date="2030-06-10"' in week and 'data-date="2030-06-16"' in week
    assert first.number in day_cell(week, day) and "conflict-badge" in day_cell(week, day)
    assert "date=2030-06-05" in week and "date=2030-06-19" in week

    # the detail page warns about the conflict and names the shared item
    html = page(detail(cw, second))
    warning = html[html.index('id="schedule-conflicts"'):]
    warning = warning[:warning.index("</div>")]
    assert first.number in warning and "核心数据库" in warning
    assert alone.number not in warning


@pytest.mark.parametrize("query", [{"date": "2026-13-45"}, {"date": "yesterday"},
                                   {"view": "year"}, {"date": "9999-12-31"},
                                   {"date": "0001-01-01", "view": "week"}])
def test_calendar_refuses_bad_parameters_cleanly(cw, query):
    response = client(cw, "agent").get(reverse("changes:calendar"), query)
    assert response.status_code == 400
    html = page(response)
    assert 'class="alert alert-danger"' in html and 'id="change-calendar"' in html


@pytest.mark.parametrize("query", [{}, {"date": "2024-02-29"},
                                   {"date": "2024-12-31", "view": "week"},
                                   {"date": "2025-01-01", "view": "month"}])
def test_calendar_pages_render(cw, query):
    response = client(cw, "auditor").get(reverse("changes:calendar"), query)
    assert response.status_code == 200
    assert 'id="change-calendar"' in page(response)


# --- CAB meetings -------------------------------------------------------------------------


def test_meeting_create_fills_the_agenda_and_decisions_reach_the_timeline(cw):
    waiting = submit_and_assess(cw, new_change(cw))
    new_change(cw, title="未提交的变更")  # a draft: not on the agenda
    manager = client(cw, "chgmgr")
    assert client(cw, "cab1").get(reverse("changes:meeting-create")).status_code == 403
    assert manager.get(reverse("changes:meeting-create")).status_code == 200
    response = manager.post(reverse("changes:meeting-create"), {
        "board": cw.board.pk, "title": "第 12 次变更评审会",
        "scheduled_at": "2030-03-02T14:30", "location": "三楼会议室"})
    assert response.status_code == 302
    meeting = CabMeeting.objects.get()
    assert [i.change for i in meeting.items.all()] == [waiting]
    assert timezone.localtime(meeting.scheduled_at).strftime("%H:%M") == "14:30"
    response = manager.post(reverse("changes:meeting-create"), {"board": cw.board.pk})
    assert response.status_code == 400 and CabMeeting.objects.count() == 1

    html = page(client(cw, "cab2").get(reverse("changes:meeting-detail", args=[meeting.pk])))
    assert "第 12 次变更评审会" in html and waiting.number in html and "三楼会议室" in html
    assert 'data-cast="0" data-eligible="3" data-quorum="2"' in html
    assert "decision-form" not in html  # members read, the chair writes

    item = meeting.items.get()
    url = reverse("changes:meeting-decision", args=[meeting.pk, item.pk])
    assert client(cw, "cab2").post(url, {f"item-{item.pk}-decision": "approved"}
                                   ).status_code == 403
    response = manager.post(url, {f"item-{item.pk}-decision": "bogus"})
    assert response.status_code == 400
    response = manager.post(url, {f"item-{item.pk}-decision": "deferred",
                                  f"item-{item.pk}-notes": "补充回退演练后再议"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.decision == "deferred"
    assert waiting.timeline.filter(data__meeting_decision="deferred").exists()
    html = page(detail(cw, waiting, "engineer"))
    assert zh("CAB meeting “%(meeting)s”: %(decision)s (%(reason)s)",
              meeting="第 12 次变更评审会", decision=label(MeetingDecision.DEFERRED),
              reason="补充回退演练后再议") in html

    other = new_change(cw, title="临时补丁")
    response = manager.post(reverse("changes:meeting-item-add", args=[meeting.pk]),
                            {"change": other.pk})
    assert response.status_code == 302 and meeting.items.count() == 2
    response = manager.post(reverse("changes:meeting-edit", args=[meeting.pk]), {
        "title": meeting.title, "scheduled_at": "2030-03-02T14:30", "location": "三楼会议室",
        "status": "held", "attendees": [cw.users["cab1"].pk, cw.users["cab2"].pk],
        "minutes": "会议纪要：两项变更已讨论。"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.attendees.count() == 2
    assert "会议纪要" in page(manager.get(reverse("changes:meeting-detail", args=[meeting.pk])))


# --- Master data and the change form ------------------------------------------------------


def test_staff_read_master_data_and_change_managers_write_it(cw):
    FreezeWindow.objects.create(provider=cw.world.orgs["P"], name="春节保障期",
                                start=timezone.now(), end=timezone.now() + dt.timedelta(days=3))
    agent = client(cw, "agent")
    for name, text in (("board-list", "IT服务管理委员会"), ("freeze-list", "春节保障期"),
                       ("template-list", ""), ("meeting-list", "")):
        response = agent.get(reverse(f"changes:{name}"))
        assert response.status_code == 200 and text in page(response), name
    assert agent.get(reverse("changes:board-detail", args=[cw.board.pk])).status_code == 200
    for name in ("board-create", "template-create", "freeze-create"):
        assert agent.get(reverse(f"changes:{name}")).status_code == 403
        assert agent.post(reverse(f"changes:{name}"), {"name": "x"}).status_code == 403

    manager = client(cw, "chgmgr")
    response = manager.post(reverse("changes:freeze-create"), {
        "name": "双十一保障期", "start": "2030-11-10T00:00", "end": "2030-11-09T00:00"})
    assert response.status_code == 400 and not FreezeWindow.objects.filter(
        name="双十一保障期").exists()
    response = manager.post(reverse("changes:freeze-create"), {
        "name": "双十一保障期", "start": "2030-11-10T00:00", "end": "2030-11-12T00:00",
        "services": [cw.services["pay"].pk]})
    assert response.status_code == 302
    window = FreezeWindow.objects.get(name="双十一保障期")
    assert list(window.services.all()) == [cw.services["pay"]]
    response = manager.post(reverse("changes:template-create"), {
        "name": "操作系统补丁", "implementation_plan": "按月度补丁流程实施",
        "backout_plan": "卸载补丁", "is_active": "on"})
    assert response.status_code == 302
    template = ChangeTemplate.objects.get(name="操作系统补丁")
    assert template.approved_by == cw.users["chgmgr"]
    response = manager.post(reverse("changes:board-edit", args=[cw.board.pk]), {
        "name": cw.board.name, "chair": cw.users["chgmgr"].pk,
        "members": [cw.users["cab1"].pk, cw.users["cab2"].pk], "quorum": 2,
        "is_default": "on", "is_active": "on"})
    assert response.status_code == 302
    assert cw.board.members.count() == 2
    response = manager.post(reverse("changes:board-create"), {
        "name": "项目变更控制委员会", "members": [cw.world.users["requester_a"].pk]})
    assert response.status_code == 400  # a customer is no board member

    assert agent.post(reverse("changes:freeze-delete", args=[window.pk])).status_code == 403
    assert manager.post(reverse("changes:freeze-delete", args=[window.pk])).status_code == 302
    assert not FreezeWindow.objects.filter(pk=window.pk).exists()
    _meeting(cw)  # the board is in use: refused, the list says so
    response = manager.post(reverse("changes:board-delete", args=[cw.board.pk]))
    assert response.status_code == 409 and 'id="boards"' in page(response)
    assert client(cw, "cab_q").post(reverse("changes:board-delete", args=[cw.board.pk])
                                    ).status_code == 404
    assert client(cw, "cab_q").get(reverse("changes:board-edit", args=[cw.board.pk])
                                   ).status_code == 404


def test_change_form_uses_datetime_inputs_services_and_templates(cw):
    engineer = client(cw, "engineer")
    form = page(engineer.get(reverse("changes:change-create")))
    assert 'type="datetime-local" name="planned_start"' in form
    assert 'name="services"' in form and "multiple" in form
    response = engineer.post(reverse("changes:change-create"), {
        "organization": cw.world.orgs["P"].pk, "requester": cw.world.users["engineer"].pk,
        "title": "支付服务扩容", "change_type": "normal", "description": "增加两台应用服务器",
        "reason": "业务量增长", "services": [cw.services["pay"].pk],
        "implementation_plan": "扩容", "backout_plan": "缩容",
        "planned_start": "2030-05-01T22:00", "planned_end": "2030-05-02T02:00",
        "priority": 3})
    assert response.status_code == 302, page(response)[:3000]
    change = Change.objects.get(title="支付服务扩容")
    assert list(change.services.all()) == [cw.services["pay"]]
    assert timezone.localtime(change.planned_start).strftime("%Y-%m-%d %H:%M") == \
        "2030-05-01 22:00"
    template = ChangeTemplate.objects.create(
        provider=cw.world.orgs["P"], name="证书更新", implementation_plan="替换证书",
        backout_plan="恢复旧证书")
    response = engineer.post(reverse("changes:change-create"), {
        "organization": cw.world.orgs["P"].pk, "requester": cw.world.users["engineer"].pk,
        "title": "网站证书更新", "change_type": "standard", "template": template.pk,
        "reason": "证书到期", "planned_start": "2030-05-03T22:00",
        "planned_end": "2030-05-03T23:00", "priority": 3})
    assert response.status_code == 302, page(response)[:3000]
    standard = Change.objects.get(title="网站证书更新")
    assert (standard.implementation_plan, standard.backout_plan) == ("替换证书", "恢复旧证书")
    response = engineer.post(reverse("changes:change-create"), {
        "organization": cw.world.orgs["P"].pk, "title": "窗口错误", "change_type": "normal",
        "planned_start": "2030-05-03T22:00", "planned_end": "2030-05-03T21:00",
        "priority": 3})
    assert response.status_code == 400 and not Change.objects.filter(title="窗口错误").exists()


def test_navigation_offers_change_pages_to_staff_only(cw):
    html = page(client(cw, "agent").get(reverse("changes:change-list")))
    for name in ("nav-changes", "nav-change-calendar", "nav-cab-meetings"):
        assert f'id="{name}"' in html
    html = page(client(cw, "requester_a").get(reverse("servicedesk:request-list")))
    assert 'id="nav-changes"' not in html
