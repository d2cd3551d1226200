"""The change-management REST API: the acceptance journey of a normal change, the
emergency path, retention, votes, conflicts and the calendar, tasks, boards, templates,
freeze windows and CAB meetings, the problem's fixing change, and who may do what."""

# covers: CHG-1, CHG-2, CHG-3, CHG-4, CHG-5, CHG-6

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from itsm.changes.models import CabMeeting, Change, ChangeBoard, FreezeWindow, Vote
from itsm.core import services as core_services
from itsm.core.models import AuditEntry
from itsm.problems.models import Problem

pytestmark = pytest.mark.django_db

ASSESS_HIGH = {"likelihood": 3, "impact": 3, "impact_business": "核心交易停机 30 分钟",
               "impact_technology": "数据库主备切换", "impact_security": "无",
               "impact_cost": "加班 2 人"}
VERIFIED = {"verification_function": "交易正常", "verification_performance": "TPS 正常",
            "verification_security": "漏洞已修复", "outcome": "success"}


def person(cw, username: str):
    return cw.users.get(username) or cw.world.users[username]


def api(cw, username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(person(cw, username))
    return client


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def change_body(cw, *, title: str = "数据库版本升级", window=None, **extra) -> dict:
    start, end = window or cw.window()
    return {"organization": cw.world.orgs["P"].pk, "requester": person(cw, "engineer").pk,
            "title": title, "description": "将核心数据库升级到 15.4",
            "change_type": "normal", "reason": "修复安全漏洞", "scope": "核心数据库",
            "implementation_plan": "1. 备份 2. 升级 3. 验证", "backout_plan": "恢复备份",
            "test_plan": "回归测试", "planned_start": iso(start), "planned_end": iso(end),
            **extra}


def create(cw, username: str = "engineer", **extra) -> dict:
    response = api(cw, username).post(reverse("api:change-list"), change_body(cw, **extra),
                                      format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def transition(client: APIClient, pk: int, name: str, values: dict | None = None,
               comment: str = ""):
    return client.post(reverse("api:change-transition", args=[pk]),
                       {"transition": name, "values": values or {}, "comment": comment},
                       format="json")


def step(cw, username: str, pk: int, name: str, values: dict | None = None) -> dict:
    response = transition(api(cw, username), pk, name, values)
    assert response.status_code == 200, (name, response.json())
    return response.json()


def vote(cw, username: str, pk: int, decision: str, comment: str = ""):
    return api(cw, username).post(reverse("api:change-vote", args=[pk]),
                                  {"decision": decision, "comment": comment}, format="json")


def submit_and_assess(cw, pk: int) -> dict:
    step(cw, "engineer", pk, "submit")
    return step(cw, "chgmgr", pk, "assess", ASSESS_HIGH)


def approve_by_cab(cw, pk: int) -> None:
    for name in ("cab1", "cab2"):
        assert vote(cw, name, pk, "approve").status_code == 201


# --- The acceptance journey ----------------------------------------------------------------


def test_acceptance_journey_of_a_normal_change(cw):
    engineer, manager = api(cw, "engineer"), api(cw, "chgmgr")
    database = cw.items["核心数据库"]
    change = create(cw, services=[cw.services["pay"].pk])
    pk = change["id"]
    assert change["status"] == "draft" and change["services"] == [cw.services["pay"].pk]
    response = engineer.post(reverse("api:change-cis", args=[pk]), {"ci": database.pk},
                             format="json")
    assert response.status_code == 201, response.json()
    assert [ci["name"] for ci in response.json()] == ["核心数据库"]

    assert step(cw, "engineer", pk, "submit")["status"] == "assessment"
    assessed = step(cw, "chgmgr", pk, "assess", ASSESS_HIGH)
    assert (assessed["status"], assessed["risk_level"], assessed["scale"]) == (
        "approval", "high", "major")

    # Round 1: the CAB (quorum 2 of 3) rejects by majority.
    steps = engineer.get(reverse("api:change-approvals", args=[pk])).json()
    assert len(steps) == 1
    cab = steps[0]
    assert (cab["round"], cab["stage"], cab["status"], cab["quorum"]) == (1, "cab", "pending", 2)
    assert cab["board_name"] == "IT服务管理委员会" and cab["stage_label"]
    assert {a["name"] for a in cab["approvers"]} == {"cab1", "cab2", "cab3"}
    assert cab["may_vote"] is False  # the engineer is no approver
    assert api(cw, "cab1").get(reverse("api:change-approvals", args=[pk])).json()[0][
        "may_vote"] is True
    response = vote(cw, "cab1", pk, "approve")
    assert response.status_code == 201, response.json()
    assert response.json()["tally"] == {"approve": 1, "reject": 0, "abstain": 0, "cast": 1,
                                        "eligible": 3, "quorum": 2}
    assert response.json()["may_vote"] is False  # voted already
    response = vote(cw, "cab2", pk, "reject")
    assert response.status_code == 400 and "comment" in response.json()
    response = vote(cw, "cab2", pk, "reject", "回退方案不足")
    assert response.status_code == 201 and response.json()["change_status"] == "approval"
    response = vote(cw, "cab3", pk, "reject", "同意 cab2 的意见")
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["change_status"]) == ("rejected",
                                                                             "draft")
    assert [(v["voter_name"], v["decision"]) for v in response.json()["votes"]] == [
        ("cab1", "approve"), ("cab2", "reject"), ("cab3", "reject")]
    assert response.json()["votes"][1]["comment"] == "回退方案不足"

    # Back to the requester: edit, resubmit, reassess; round 2 approves by majority.
    response = engineer.patch(reverse("api:change-detail", args=[pk]),
                              {"backout_plan": "恢复备份并切回旧主库"}, format="json")
    assert response.status_code == 200, response.json()
    assert submit_and_assess(cw, pk)["status"] == "approval"
    response = vote(cw, "cab1", pk, "approve")
    assert response.json()["round"] == 2 and response.json()["change_status"] == "approval"
    response = vote(cw, "cab2", pk, "approve")
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["change_status"]) == ("approved",
                                                                             "approved")
    steps = engineer.get(reverse("api:change-approvals", args=[pk])).json()
    assert [(s["round"], s["status"]) for s in steps] == [(1, "rejected"), (2, "approved")]

    # A second change on the same CI in an overlapping window conflicts.
    start, end = cw.window()
    other = create(cw, title="数据库参数调整",
                   window=(start + dt.timedelta(hours=1), end + dt.timedelta(hours=1)))
    engineer.post(reverse("api:change-cis", args=[other["id"]]), {"ci": database.pk},
                  format="json")
    step(cw, "engineer", other["id"], "submit")
    response = manager.get(reverse("api:change-conflicts", args=[pk]))
    assert response.status_code == 200
    conflicts = response.json()["conflicts"]
    assert [(c["number"], c["items"], c["status"]) for c in conflicts] == [
        (other["number"], ["核心数据库"], "assessment")]
    assert response.json()["freezes"] == []
    response = manager.get(reverse("api:change-calendar"), {
        "start": iso(start - dt.timedelta(days=1)), "end": iso(end + dt.timedelta(days=1))})
    assert response.status_code == 200, response.json()
    entries = {e["number"]: e for e in response.json()["changes"]}
    assert set(entries) == {change["number"], other["number"]}
    assert [c["number"] for c in entries[change["number"]]["conflicts"]] == [other["number"]]
    assert [c["number"] for c in entries[other["number"]]["conflicts"]] == [change["number"]]

    # Schedule, implement, verify, close after the review.
    assert step(cw, "chgmgr", pk, "schedule")["status"] == "scheduled"
    assert step(cw, "engineer", pk, "start")["actual_start"]
    assert step(cw, "engineer", pk, "complete")["status"] == "verification"
    assert step(cw, "engineer", pk, "verify", VERIFIED)["status"] == "review"
    closed = step(cw, "chgmgr", pk, "close", {"review_findings": "按计划完成，无业务影响"})
    assert closed["status"] == "closed" and closed["closed_at"]

    timeline = engineer.get(reverse("api:change-timeline", args=[pk])).json()
    transitions = [e["data"]["transition"] for e in timeline if e["kind"] == "transitioned"]
    assert transitions == ["submit", "assess", "reject", "submit", "assess", "approve",
                           "schedule", "start", "complete", "verify", "close"]
    votes = [(e["actor_name"], e["data"]["vote"], e["data"]["round"])
             for e in timeline if "vote" in e["data"]]
    assert votes == [("cab1", "approve", 1), ("cab2", "reject", 1), ("cab3", "reject", 1),
                     ("cab1", "approve", 2), ("cab2", "approve", 2)]
    decided = [(e["data"]["round"], e["data"]["outcome"]) for e in timeline
               if "approval_decided" in e["data"]]
    assert decided == [(1, "rejected"), (2, "approved")]

    audited = list(AuditEntry.objects.filter(object_type="changes.change", object_id=str(pk),
                                             action="transition").order_by("id")
                   .values_list("changes__transition", flat=True))
    assert audited == transitions
    vote_log = AuditEntry.objects.filter(object_type="changes.vote",
                                         changes__change=change["number"]).order_by("id")
    assert [(e.actor_name, e.changes["decision"]) for e in vote_log] == [
        ("cab1", "approve"), ("cab2", "reject"), ("cab3", "reject"), ("cab1", "approve"),
        ("cab2", "approve")]
    assert {e.organization_id for e in vote_log} == {cw.world.orgs["P"].pk}


