"""Emergency plans, drills and plan uses (SEC-3): API, UI, permissions, audit."""

# covers: SEC-3

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from itsm.core import directory
from itsm.core.choices import Role
from itsm.core.models import AuditEntry
from itsm.security import services
from itsm.security.models import Drill, EmergencyPlan, PlanUse

PLANS = reverse("api:emergencyplan-list")
DRILLS = reverse("api:drill-list")


@pytest.fixture
def officer(world):
    return directory.create_person(actor=None, data={
        "username": "officer", "first_name": "安全", "last_name": "员", "email": "o@example.cn",
        "password": "x-secret-9876", "roles": [Role.SECURITY_OFFICER],
        "profile": {"organization": world.orgs["P"]}})


def plan_payload(world, **extra):
    return {"title": "机房断电应急预案", "scope": "华东数据中心", "customer": world.orgs["A"].pk,
            "response_levels": [{"level": "I", "criteria": "全部中断", "actions": "启动备机"}],
            "contacts": [{"name": "张三", "role": "值班经理", "phone": "+86 138 0000 0000"}],
            "preparation": "备用电源巡检", "monitoring_warning": "UPS 告警",
            "response": "切换备用电源", "review": "复盘报告", **extra}


@pytest.fixture
def plan(world):
    return services.save_plan(None, actor=None, data={
        "provider": world.orgs["P"], "customer": world.orgs["A"], "title": "网络中断预案",
        "preparation": "准备内容", "monitoring_warning": "预警内容", "response": "处置内容",
        "review": "改进内容", "status": "approved"})


