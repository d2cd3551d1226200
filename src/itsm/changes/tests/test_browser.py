"""A normal change's journey in a real browser (Playwright driving Debian's chromium),
with the launch settings and login helper of the service-request journey.

The engineer raises a change in the zh-Hans UI and submits it; the change manager
assesses the risk (likelihood 3 × impact 3: major, the CAB decides); the board rejects
it (two of three, with reasons), the engineer resubmits, the change manager reassesses,
two members approve; the change manager sees the conflict with another change on the
same configuration item and schedules it anyway; the engineer implements and verifies;
the change manager closes it with the post-implementation review. Every step is on the
timeline of the detail page, and nothing is loaded from outside the server.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from itsm.servicedesk.tests.test_browser import (  # noqa: F401 (browser: a fixture)
    CHROMIUM,
    Page,
    browser,
    status_of,
    timeline,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) "
                       "is not installed; apt-get install chromium to run browser tests"),
]

TITLE = "核心数据库版本升级至 15.4"
SCREENSHOT = "/tmp/itsm-change-detail.png"


@pytest.fixture
def journey_world(transactional_db, live_server, world):
    from itsm.changes.tests.conftest import build_change_world

    return build_change_world(world)


def zh(message: str, **params) -> str:
    """``message`` as the zh-Hans UI shows it (whether translated yet or not)."""
    with translation.override("zh-hans"):
        text = translation.gettext(message)
        params = {k: str(v) for k, v in params.items()}
    return text % params if params else text


def label(choice) -> str:
    with translation.override("zh-hans"):
        return str(choice.label)


def transition_text(name: str) -> str:
    from itsm.changes.models import Change

    workflow = Change.workflow
    step = workflow.get(name)
    with translation.override("zh-hans"):
        return zh("%(action)s: %(old)s → %(new)s", action=step.label,
                  old=workflow.label(step.sources[0]), new=workflow.label(step.target))


def other_change(cw, start: dt.datetime, end: dt.datetime):
    """A scheduled change on 核心数据库 overlapping the journey's window (service layer)."""
    from itsm.changes import approvals
    from itsm.changes.models import Change
    from itsm.cmdb import services as cmdb_services
    from itsm.core import services

    engineer, manager = cw.world.users["engineer"], cw.users["chgmgr"]
    change = services.create_record(Change, actor=engineer, data={
        "organization": cw.world.orgs["P"], "requester": engineer, "title": "数据库存储扩容",
        "reason": "存储空间不足", "implementation_plan": "增加磁盘", "backout_plan": "移除磁盘",
        "planned_start": start + dt.timedelta(minutes=30), "planned_end": end})
    cmdb_services.link_record_ci(change, cw.items["核心数据库"], actor=None)
    change = services.transition_record(change, "submit", actor=engineer)
    change = services.transition_record(change, "assess", actor=manager, values={
        "likelihood": 2, "impact": 3, "impact_business": "无", "impact_technology": "扩容",
        "impact_security": "无", "impact_cost": "磁盘采购"})
    for name in ("cab1", "cab2"):
        approvals.cast_vote(approvals.current_approval(change), voter=cw.users[name],
                            decision="approve")
    return services.transition_record(Change.objects.get(pk=change.pk), "schedule",
                                      actor=manager)


def submit_transition(page, name: str, fields: dict[str, str] | None = None,
                      selects: dict[str, str] | None = None) -> None:
    page.click(f"#transition-{name} summary")
    for field, value in (selects or {}).items():
        page.select_option(f"#transition-{name} select[name='t-{name}-{field}']", value)
    for field, value in (fields or {}).items():
        page.fill(f"#transition-{name} [name='t-{name}-{field}']", value)
    with page.expect_navigation():
        page.click(f"#transition-{name} button[type=submit]")


def cast_vote(user: Page, detail_path: str, decision: str, comment: str = "") -> None:
    user.goto(detail_path)
    page = user.page
    page.check(f"#vote-form input[name=decision][value={decision}]")
    if comment:
        page.fill("#vote-form textarea[name=comment]", comment)
    with page.expect_navigation():
        page.click("#cast-vote")