def test_emergency_change_is_implemented_before_the_cab_reviews_it(cw):
    pk = create(cw, change_type="emergency")["id"]
    assert submit_and_assess(cw, pk)["status"] == "approval"
    steps = api(cw, "chgmgr").get(reverse("api:change-approvals", args=[pk])).json()
    assert [(s["stage"], [a["name"] for a in s["approvers"]]) for s in steps] == [
        ("emergency", ["chgmgr"])]
    assert vote(cw, "cab1", pk, "approve").status_code == 403  # not the emergency approver
    response = vote(cw, "chgmgr", pk, "approve")
    assert response.status_code == 201 and response.json()["change_status"] == "approved"
    step(cw, "chgmgr", pk, "schedule")
    step(cw, "engineer", pk, "start")
    assert step(cw, "engineer", pk, "complete")["status"] == "verification"
    assert not Vote.objects.filter(approval__change_id=pk,
                                   voter__in=[cw.users[n] for n in ("cab1", "cab2", "cab3")]
                                   ).exists()  # implemented before any CAB vote
    steps = api(cw, "cab1").get(reverse("api:change-approvals", args=[pk])).json()
    assert [(s["stage"], s["status"], s["may_vote"]) for s in steps] == [
        ("emergency", "approved", False), ("retrospective", "pending", True)]
    step(cw, "engineer", pk, "verify", VERIFIED)

    findings = {"review_findings": "处置及时"}
    response = transition(api(cw, "chgmgr"), pk, "close", findings)
    assert response.status_code == 400 and "review_findings" in response.json()
    assert Change.objects.get(pk=pk).status == "review"
    response = vote(cw, "cab1", pk, "approve")
    assert response.json()["stage"] == "retrospective"
    assert response.json()["change_status"] == "review"
    assert transition(api(cw, "chgmgr"), pk, "close", findings).status_code == 400
    response = vote(cw, "cab2", pk, "approve")
    assert response.json()["status"] == "approved"
    assert step(cw, "chgmgr", pk, "close", findings)["status"] == "closed"