def test_officer_creates_plan_through_api_audited(world, officer):
    client = world.client(None)
    client.force_login(officer)
    response = client.post(PLANS, plan_payload(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["provider"] == world.orgs["P"].pk and body["status"] == "draft"
    plan = EmergencyPlan.objects.get(pk=body["id"])
    assert plan.contacts[0]["name"] == "张三"
    assert AuditEntry.objects.filter(object_id=str(plan.pk), action="create").exists()
    response = client.patch(reverse("api:emergencyplan-detail", args=[plan.pk]),
                            {"status": "approved", "version": "1.1"}, format="json")
    assert response.status_code == 200
    assert response.json()["approved_by"] == officer.pk and response.json()["approved_at"]


@pytest.mark.parametrize("payload, field", [
    ({"title": ""}, "title"),
    ({"response_levels": [{"criteria": "x"}]}, "response_levels"),
    ({"contacts": [{"name": "李四", "phone": "abc"}]}, "contacts"),
    ({"status": "maybe"}, "status"),
])
def test_plan_validation_is_400_by_field(world, payload, field):
    response = world.client("admin").post(PLANS, plan_payload(world, **payload), format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_customer_of_another_provider_is_refused(world):
    response = world.client("admin").post(
        PLANS, plan_payload(world, customer=world.orgs["C"].pk), format="json")
    assert response.status_code == 400 and "customer" in response.json()


@pytest.mark.parametrize("who", ["agent", "auditor", "requester_a", "custadmin_a"])
def test_only_writer_roles_create(world, who):
    response = world.client(who).post(PLANS, plan_payload(world), format="json")
    assert response.status_code == 403
    assert not EmergencyPlan.objects.exists()


def test_reads_by_role_and_scope(world, plan):
    detail = reverse("api:emergencyplan-detail", args=[plan.pk])
    for who in ("agent", "auditor", "lead", "admin", "requester_a", "custadmin_a"):
        assert world.client(who).get(detail).status_code == 200, who
    for who in ("agent_q", "requester_b", "requester_c"):
        assert world.client(who).get(detail).status_code == 404, who
        assert world.client(who).patch(detail, {"title": "x"}, format="json").status_code == 404
    assert world.client("requester_b").get(PLANS).json()["results"] == []
    for who in ("auditor", "agent", "requester_a"):
        response = world.client(who).patch(detail, {"title": "hacked"}, format="json")
        assert response.status_code == 403, who
    assert world.client("lead").patch(detail, {"title": "新标题"}, format="json").status_code == 200
    assert world.client("admin").delete(detail).status_code == 405


def test_customers_see_approved_plans_only(world, plan):
    services.save_plan(plan, actor=None, data={"status": "draft"})
    detail = reverse("api:emergencyplan-detail", args=[plan.pk])
    assert world.client("requester_a").get(detail).status_code == 404
    assert world.client("agent").get(detail).status_code == 200


def test_plan_page_shows_the_four_phases(world, plan):
    page = world.client("requester_a").get(reverse("security:plan-detail", args=[plan.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for term, content in [("应急准备", "准备内容"), ("监测与预警", "预警内容"),
                          ("应急处置", "处置内容"), ("总结改进", "改进内容")]:
        assert term in text and content in text
    assert text.index("应急准备") < text.index("监测与预警") < text.index("应急处置") \
        < text.index("总结改进")
    assert "plan-use-form" not in text and 'id="drills"' not in text


def test_ui_create_and_edit_plan(world):
    client = world.client("admin")
    assert client.get(reverse("security:plan-create")).status_code == 200
    response = client.post(reverse("security:plan-create"), {
        "title": "数据泄露应急预案", "response_levels": '[{"level": "II"}]', "contacts": "[]",
        "version": "1.0", "status": "draft", "customer": world.orgs["A"].pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = EmergencyPlan.objects.get(title="数据泄露应急预案")
    response = client.post(reverse("security:plan-edit", args=[plan.pk]), {
        "title": "数据泄露应急预案", "response_levels": '[{"criteria": "x"}]', "contacts": "[]",
        "version": "1.1", "status": "draft"})
    assert response.status_code == 400
    assert "response_levels" in response.context["form"].errors
    response = client.post(reverse("security:plan-edit", args=[plan.pk]), {
        "title": "", "response_levels": "[]", "contacts": "[]", "version": "1", "status": "x"})
    assert response.status_code == 400
    assert {"title", "status"} <= set(response.context["form"].errors)
    for who in ("agent", "auditor", "requester_a"):
        assert world.client(who).get(reverse("security:plan-edit", args=[plan.pk])
                                     ).status_code in (403, 404)
    assert world.client("agent_q").get(reverse("security:plan-detail", args=[plan.pk])
                                       ).status_code == 404


def test_drills_with_follow_ups(world, plan):
    client = world.client("lead")
    payload = {"plan": plan.pk, "date": "2025-06-01", "scenario": "主机房断电",
               "participants": [world.agent.pk, world.lead.pk], "evaluation": "adequate",
               "evaluation_notes": "切换偏慢",
               "follow_ups": [{"action": "更换 UPS 电池", "owner": "lead", "due": "2025-07-01"}]}
    response = client.post(DRILLS, payload, format="json")
    assert response.status_code == 201, response.content
    drill = Drill.objects.get()
    assert drill.follow_ups == [{"action": "更换 UPS 电池", "owner": "lead",
                                 "due": "2025-07-01", "done": False}]
    assert drill.open_follow_ups == 1
    bad = client.post(DRILLS, {**payload, "follow_ups": [{"owner": "x", "due": "soon"}]},
                      format="json")
    assert bad.status_code == 400 and "follow_ups" in bad.json()
    detail = reverse("api:drill-detail", args=[drill.pk])
    done = [{**drill.follow_ups[0], "done": True}]
    assert client.patch(detail, {"follow_ups": done}, format="json").status_code == 200
    assert Drill.objects.get().open_follow_ups == 0
    assert world.client("auditor").get(detail).status_code == 200
    assert world.client("auditor").patch(detail, {"scenario": "x"}, format="json"
                                         ).status_code == 403
    assert world.client("requester_a").get(detail).status_code == 404
    assert world.client("agent_q").get(detail).status_code == 404
    page = world.client("agent").get(reverse("security:drill-detail", args=[drill.pk]))
    assert "更换 UPS 电池" in page.content.decode()
    assert world.client("agent").get(reverse("security:drill-list")).status_code == 200
    response = world.client("admin").post(reverse("security:drill-create"), {
        "plan": plan.pk, "date": "2025-08-01", "scenario": "演练二", "follow_ups": "[]"})
    assert response.status_code == 302
    response = world.client("admin").post(reverse("security:drill-create"), {
        "plan": plan.pk, "date": "", "scenario": "", "follow_ups": "[]"})
    assert response.status_code == 400
    assert {"date", "scenario"} <= set(response.context["form"].errors)


def _major(world):
    from itsm.core import services as core_services
    from itsm.servicedesk.major import declare_major_incident
    from itsm.servicedesk.models import Incident

    incident = core_services.create_record(Incident, actor=world.agent, data={
        "organization": world.orgs["A"], "title": "全网中断", "description": "核心交换机故障",
        "requester": world.requester_a})
    return declare_major_incident(incident, actor=world.agent, reason="大面积中断")


def test_plan_use_for_a_major_incident(world, plan):
    major = _major(world)
    uses = reverse("api:emergencyplan-uses", args=[plan.pk])
    body = {"record_type": "majorincident", "record_id": major.pk, "note": "按预案处置"}
    assert world.client("agent").post(uses, body, format="json").status_code == 403
    assert world.client("auditor").post(uses, body, format="json").status_code == 403
    response = world.client("admin").post(uses, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["record_number"] == major.number
    again = world.client("admin").post(uses, body, format="json")
    assert again.status_code == 400 and "record_id" in again.json()
    unknown = world.client("admin").post(uses, {**body, "record_type": "x"}, format="json")
    assert unknown.status_code == 400 and "record_type" in unknown.json()
    assert PlanUse.objects.get().record_id == major.pk
    assert [u["record_number"] for u in world.client("auditor").get(uses).json()] == [
        major.number]
    page = world.client("agent").get(reverse("security:plan-detail", args=[plan.pk]))
    assert major.number in page.content.decode()
    assert world.client("agent_q").post(uses, body, format="json").status_code == 404


def test_plan_use_via_ui_and_other_provider_record_refused(world, plan):
    major = _major(world)
    response = world.client("lead").post(reverse("security:plan-use-add", args=[plan.pk]),
                                         {"record_type": "majorincident",
                                          "record": major.number})
    assert response.status_code == 302
    assert PlanUse.objects.filter(plan=plan).count() == 1
    other = services.save_plan(None, actor=None, data={"provider": world.orgs["Q"], "title": "Q"})
    with pytest.raises(ValidationError):  # a record of another provider
        services.record_plan_use(major, other, actor=None)