def test_normal_change_journey_in_the_browser(journey_world, live_server, browser):  # noqa: F811
    from itsm.changes.choices import (
        ApprovalStatus,
        ChangeStatus,
        Stage,
        VoteDecision,
    )
    from itsm.changes.models import Change

    cw = journey_world
    day = timezone.localdate() + dt.timedelta(days=5)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(22, 0)))
    end = start + dt.timedelta(hours=2)
    other = other_change(cw, start, end)
    people = {name: Page(browser, live_server.url)
              for name in ("engineer", "chgmgr", "cab1", "cab2", "cab3")}
    for name, person in people.items():
        person.login(name)
    engineer, manager = people["engineer"], people["chgmgr"]

    # --- the engineer raises the change in the zh-Hans UI
    page = engineer.page
    assert page.get_attribute("html", "lang") == "zh-hans"
    page.click("#menu-problems_changes-toggle")  # the "problems & changes" menu
    page.click("#nav-changes")
    page.click("#new-record")
    page.select_option("#id_organization", str(cw.world.orgs["P"].pk))
    page.select_option("#id_requester", str(cw.world.users["engineer"].pk))
    page.fill("#id_title", TITLE)
    page.select_option("#id_change_type", "normal")
    page.fill("#id_description", "将核心数据库由 15.2 升级至 15.4，修复已知漏洞。")
    page.fill("#id_reason", "修复 CVE 安全漏洞")
    page.fill("#id_scope", "核心数据库主备节点")
    page.fill("#id_implementation_plan", "1. 全量备份 2. 升级备库 3. 主备切换 4. 升级原主库")
    page.fill("#id_backout_plan", "从备份恢复")
    page.fill("#id_test_plan", "交易回归测试")
    assert page.get_attribute("#id_planned_start", "type") == "datetime-local"
    page.fill("#id_planned_start", f"{day.isoformat()}T22:00")
    page.fill("#id_planned_end", f"{day.isoformat()}T23:30")
    with page.expect_navigation():
        page.click("#save-record")
    assert re.search(r"/changes/\d+/$", page.url), page.url
    number = page.inner_text("#record-number")
    assert re.fullmatch(r"CHG-\d{4}-\d{6}", number)
    change = Change.objects.get(number=number)
    detail = f"/changes/{change.pk}/"
    assert status_of(page) == ChangeStatus.DRAFT
    assert timezone.localtime(change.planned_start).strftime("%H:%M") == "22:00"
    # it touches the core database: linked from the panel
    page.fill("#item-link-form input[name=ci]", "核心数据库")
    with page.expect_navigation():
        page.click("#item-link-form button[type=submit]")
    assert "核心数据库" in page.inner_text("#change-items")
    submit_transition(page, "submit")
    assert status_of(page) == ChangeStatus.ASSESSMENT

    # --- the change manager records the risk assessment: likelihood 3 × impact 3
    assessment = {"impact_business": "核心交易停机 30 分钟", "impact_technology": "主备切换",
                  "impact_security": "修复漏洞", "impact_cost": "加班 2 人"}
    manager.goto(detail)
    page = manager.page
    submit_transition(page, "assess", assessment, {"likelihood": "3", "impact": "3"})
    assert status_of(page) == ChangeStatus.APPROVAL
    assert page.get_attribute("#risk-matrix td[data-current=true]", "data-likelihood") == "3"
    assert page.get_attribute("#risk-matrix td[data-current=true]", "data-impact") == "3"
    assert page.get_attribute("#risk-level", "data-level") == "high"
    assert page.locator("#vote-form").count() == 0  # the manager is no approver

    # --- the board: cab1 approves, cab2 and cab3 reject with reasons
    cast_vote(people["cab1"], detail, "approve", "方案可行")
    assert people["cab1"].page.locator("#vote-form").count() == 0
    cab2 = people["cab2"].page
    cast_vote(people["cab2"], detail, "reject")  # no reason: refused, nothing stored
    assert cab2.locator("#vote-form .invalid-feedback, #vote-form .is-invalid").count() > 0
    assert zh("Please give a reason for rejecting.") in cab2.inner_text("#vote-form")
    assert change.approvals.get().votes.count() == 1
    cab2.check("#vote-form input[name=decision][value=reject]")
    cab2.fill("#vote-form textarea[name=comment]", "回退方案不足，需演练")
    with cab2.expect_navigation():
        cab2.click("#cast-vote")
    assert status_of(cab2) == ChangeStatus.APPROVAL
    cast_vote(people["cab3"], detail, "reject", "升级窗口太短")
    page = people["cab3"].page
    assert status_of(page) == ChangeStatus.DRAFT  # returned to the requester
    assert page.get_attribute("#change-approvals .approval-step", "data-status") == "rejected"

    # --- the engineer improves the plan and resubmits; the manager reassesses
    engineer.goto(detail)
    page = engineer.page
    page.click("#edit-record")
    page.fill("#id_backout_plan", "从备份恢复；已完成回退演练")
    with page.expect_navigation():
        page.click("#save-record")
    submit_transition(page, "submit")
    assert status_of(page) == ChangeStatus.ASSESSMENT
    manager.goto(detail)
    submit_transition(manager.page, "assess")  # the form keeps the first assessment
    assert status_of(manager.page) == ChangeStatus.APPROVAL

    # --- cab1 and cab2 approve: the majority of the board
    cast_vote(people["cab1"], detail, "approve")
    cast_vote(people["cab2"], detail, "approve", "回退演练已完成")
    assert status_of(people["cab2"].page) == ChangeStatus.APPROVED

    # --- the change manager sees the conflict and schedules
    manager.goto(detail)
    page = manager.page
    warning = page.inner_text("#schedule-conflicts")
    assert other.number in warning and "核心数据库" in warning
    assert page.get_attribute(f"#schedule-conflicts a[href='/changes/{other.pk}/']",
                              "href") == f"/changes/{other.pk}/"
    manager.goto(f"/changes/calendar/?view=week&date={day.isoformat()}")
    cell = page.locator(f"#change-calendar td[data-date='{day.isoformat()}']")
    assert cell.locator(f"[data-change='{number}'] .conflict-badge").count() == 1
    manager.goto(detail)
    submit_transition(page, "schedule")
    assert status_of(page) == ChangeStatus.SCHEDULED

    # --- the engineer implements and verifies
    engineer.goto(detail)
    page = engineer.page
    submit_transition(page, "start")
    assert status_of(page) == ChangeStatus.IMPLEMENTING
    submit_transition(page, "complete")
    assert status_of(page) == ChangeStatus.VERIFICATION
    submit_transition(page, "verify", {
        "verification_function": "交易功能正常", "verification_performance": "TPS 无下降",
        "verification_security": "漏洞扫描通过"}, {"outcome": "success"})
    assert status_of(page) == ChangeStatus.REVIEW

    # --- the change manager closes it with the review's findings
    manager.goto(detail)
    page = manager.page
    submit_transition(page, "close", {"review_findings": "升级成功；回退演练应纳入标准流程"})
    assert status_of(page) == ChangeStatus.CLOSED
    page.screenshot(path=SCREENSHOT, full_page=True)

    # --- every step is on the timeline, in order
    events = timeline(page)
    cab = label(Stage.CAB)

    def voted(decision, round_, reason=""):
        params = {"decision": label(decision), "stage": cab, "round": round_}
        if reason:
            return zh("voted “%(decision)s” (%(stage)s, round %(round)s): %(reason)s",
                      reason=reason, **params)
        return zh("voted “%(decision)s” (%(stage)s, round %(round)s)", **params)

    def opened(round_):
        return zh("approval opened: %(stage)s, round %(round)s", stage=cab, round=round_)

    def decided(round_, outcome):
        return zh("%(stage)s (round %(round)s) decided: %(outcome)s", stage=cab,
                  round=round_, outcome=label(outcome))

    expected = [
        zh("created %(number)s", number=number),
        transition_text("submit"), transition_text("assess"), opened(1),
        voted(VoteDecision.APPROVE, 1, "方案可行"),
        voted(VoteDecision.REJECT, 1, "回退方案不足，需演练"),
        voted(VoteDecision.REJECT, 1, "升级窗口太短"),
        decided(1, ApprovalStatus.REJECTED), transition_text("reject"),
        transition_text("submit"), transition_text("assess"), opened(2),
        voted(VoteDecision.APPROVE, 2), voted(VoteDecision.APPROVE, 2, "回退演练已完成"),
        decided(2, ApprovalStatus.APPROVED), transition_text("approve"),
        transition_text("schedule"), transition_text("start"), transition_text("complete"),
        transition_text("verify"), transition_text("close"),
    ]
    position = 0
    for text in expected:
        found = next((i for i in range(position, len(events)) if text in events[i]), None)
        assert found is not None, (text, events[position:])
        position = found + 1
    assert any("cab3" in e and "升级窗口太短" in e for e in events)

    for name, person in people.items():
        assert person.foreign_requests() == []
        assert person.failed == []
        # cab2's rejection without a reason was answered with a 400, as it should be
        expected_errors = 1 if name == "cab2" else 0
        assert len(person.console_errors) == expected_errors, person.console_errors
        assert all("400" in e for e in person.console_errors)
        person.close()
