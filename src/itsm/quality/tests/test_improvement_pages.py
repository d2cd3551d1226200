"""The improvement plan pages in zh-Hans (QA-3): the list, the form and the detail with
its measures, the PDCA stage and the effect check read with the glossary's terms
(服务改进计划, 计划 / 执行 / 检查 / 处理); measures added, completed and refused on the page;
a problem's page and a warning evaluation of the quality target page open a plan,
prefilled; the quality manager's home card of open plans by stage."""

# covers: QA-3

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from itsm.core import services
from itsm.problems.models import Problem
from itsm.quality import services as target_services
from itsm.quality.models import ImprovementPlan, TargetEvaluation

from .improvement_data import add_people, at, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def iw(world):
    return add_people(world)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_list_form_and_detail_read_in_zh_hans(iw):
    found = plan(iw, owner=iw.lead)
    qm = iw.client("qm")
    listing = text(qm.get(reverse("quality:plan-list")))
    assert "服务改进计划" in listing and found.number in listing
    assert 'id="nav-improvement-plans"' in listing
    form = text(qm.get(reverse("quality:plan-create")))
    assert "新建服务改进计划" in form and "评估日期" in form and "投诉原因分类" in form
    detail = text(qm.get(found.get_absolute_url()))
    assert "计划" in detail.split('id="record-status"')[1][:200]
    for term in ("计划措施", "基线值", "效果检查", "投诉率", "开始执行"):
        assert term in detail, term


def test_measures_are_added_and_completed_on_the_page(iw):
    found = plan(iw)
    qm = iw.client("qm")
    add = reverse("quality:plan-measure-add", args=[found.pk])
    refused = qm.post(add, {"new-title": "", "new-owner": iw.agent.pk})
    assert refused.status_code == 400
    assert 'id="add-measure" open' in refused.content.decode()
    response = qm.post(add, {"new-title": "超时自动升级", "new-owner": iw.agent.pk,
                             "new-due_date": "2030-01-10"})
    assert response.status_code == 302
    measure = found.measures.get()
    complete = reverse("quality:plan-measure-complete", args=[found.pk, measure.pk])
    assert iw.client("engineer").post(complete, {"note": "x"}).status_code == 403
    page = text(iw.client("agent").get(found.get_absolute_url()))
    assert complete in page  # the owner may complete it
    assert 'id="add-measure"' not in page  # but not add one
    assert iw.client("agent").post(complete, {"note": "已上线"}).status_code == 302
    measure.refresh_from_db()
    assert measure.done_at is not None and measure.note == "已上线"
    page = text(qm.get(found.get_absolute_url()))
    history = page.split('id="timeline"')[1]
    assert "添加了措施“超时自动升级”" in history and "完成了措施“超时自动升级”" in history


def test_moving_to_check_with_an_open_measure_says_why(iw):
    with time_machine.travel(at("2026-11-01 09:00"), tick=False):
        found = plan(iw, evaluation_date=dt.date(2026, 12, 15))
        qm = iw.client("qm")
        started = qm.post(reverse("quality:plan-transition", args=[found.pk, "start"]), {
            "t-start-target_value": "150", "t-start-evaluation_date": "2026-12-15",
            "t-start-window_days": "30"})
        assert started.status_code == 302
        qm.post(reverse("quality:plan-measure-add", args=[found.pk]),
                {"new-title": "复盘", "new-owner": iw.agent.pk})
        response = qm.post(reverse("quality:plan-transition", args=[found.pk, "check"]), {})
    assert response.status_code == 400
    assert "措施" in response.content.decode().split('id="transition-check"')[1][:1500]
    assert ImprovementPlan.objects.get().status == "do"


def test_a_problem_page_opens_a_plan_prefilled(iw):
    problem = services.create_record(Problem, actor=iw.agent, data={
        "organization": iw.orgs["A"], "requester": iw.requester_a, "title": "邮件反复延迟",
        "description": "队列积压", "root_cause": "磁盘 IO 饱和"})

    def action(identity: str) -> str | None:
        page = text(iw.client(identity).get(problem.get_absolute_url()))
        found = re.search(r'id="action-improvement-plan-from-problem" href="([^"]+)"', page)
        return found.group(1) if found else None

    assert action("agent") is None  # an agent does not open plans
    link = action("qm")
    form = text(iw.client("qm").get(link))
    assert "磁盘 IO 饱和" in form and 'value="邮件反复延迟"' in form
    assert problem.number in form.split('id="plan-opened-from"')[1][:300]
    response = iw.client("qm").post(link, {"title": "邮件反复延迟", "source_kind": "problem",
                                           "source_problem": problem.pk,
                                           "root_cause": "磁盘 IO 饱和", "priority": "3",
                                           "window_days": "30"})
    assert response.status_code == 302
    found = ImprovementPlan.objects.get()
    assert (found.source_problem, found.root_cause) == (problem, "磁盘 IO 饱和")


def test_a_warning_evaluation_opens_a_plan_for_its_indicator_and_team(iw):
    target = target_services.save_target(None, actor=iw.users["qm"], data={
        "indicator": "sla-resolution", "period_kind": "month", "target": Decimal("90"),
        "warning": Decimal("80"), "critical": Decimal("60")})
    evaluation = TargetEvaluation.objects.create(
        target=target, scope_key=f"team:{iw.teams['desk'].pk}", team=iw.teams["desk"],
        period_start=at("2026-10-01 00:00"), period_end=at("2026-11-01 00:00"), value=70,
        state="warning", target_value=90, warning=80, critical=60, computed_at=timezone.now())
    link = f"{reverse('quality:plan-create')}?evaluation={evaluation.pk}"
    assert link in text(iw.client("qm").get(reverse("quality:target-list")))
    assert link not in text(iw.client("agent").get(reverse("quality:target-list")))
    form = text(iw.client("qm").get(link))
    assert '<option value="sla-resolution" selected>' in form
    assert f'<option value="{iw.teams["desk"].pk}" selected>' in form
    assert 'value="90' in form  # the target's value, to reach again


def test_the_quality_managers_home_card_counts_open_plans_by_stage(iw):
    plan(iw)
    second = plan(iw, evaluation_date=dt.date(2030, 1, 1))
    ImprovementPlan.objects.filter(pk=second.pk).update(status="do")
    home = text(iw.client("qm").get(reverse("home")))
    card = home.split('id="improvement-stages"')[1][:2000]
    assert re.search(r"计划 <span[^>]*>1</span>", card)
    assert re.search(r"执行 <span[^>]*>1</span>", card)
    assert 'id="improvement-stages"' not in text(iw.client("agent").get(reverse("home")))