def test_a_change_inside_its_retention_period_cannot_be_deleted(cw):
    with time_machine.travel(timezone.now() - dt.timedelta(days=366)):
        pk = create(cw)["id"]
    response = api(cw, "admin").delete(reverse("api:change-detail", args=[pk]))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "retention"
    change = Change.objects.get(pk=pk)
    assert change.number in body["detail"]
    assert str(settings.ITSM_CHANGE_RETENTION_YEARS) in body["detail"]
    assert change.retained_until.isoformat() in body["detail"]


# --- Who may see and do what ---------------------------------------------------------------


def test_customers_and_the_other_provider_see_no_change(cw):
    pk = create(cw)["id"]
    submit_and_assess(cw, pk)
    start, end = cw.window()
    calendar = {"start": iso(start - dt.timedelta(days=1)), "end": iso(end)}
    assert [e["id"] for e in api(cw, "chgmgr").get(reverse("api:change-calendar"),
                                                   calendar).json()["changes"]] == [pk]
    for username in ("custadmin_a", "requester_a", "cab_q"):
        client = api(cw, username)
        for route in ("change-detail", "change-approvals", "change-conflicts",
                      "change-timeline", "change-tasks"):
            assert client.get(reverse(f"api:{route}", args=[pk])).status_code == 404, (
                username, route)
        response = vote(cw, username, pk, "approve")
        assert response.status_code == 404, username
        assert client.post(reverse("api:change-close-voting", args=[pk])).status_code == 404
        assert client.get(reverse("api:change-list")).json()["results"] == []
        response = client.get(reverse("api:change-calendar"), calendar)
        assert response.status_code == 200 and response.json()["changes"] == []
    assert not Vote.objects.exists()


