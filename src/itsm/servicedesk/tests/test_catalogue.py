"""The service catalogue in the portal (SLM-1, REQ-2, REQ-4): request types with their
own fields, a department head's approval before fulfilment, the tasks that fulfil a
request, and the fields in the API and the export."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from itsm.catalog.choices import ApproverKind, FieldKind
from itsm.catalog.models import (
    RequestType,
    RequestTypeApproval,
    RequestTypeField,
    RequestTypeTask,
    Service,
    SLAPolicy,
    SLATarget,
)
from itsm.core.models import AuditEntry, BusinessCalendar, Department, Notification
from itsm.core.tests.scenario import csv_rows
from itsm.servicedesk import fulfilment
from itsm.servicedesk.models import FulfilmentTask, RequestApproval, ServiceRequest

pytestmark = pytest.mark.django_db

FIELDS = {"laptop_model": "ThinkPad X1", "usage": "开发", "needed_by": "2026-12-20"}


@pytest.fixture
def catalogue(world):
    """P's "办公设备" service for A, with the request type "笔记本电脑申领": three fields,
    the department head's approval, two tasks for the desk, and its own SLA policy."""
    calendar, _ = BusinessCalendar.objects.get_or_create(name="7x24 catalogue",
                                                         defaults={"always_on": True})
    service = Service.objects.create(provider=world.orgs["P"], code="office", icon="laptop",
                                     name="办公设备", calendar=calendar,
                                     owner_team=world.teams["desk"])
    service.customers.add(world.orgs["A"])
    policy = SLAPolicy.objects.create(provider=world.orgs["P"], name="设备申领 3 天")
    for priority in range(1, 5):
        SLATarget.objects.create(policy=policy, priority=priority, response_minutes=60,
                                 resolution_minutes=3 * 24 * 60)
    laptop = RequestType.objects.create(provider=world.orgs["P"], service=service,
                                        name="笔记本电脑申领", icon="laptop",
                                        description="新员工或更换电脑", sla_policy=policy)
    RequestTypeField.objects.create(request_type=laptop, key="laptop_model", label="型号",
                                    kind=FieldKind.TEXT, required=True, order=1)
    RequestTypeField.objects.create(request_type=laptop, key="usage", label="用途",
                                    kind=FieldKind.CHOICE, choices=["办公", "开发", "设计"],
                                    required=True, order=2)
    RequestTypeField.objects.create(request_type=laptop, key="needed_by", label="需要日期",
                                    kind=FieldKind.DATE, order=3)
    RequestTypeApproval.objects.create(request_type=laptop, order=1,
                                       kind=ApproverKind.DEPARTMENT_HEAD)
    RequestTypeTask.objects.create(request_type=laptop, order=1, title="备机出库",
                                   team=world.teams["desk"])
    RequestTypeTask.objects.create(request_type=laptop, order=2, title="安装软件并交付",
                                   team=world.teams["desk"])
    department = Department.objects.create(organization=world.orgs["A"], name="研发部",
                                           head=world.requester_a2)
    for username in ("requester_a", "requester_a2"):
        profile = world.users[username].profile
        profile.department = department
        profile.save()
    return laptop


def raise_by_api(world, request_type, **overrides):
    body = {"title": "新员工笔记本", "request_type": request_type.pk,
            "custom_fields": dict(FIELDS), **overrides}
    return world.client("requester_a").post("/api/service-requests/", body, format="json")


def test_the_catalogue_shows_the_services_and_types_of_the_customer(world, catalogue):
    html = world.client("requester_a").get(reverse("servicedesk:portal")).content.decode()
    assert "办公设备" in html and "笔记本电脑申领" in html and "bi-laptop" in html
    # another customer of P (B does not use the service) and another provider's customer
    for username in ("requester_b", "requester_c"):
        html = world.client(username).get(reverse("servicedesk:portal")).content.decode()
        assert "笔记本电脑申领" not in html
        assert world.client(username).get(
            reverse("servicedesk:portal-request", args=[catalogue.pk])).status_code == 404
    # the catalogue's search
    found = world.client("requester_a").get(reverse("servicedesk:portal"), {"q": "电脑"})
    assert "笔记本电脑申领" in found.content.decode()
    missing = world.client("requester_a").get(reverse("servicedesk:portal"), {"q": "打印"})
    assert "笔记本电脑申领" not in missing.content.decode()


