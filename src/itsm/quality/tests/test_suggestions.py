"""Staff improvement suggestions (QA-3): any staff member submits one; a plan manager
adopts it — an improvement plan opens from it, linked both ways — or declines it with a
reason; the submitter hears of the decision. Customers never see one."""

# covers: QA-3

from __future__ import annotations

import pytest
from django.urls import reverse

from itsm.core import links
from itsm.core.models import Notification
from itsm.core.tests.bases import RecordTypeTests
from itsm.quality.models import ImprovementPlan, ImprovementSuggestion

from .improvement_data import add_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    return add_people(world)


class TestSuggestions(RecordTypeTests):
    model = ImprovementSuggestion
    staff = "qm"
    transition = ("decline", {"decision_reason": "已有同类计划"})


def api(name: str, *args) -> str:
    return reverse(f"api:improvementsuggestion-{name}", args=args)


def submit(world, who: str = "engineer") -> dict:
    response = world.client(who).post(api("list"), {
        "title": "夜间值班增加二线支持", "description": "夜间升级等待过长"}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_staff_submit_and_a_quality_manager_adopts_it_as_a_plan(world):
    body = submit(world)
    assert body["number"].startswith("SUG-") and body["status"] == "submitted"
    assert body["requester"] == world.engineer.pk
    # The submitter may not decide their own suggestion; a quality manager may.
    refused = world.client("engineer").post(api("transition", body["id"]),
                                            {"transition": "adopt"}, format="json")
    assert refused.status_code == 403
    response = world.client("qm").post(api("transition", body["id"]), {
        "transition": "adopt", "values": {"decision_reason": "下季度实施"}}, format="json")
    assert response.status_code == 200, response.json()
    suggestion = ImprovementSuggestion.objects.get(pk=body["id"])
    plan = ImprovementPlan.objects.get()
    assert (plan.source_kind, plan.source_suggestion, plan.title, plan.owner) == (
        "suggestion", suggestion, "夜间值班增加二线支持", world.users["qm"])
    assert plan.status == "plan" and plan.organization == world.orgs["P"]
    assert [i.other for i in links.linked_records(plan, world.users["qm"])] == [suggestion]
    assert response.json()["plans"] == [plan.pk]
    told = Notification.objects.get(user=world.engineer, event="improvement_update")
    assert plan.number in told.body
    page = world.client("engineer").get(suggestion.get_absolute_url()).content.decode()
    assert plan.number in page.split('id="suggestion-plans"')[1][:600]


def test_declining_needs_a_reason(world):
    body = submit(world, "agent")
    qm = world.client("qm")
    response = qm.post(api("transition", body["id"]), {"transition": "decline"},
                       format="json")
    assert response.status_code == 400 and response.json()["decision_reason"]
    assert ImprovementSuggestion.objects.get().status == "submitted"
    response = qm.post(api("transition", body["id"]), {
        "transition": "decline", "values": {"decision_reason": "与现有流程重复"}},
        format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert not ImprovementPlan.objects.exists()
    told = Notification.objects.get(user=world.agent, event="improvement_update")
    assert "与现有流程重复" in told.body


def test_any_staff_member_submits_on_the_page_and_customers_cannot(world):
    form = world.client("agent").get(reverse("quality:suggestion-create"))
    assert form.status_code == 200 and "改进建议" in form.content.decode()
    response = world.client("agent").post(reverse("quality:suggestion-create"), {
        "title": "知识库增加打印机排障", "description": "常见卡纸处理"})
    assert response.status_code == 302
    suggestion = ImprovementSuggestion.objects.get()
    assert (suggestion.requester, suggestion.organization) == (world.agent, world.orgs["P"])
    assert world.client("requester_a").post(api("list"), {"title": "x"},
                                            format="json").status_code == 403
    assert world.client("requester_a").get(suggestion.get_absolute_url()).status_code == 404
    assert world.client("agent_q").get(api("detail", suggestion.pk)).status_code == 404