def test_only_approvers_vote_and_the_auditor_writes_nothing(cw):
    pk = create(cw)["id"]
    submit_and_assess(cw, pk)
    response = vote(cw, "agent", pk, "approve")
    assert response.status_code == 403 and response.json()["detail"]
    auditor = api(cw, "auditor")
    assert auditor.get(reverse("api:change-approvals", args=[pk])).status_code == 200
    assert vote(cw, "auditor", pk, "approve").status_code == 403
    assert auditor.post(reverse("api:change-close-voting", args=[pk])).status_code == 403
    writes = [
        ("post", reverse("api:change-list"), change_body(cw)),
        ("patch", reverse("api:change-detail", args=[pk]), {"title": "审计员改的"}),
        ("post", reverse("api:change-tasks", args=[pk]), {"title": "备份"}),
        ("post", reverse("api:changeboard-list"), {"name": "审计委员会"}),
        ("post", reverse("api:changetemplate-list"), {"name": "x", "implementation_plan": "x",
                                                      "backout_plan": "x"}),
        ("post", reverse("api:freezewindow-list"), {"name": "x", "start": iso(timezone.now()),
                                                    "end": iso(timezone.now())}),
        ("patch", reverse("api:changeboard-detail", args=[cw.board.pk]), {"quorum": 1}),
    ]
    for method, url, body in writes:
        response = getattr(auditor, method)(url, body, format="json")
        assert response.status_code == 403, (url, response.status_code)
    assert not Vote.objects.exists()
    assert Change.objects.get(pk=pk).title == "数据库版本升级"
    assert ChangeBoard.objects.get(pk=cw.board.pk).quorum == 0


def test_only_the_chair_or_a_change_manager_closes_the_voting(cw):
    pk = create(cw)["id"]
    submit_and_assess(cw, pk)
    assert vote(cw, "cab1", pk, "approve").status_code == 201
    url = reverse("api:change-close-voting", args=[pk])
    assert api(cw, "chgmgr").post(url).status_code == 400  # 1 of 2 votes for the quorum
    assert vote(cw, "cab2", pk, "abstain").status_code == 201
    assert api(cw, "cab3").post(url).status_code == 403
    response = api(cw, "chgmgr").post(url)
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["change_status"]) == ("approved",
                                                                             "approved")
    assert api(cw, "chgmgr").post(url).status_code == 409


# --- Validation ---------------------------------------------------------------------------