def test_a_request_type_journey_approval_then_tasks(world, catalogue):
    # the customer raises it in the portal, with an attachment
    client = world.client("requester_a")
    form = client.get(reverse("servicedesk:portal-request", args=[catalogue.pk]))
    assert form.status_code == 200 and "型号" in form.content.decode()
    response = client.post(reverse("servicedesk:portal-request", args=[catalogue.pk]), {
        "title": "新员工笔记本", "description": "下周一入职", "cf_laptop_model": "ThinkPad X1",
        "cf_usage": "开发", "cf_needed_by": "2026-12-20",
        "attachments": [SimpleUploadedFile("入职单.txt", "张三 入职".encode())]})
    assert response.status_code == 302, response.content.decode()[:2000]
    request = ServiceRequest.objects.get()
    assert request.request_type == catalogue and request.service == catalogue.service
    assert request.custom_fields == FIELDS
    assert request.status == "pending_approval"
    assert request.sla_policy.name == "设备申领 3 天"
    assert [a.original_name for a in request.attachments.all()] == ["入职单.txt"]
    approval = RequestApproval.objects.get(request=request)
    assert list(approval.approvers.all()) == [world.requester_a2]
    assert not FulfilmentTask.objects.exists() and request.assignee_id is None
    assert Notification.objects.filter(event="approval_requested",
                                       recipient=world.requester_a2.email).exists()

    # the department head finds it in their inbox and approves it; a stranger cannot
    head = world.client("requester_a2")
    assert "新员工笔记本" in head.get(reverse("inbox")).content.decode()
    decide = reverse("servicedesk:request-approval-decide", args=[request.pk, approval.pk])
    assert world.client("requester_b").post(decide, {"decision": "approve"}).status_code == 404
    assert world.client("agent").post(decide, {"decision": "approve"}).status_code == 403
    assert head.post(decide, {"decision": "reject"}).status_code == 400  # a reason is needed
    assert head.post(decide, {"decision": "approve", "comment": "同意"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "assigned" and request.assignee_team == world.teams["desk"]
    tasks = list(request.tasks.all())
    assert [t.title for t in tasks] == ["备机出库", "安装软件并交付"]
    assert AuditEntry.objects.filter(object_type="servicedesk.requestapproval").exists()

    # the desk does the tasks; the last one resolves the request
    page = world.client("agent").get(request.get_absolute_url()).content.decode()
    assert "备机出库" in page and "ThinkPad X1" in page and "同意" in page
    for task in tasks:
        done = reverse("servicedesk:request-task-done", args=[request.pk, task.pk])
        assert world.client("requester_a").post(done).status_code == 403
        assert world.client("agent").post(done, {"note": "已完成"}).status_code == 302
    request.refresh_from_db()
    assert request.status == "resolved"
    assert "备机出库" in request.resolution and "安装软件并交付" in request.resolution
    # and the requester confirms as with any request
    response = world.client("requester_a").post(
        reverse("servicedesk:request-transition", args=[request.pk, "close"]))
    request.refresh_from_db()
    assert request.status == "closed", response.status_code


def test_a_rejection_cancels_the_request_and_tells_the_requester(world, catalogue):
    request = ServiceRequest.objects.get(pk=raise_by_api(world, catalogue).json()["id"])
    approval = request.approvals.get()
    response = world.client("requester_a2").post(
        reverse("servicedesk:request-approval-decide", args=[request.pk, approval.pk]),
        {"decision": "reject", "comment": "预算不足"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "cancelled"
    assert Notification.objects.filter(event="approval_decided", user=world.requester_a,
                                       body__contains="预算不足").exists()


def test_the_api_takes_and_shows_the_fields_and_refuses_bad_ones(world, catalogue):
    response = raise_by_api(world, catalogue)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["request_type"] == catalogue.pk and data["custom_fields"] == FIELDS
    assert data["status"] == "pending_approval"
    detail = world.client("agent").get(f"/api/service-requests/{data['id']}/").json()
    assert detail["custom_fields"] == FIELDS

    for fields, message in (({"usage": "游戏", "laptop_model": "X"}, "usage"),
                            ({"usage": "开发"}, "laptop_model"),
                            ({**FIELDS, "needed_by": "20 December"}, "needed_by"),
                            ({**FIELDS, "colour": "红"}, "colour")):
        response = raise_by_api(world, catalogue, custom_fields=fields)
        assert response.status_code == 400, response.json()
        assert message in str(response.json()["custom_fields"])
    assert raise_by_api(world, catalogue, custom_fields="型号").status_code == 400
    # the fields are fixed once raised
    patch = world.client("agent").patch(f"/api/service-requests/{data['id']}/",
                                        {"custom_fields": {"usage": "设计"}}, format="json")
    assert patch.status_code in (200, 400)
    assert ServiceRequest.objects.get(pk=data["id"]).custom_fields == FIELDS
    assert ServiceRequest.objects.count() == 1  # nothing half-made by the refusals


def test_customers_of_other_organizations_cannot_use_or_see_it(world, catalogue):
    request_id = raise_by_api(world, catalogue).json()["id"]
    url = f"/api/service-requests/{request_id}/"
    for username in ("requester_b", "requester_c", "agent_q"):
        assert world.client(username).get(url).status_code == 404
    response = world.client("requester_b").post("/api/service-requests/", {
        "title": "x", "request_type": catalogue.pk, "custom_fields": FIELDS}, format="json")
    assert response.status_code == 400
    # the approver (a colleague of the same organization) sees it while asked to decide
    assert world.client("requester_a2").get(url).status_code == 200
    RequestApproval.objects.filter(request_id=request_id).delete()
    assert world.client("requester_a2").get(url).status_code == 404


def test_the_api_decides_and_completes_tasks(world, catalogue):
    request_id = raise_by_api(world, catalogue).json()["id"]
    url = f"/api/service-requests/{request_id}/"
    approvals = world.client("requester_a").get(url + "approvals/").json()
    assert [a["approvers"][0]["id"] for a in approvals] == [world.requester_a2.pk]
    decide = {"approval": approvals[0]["id"], "decision": "approve"}
    assert world.client("requester_a").post(url + "decide/", decide).status_code == 403
    assert world.client("requester_a2").post(
        url + "decide/", {**decide, "decision": "maybe"}).status_code == 400
    response = world.client("requester_a2").post(url + "decide/", decide)
    assert response.status_code == 200 and response.json()["decision"] == "approved"
    tasks = world.client("agent").get(url + "tasks/").json()
    assert [t["title"] for t in tasks] == ["备机出库", "安装软件并交付"]
    assert world.client("agent").post(url + "complete-task/", {"task": 999999}).status_code == 400
    for task in tasks:
        response = world.client("agent").post(url + "complete-task/", {"task": task["id"]})
        assert response.status_code == 200 and response.json()["status"] == "done"
    assert world.client("agent").get(url).json()["status"] == "resolved"


def test_administrators_declare_request_types_through_the_api(world, catalogue):
    admin = world.client("admin")
    response = admin.post("/api/request-types/", {
        "service": catalogue.service.pk, "name": "VPN 开通", "icon": "shield-lock"},
        format="json")
    assert response.status_code == 201, response.json()
    type_id = response.json()["id"]
    field = admin.post("/api/request-type-fields/", {
        "request_type": type_id, "key": "account", "label": "账号", "kind": "choice",
        "choices": []}, format="json")
    assert field.status_code == 400 and "choices" in field.json()
    field = admin.post("/api/request-type-fields/", {
        "request_type": type_id, "key": "account", "label": "账号", "kind": "choice",
        "choices": ["个人", "共享"], "required": True}, format="json")
    assert field.status_code == 201, field.json()
    step = admin.post("/api/request-type-approvals/", {
        "request_type": type_id, "order": 1, "kind": "role"}, format="json")
    assert step.status_code == 400 and "role" in step.json()
    task = admin.post("/api/request-type-tasks/", {
        "request_type": type_id, "order": 1, "title": "开通账号",
        "team": world.teams["q_desk"].pk}, format="json")
    assert task.status_code == 400  # another provider's team
    # the customer reads the type with its fields, not its workings
    data = world.client("requester_a").get(f"/api/request-types/{type_id}/").json()
    assert [f["key"] for f in data["type_fields"]] == ["account"]
    assert "task_templates" not in data and "approval_steps" not in data
    # nobody else writes; other providers and other customers do not see it
    assert world.client("agent").post("/api/request-types/", {
        "service": catalogue.service.pk, "name": "x"}, format="json").status_code == 403
    assert world.client("requester_a").patch(f"/api/request-types/{type_id}/", {
        "name": "y"}, format="json").status_code == 403
    for username in ("agent_q", "requester_b"):
        assert world.client(username).get(f"/api/request-types/{type_id}/").status_code == 404
    assert world.client("agent_q").get(
        f"/api/request-type-fields/{field.json()['id']}/").status_code == 404
    assert world.client("requester_a").get("/api/request-type-fields/").json()["results"] == []
    assert AuditEntry.objects.filter(object_type="catalog.requesttypefield").exists()


def test_administrators_declare_request_types_in_pages(world, catalogue):
    admin = world.client("admin")
    response = admin.post(reverse("catalog:requesttypefield-create"), {
        "request_type": catalogue.pk, "key": "budget", "label": "预算", "kind": "number",
        "order": 5})
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:requesttype-detail", args=[catalogue.pk])
    page = admin.get(response["Location"]).content.decode()
    assert "预算" in page and "备机出库" in page
    bad = admin.post(reverse("catalog:requesttypefield-create"), {
        "request_type": catalogue.pk, "key": "usage2", "label": "x", "kind": "choice"})
    assert bad.status_code == 400
    assert world.client("agent").get(
        reverse("catalog:requesttypefield-create")).status_code == 403
    assert world.client("requester_a").get(reverse("catalog:requesttype-list")).status_code == 404
    assert world.client("agent_q").get(
        reverse("catalog:requesttype-detail", args=[catalogue.pk])).status_code == 404


def test_a_department_without_head_is_told_before_anything_is_raised(world, catalogue):
    Department.objects.filter(name="研发部").update(head=None)
    response = raise_by_api(world, catalogue)
    assert response.status_code == 400
    assert "department" in str(response.json()).lower() or "部门" in str(response.json())
    html = world.client("requester_a").post(
        reverse("servicedesk:portal-request", args=[catalogue.pk]),
        {"title": "笔记本", "cf_laptop_model": "X1", "cf_usage": "开发"}).content.decode()
    assert not ServiceRequest.objects.exists() and "X1" in html


def test_the_portal_form_keeps_what_was_typed_on_errors(world, catalogue):
    response = world.client("requester_a").post(
        reverse("servicedesk:portal-request", args=[catalogue.pk]),
        {"title": "新员工笔记本", "cf_laptop_model": "ThinkPad X1", "cf_usage": "游戏"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "ThinkPad X1" in html and "新员工笔记本" in html
    assert not ServiceRequest.objects.exists()


def test_a_type_without_approvals_goes_straight_to_its_tasks(world, catalogue):
    catalogue.approval_steps.all().delete()
    request = ServiceRequest.objects.get(pk=raise_by_api(world, catalogue).json()["id"])
    assert request.status == "assigned"
    assert request.tasks.count() == 2
    inbox = world.client("agent").get(reverse("inbox")).content.decode()
    assert "备机出库" in inbox


def test_the_export_has_the_type_and_its_fields(world, catalogue):
    raise_by_api(world, catalogue)
    response = world.client("agent").get(reverse("servicedesk:request-export"),
                                         {"file_format": "csv"})
    rows = csv_rows(response.content)
    header, row = rows[0], rows[1]
    values = dict(zip(header, row, strict=False))
    type_column = next(h for h in header if h in ("request type", "请求类型"))
    assert values[type_column] == "笔记本电脑申领"
    fields_text = next(v for v in row if "型号" in v)
    assert "型号: ThinkPad X1" in fields_text and "用途: 开发" in fields_text


def test_the_request_type_sla_applies_and_pauses_while_awaiting_approval(world, catalogue):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        request = ServiceRequest.objects.get(pk=raise_by_api(world, catalogue).json()["id"])
    assert request.sla_policy.name == "设备申领 3 天"
    clock = request.sla_clocks.get(kind="resolution")
    assert clock.paused_since == start  # waiting for the approval does not count
    with time_machine.travel(start + dt.timedelta(hours=5), tick=False):
        fulfilment.decide(request.approvals.get(), actor=world.requester_a2, approve=True)
    clock.refresh_from_db()
    # 7×24: three days from the request, plus the five hours it waited for approval
    assert clock.paused_since is None
    assert clock.due_at == start + dt.timedelta(days=3, hours=5)