def test_bad_input_is_a_400_naming_the_field(cw):
    start, end = cw.window()
    response = api(cw, "engineer").post(reverse("api:change-list"),
                                        change_body(cw, window=(end, start)), format="json")
    assert response.status_code == 400 and "planned_end" in response.json()
    pk = create(cw)["id"]
    response = vote(cw, "cab1", pk, "approve")  # still a draft: nothing to vote on
    assert response.status_code == 409 and response.json()["detail"]
    submit_and_assess(cw, pk)
    for decision in ("yes", "", "APPROVE"):
        response = vote(cw, "cab1", pk, decision)
        assert response.status_code == 400 and "decision" in response.json(), decision
    assert not Vote.objects.exists()
    client = api(cw, "chgmgr")
    url = reverse("api:change-calendar")
    for params in ({}, {"start": "2025-13-40", "end": "2025-10-02"},
                   {"start": "junk", "end": "junk"}, {"start": "2025-10-01"},
                   {"start": "2025-10-02T00:00:00+08:00", "end": "2025-10-01T00:00:00+08:00"},
                   {"start": "2025-10-01", "end": "2025-10-01"},
                   {"start": "2025-10-01", "end": "2026-01-01"},
                   {"start": "0001-01-01T00:00:00+05:00", "end": "0001-01-02"}):
        response = client.get(url, params)
        assert response.status_code == 400, params
        assert {"start", "end"} & set(response.json()), params
    # Found by fuzzing: an offset PostgreSQL refuses was a 500 (compared in UTC now).
    assert client.get(url, {"start": "2025-10-01T00:00:00-17:31",
                            "end": "2025-10-05T00:00:00+17:00"}).status_code == 200
    assert client.get(reverse("api:change-list"),
                      {"planned_after": "2025-10-01T00:00:00-17:31"}).status_code == 200


def test_scheduling_into_a_freeze_window_is_refused_naming_it(cw):
    manager = api(cw, "chgmgr")
    pk = create(cw)["id"]
    submit_and_assess(cw, pk)
    approve_by_cab(cw, pk)
    start, end = cw.window()
    response = manager.post(reverse("api:freezewindow-list"), {
        "name": "国庆保障期", "reason": "重大活动保障", "start": iso(start - dt.timedelta(days=1)),
        "end": iso(end + dt.timedelta(days=1))}, format="json")
    assert response.status_code == 201, response.json()
    conflicts = manager.get(reverse("api:change-conflicts", args=[pk])).json()
    assert [f["name"] for f in conflicts["freezes"]] == ["国庆保障期"]
    response = transition(manager, pk, "schedule")
    assert response.status_code == 400
    assert "国庆保障期" in " ".join(response.json()["planned_start"])
    assert Change.objects.get(pk=pk).status == "approved"
    later = {"planned_start": iso(start + dt.timedelta(days=5)),
             "planned_end": iso(end + dt.timedelta(days=5))}
    assert step(cw, "chgmgr", pk, "schedule", later)["status"] == "scheduled"
    calendar = manager.get(reverse("api:change-calendar"), {
        "start": iso(start - dt.timedelta(days=2)), "end": iso(end + dt.timedelta(days=6))})
    assert [f["name"] for f in calendar.json()["freezes"]] == ["国庆保障期"]
    assert api(cw, "agent_q").get(reverse("api:change-calendar"), {
        "start": iso(start - dt.timedelta(days=2)),
        "end": iso(end + dt.timedelta(days=6))}).json()["freezes"] == []


# --- Tasks ---------------------------------------------------------------------------------


def test_tasks_are_created_updated_and_scoped(cw):
    pk = create(cw)["id"]
    other = create(cw, title="另一个变更")["id"]
    engineer = api(cw, "engineer")
    url = reverse("api:change-tasks", args=[pk])
    response = engineer.post(url, {"title": "备份数据库", "assignee": person(cw, "agent").pk},
                             format="json")
    assert response.status_code == 201, response.json()
    task = response.json()
    assert (task["change"], task["position"], task["status"]) == (pk, 1, "open")
    assert engineer.post(url, {"title": "升级", "assignee": person(cw, "requester_a").pk},
                         format="json").status_code == 400
    start, end = cw.window()
    response = engineer.post(url, {"title": "升级", "planned_start": iso(end),
                                   "planned_end": iso(start)}, format="json")
    assert response.status_code == 400 and "planned_end" in response.json()
    engineer.post(reverse("api:change-tasks", args=[other]), {"title": "别的"}, format="json")
    assert [t["title"] for t in engineer.get(url).json()] == ["备份数据库"]

    listed = engineer.get(reverse("api:changetask-list"), {"change": pk}).json()["results"]
    assert [t["id"] for t in listed] == [task["id"]]
    for not_an_id in ("1e300", str(2**70), "2.5"):  # found by fuzzing: were a 500
        response = engineer.get(reverse("api:changetask-list"), {"change": not_an_id})
        assert response.status_code == 400 and "change" in response.json()
    detail = reverse("api:changetask-detail", args=[task["id"]])
    response = engineer.patch(detail, {"status": "in_progress"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["started_at"] and response.json()["finished_at"] is None
    response = engineer.patch(detail, {"status": "done", "notes": "备份完成"}, format="json")
    assert response.json()["finished_at"]
    timeline = engineer.get(reverse("api:change-timeline", args=[pk])).json()
    assert [e["data"]["task_status"] for e in timeline if "task" in e["data"]] == [
        "open", "in_progress", "done"]
    assert AuditEntry.objects.filter(object_type="changes.changetask",
                                     object_id=str(task["id"])).count() == 3

    for username in ("cab_q", "requester_a"):
        client = api(cw, username)
        assert client.get(detail).status_code == 404
        assert client.patch(detail, {"notes": "x"}, format="json").status_code == 404
        assert client.get(reverse("api:changetask-list")).json()["results"] == []
    assert api(cw, "auditor").patch(detail, {"notes": "x"}, format="json").status_code == 403
    assert api(cw, "auditor").get(detail).status_code == 200
    assert api(cw, "engineer").delete(detail).status_code == 405


# --- Master data: boards, templates, freeze windows, meetings ------------------------------------


def test_boards_are_managed_by_change_managers_of_their_provider(cw):
    manager = api(cw, "chgmgr")
    body = {"name": "项目变更控制委员会", "members": [cw.users["cab1"].pk, cw.users["cab2"].pk],
            "chair": cw.users["cab1"].pk, "emergency_approvers": [cw.users["chgmgr"].pk],
            "quorum": 2}
    for username in ("agent", "cab1", "lead", "custadmin_a"):
        response = api(cw, username).post(reverse("api:changeboard-list"), body, format="json")
        assert response.status_code == 403, username
    response = manager.post(reverse("api:changeboard-list"), body, format="json")
    assert response.status_code == 201, response.json()
    board = response.json()
    assert board["provider"] == cw.world.orgs["P"].pk and board["chair_name"] == "cab1"
    assert sorted(board["members"]) == sorted(body["members"])
    assert AuditEntry.objects.filter(object_type="changes.changeboard",
                                     object_id=str(board["id"]), action="create").exists()
    response = manager.post(reverse("api:changeboard-list"),
                            {**body, "name": "跨服务商", "members": [cw.users["cab_q"].pk]},
                            format="json")
    assert response.status_code == 400 and "members" in response.json()
    detail = reverse("api:changeboard-detail", args=[board["id"]])
    assert manager.patch(detail, {"quorum": 1}, format="json").json()["quorum"] == 1
    assert api(cw, "agent").patch(detail, {"quorum": 3}, format="json").status_code == 403

    names = {b["name"] for b in api(cw, "agent").get(reverse("api:changeboard-list"))
             .json()["results"]}
    assert names == {"IT服务管理委员会", "项目变更控制委员会"}
    q_detail = reverse("api:changeboard-detail", args=[cw.board_q.pk])
    assert manager.get(q_detail).status_code == 404
    assert manager.patch(q_detail, {"quorum": 1}, format="json").status_code == 404
    assert manager.delete(q_detail).status_code == 404
    for username in ("custadmin_a", "cab_q"):
        client = api(cw, username)
        assert client.get(detail).status_code == 404
        listed = client.get(reverse("api:changeboard-list")).json()["results"]
        assert board["id"] not in {b["id"] for b in listed}

    pk = create(cw, board=board["id"])["id"]
    response = manager.delete(detail)
    assert response.status_code == 409  # in use: deactivate instead
    assert response.json()["code"] == "in_use"
    assert Change.objects.get(pk=pk).board_id == board["id"]
    Change.objects.filter(pk=pk).update(board=None)
    assert manager.delete(detail).status_code == 204
    assert not ChangeBoard.objects.filter(pk=board["id"]).exists()


def test_templates_make_standard_changes(cw):
    manager = api(cw, "chgmgr")
    body = {"name": "操作系统补丁", "implementation_plan": "按月安装补丁",
            "backout_plan": "卸载补丁", "test_plan": "冒烟测试"}
    assert api(cw, "engineer").post(reverse("api:changetemplate-list"), body,
                                    format="json").status_code == 403
    response = manager.post(reverse("api:changetemplate-list"), body, format="json")
    assert response.status_code == 201, response.json()
    template = response.json()
    assert template["approved_by_name"] == "chgmgr"
    assert api(cw, "agent_q").get(reverse("api:changetemplate-detail",
                                          args=[template["id"]])).status_code == 404
    pk = create(cw, change_type="standard", template=template["id"])["id"]
    assert step(cw, "engineer", pk, "submit")["status"] == "approved"  # pre-approved
    response = api(cw, "agent_q").post(reverse("api:change-list"), change_body(
        cw, change_type="standard", template=template["id"]), format="json")
    assert response.status_code == 400  # another provider's template (and organization)


def test_freeze_windows_are_validated_and_scoped(cw):
    manager = api(cw, "chgmgr")
    start, end = cw.window()
    url = reverse("api:freezewindow-list")
    body = {"name": "双十一", "start": iso(end), "end": iso(start)}
    response = manager.post(url, body, format="json")
    assert response.status_code == 400 and "end" in response.json()
    response = manager.post(url, {**body, "services": [cw.services["q"].pk]}, format="json")
    assert response.status_code == 400 and "services" in response.json()
    assert api(cw, "agent").post(url, {**body, "start": iso(start), "end": iso(end)},
                                 format="json").status_code == 403
    response = manager.post(url, {**body, "start": iso(start), "end": iso(end),
                                  "services": [cw.services["pay"].pk]}, format="json")
    assert response.status_code == 201, response.json()
    detail = reverse("api:freezewindow-detail", args=[response.json()["id"]])
    assert api(cw, "agent_q").get(detail).status_code == 404
    assert api(cw, "requester_a").get(url).json()["results"] == []
    assert manager.delete(detail).status_code == 204
    assert not FreezeWindow.objects.exists()


def test_cab_meetings_agenda_and_decisions(cw):
    waiting = create(cw)["id"]
    submit_and_assess(cw, waiting)
    draft = create(cw, title="下周的变更")
    manager = api(cw, "chgmgr")
    body = {"board": cw.board.pk, "title": "第 12 次 CAB 会议",
            "scheduled_at": iso(timezone.now() + dt.timedelta(days=1)), "location": "3 楼会议室",
            "attendees": [cw.users["cab1"].pk, cw.users["cab2"].pk]}
    for username in ("agent", "cab1", "auditor"):
        response = api(cw, username).post(reverse("api:cabmeeting-list"), body, format="json")
        assert response.status_code == 403, username
    assert manager.post(reverse("api:cabmeeting-list"), {**body, "board": cw.board_q.pk},
                        format="json").status_code == 400
    response = manager.post(reverse("api:cabmeeting-list"), body, format="json")
    assert response.status_code == 201, response.json()
    meeting = response.json()
    assert [(i["change"], i["change_status"]) for i in meeting["items"]] == [
        (waiting, "approval")]  # the agenda: changes waiting for the board

    items_url = reverse("api:cabmeeting-items", args=[meeting["id"]])
    response = manager.post(items_url, {"change": draft["id"]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["change_number"] == draft["number"]
    assert manager.post(items_url, {"change": draft["id"]}, format="json").status_code == 400
    assert manager.post(items_url, {"change": 999999}, format="json").status_code == 400
    assert api(cw, "agent").post(items_url, {"change": waiting},
                                 format="json").status_code == 403

    decisions_url = reverse("api:cabmeeting-decisions", args=[meeting["id"]])
    item = meeting["items"][0]["id"]
    response = manager.post(decisions_url, {"item": item, "decision": "maybe"}, format="json")
    assert response.status_code == 400 and "decision" in response.json()
    assert manager.post(decisions_url, {"item": 999999, "decision": "approved"},
                        format="json").status_code == 400
    response = manager.post(decisions_url, {"item": item, "decision": "deferred",
                                            "notes": "补充回退方案后再议"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["decision"], response.json()["notes"]) == ("deferred",
                                                                      "补充回退方案后再议")
    timeline = api(cw, "engineer").get(reverse("api:change-timeline", args=[waiting])).json()
    assert [e["data"]["meeting_decision"] for e in timeline
            if "meeting_decision" in e["data"]] == ["deferred"]

    detail = reverse("api:cabmeeting-detail", args=[meeting["id"]])
    assert api(cw, "agent").patch(detail, {"minutes": "x"}, format="json").status_code == 403
    # The board's chair writes the minutes (and may not create meetings).
    ChangeBoard.objects.filter(pk=cw.board.pk).update(chair=cw.users["cab3"])
    chair = api(cw, "cab3")
    assert chair.post(reverse("api:cabmeeting-list"), body, format="json").status_code == 403
    response = chair.patch(detail, {"minutes": "一项推迟", "status": "held"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "held"
    assert CabMeeting.objects.get(pk=meeting["id"]).minutes == "一项推迟"
    for username in ("cab_q", "custadmin_a"):
        client = api(cw, username)
        assert client.get(detail).status_code == 404
        assert client.post(items_url, {"change": waiting}, format="json").status_code == 404
        assert client.post(decisions_url, {"item": item, "decision": "approved"},
                           format="json").status_code == 404
        assert client.get(reverse("api:cabmeeting-list")).json()["results"] == []


# --- Links, configuration items and problems ----------------------------------------------------


def test_changes_link_to_incidents_and_fix_problems(cw):
    from itsm.servicedesk.models import Incident

    pk = create(cw)["id"]
    change = Change.objects.get(pk=pk)
    engineer = api(cw, "engineer")
    incident = core_services.create_record(Incident, actor=person(cw, "agent"), data={
        "organization": cw.world.orgs["A"], "requester": person(cw, "requester_a"),
        "title": "数据库响应慢"})
    response = engineer.post(reverse("api:change-links", args=[pk]),
                             {"target": incident.number, "kind": "related"}, format="json")
    assert response.status_code == 201, response.json()
    links = engineer.get(reverse("api:change-links", args=[pk])).json()
    assert [link["record"]["number"] for link in links] == [incident.number]

    problem = core_services.create_record(Problem, actor=person(cw, "agent"), data={
        "organization": cw.world.orgs["A"], "requester": person(cw, "requester_a"),
        "title": "数据库周期性变慢"})
    url = reverse("api:problem-detail", args=[problem.pk])
    response = engineer.patch(url, {"fix_change": pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["fix_change"] == pk
    assert Problem.objects.get(pk=problem.pk).fix_change == change
    q_change = core_services.create_record(Change, actor=person(cw, "agent_q"), data={
        "organization": cw.world.orgs["Q"], "requester": person(cw, "agent_q"),
        "title": "Q 的变更"})
    response = engineer.patch(url, {"fix_change": q_change.pk}, format="json")
    assert response.status_code == 400 and "fix_change" in response.json()
    missing = engineer.patch(url, {"fix_change": 999999}, format="json").json()["fix_change"]
    # A change you cannot see reads like one that does not exist.
    assert response.json()["fix_change"] == [m.replace("999999", str(q_change.pk))
                                             for m in missing]
    assert Problem.objects.get(pk=problem.pk).fix_change == change
    response = engineer.patch(url, {"fix_change": None}, format="json")
    assert response.status_code == 200 and response.json()["fix_change"] is None


# --- OpenAPI -------------------------------------------------------------------------------------


def test_the_schema_describes_the_change_api_without_warnings(db):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    warnings = dict(GENERATOR_STATS._warn_cache)
    errors = dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert (warnings, errors) == ({}, {})
    validate_schema(schema)
    for path in ("/api/changes/{id}/approvals/", "/api/changes/{id}/vote/",
                 "/api/changes/{id}/close-voting/", "/api/changes/{id}/conflicts/",
                 "/api/changes/calendar/", "/api/changes/{id}/tasks/",
                 "/api/changes/{id}/links/", "/api/changes/{id}/cis/",
                 "/api/change-tasks/{id}/", "/api/change-boards/", "/api/change-templates/",
                 "/api/change-freezes/{id}/", "/api/cab-meetings/{id}/items/",
                 "/api/cab-meetings/{id}/decisions/"):
        assert path in schema["paths"], path
