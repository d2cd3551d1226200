"""Requirement analysis (REQ-5): staff analyse a service request into a requirement
document (SN<year><nnn>) of its organization; the requester sees it on the request and
confirms it; another organization never sees it; a new version needs a new
confirmation."""

# covers: REQ-5, DOC-1, DOC-2

from __future__ import annotations

import time_machine
from django.urls import reverse

from itsm.core.choices import TimelineKind
from itsm.core.models import Notification
from itsm.core.tests.scenario import body_text
from itsm.documents import services
from itsm.documents.models import ControlledDocument

from .conftest import at


def test_the_requirement_journey(dw, django_capture_on_commit_callbacks):
    request = dw.request("requester_a", title="新建报销审批流程",
                         description="财务部需要线上报销审批")
    request_url = request.get_absolute_url()
    agent = dw.client("agent")
    page = body_text(agent.get(request_url))
    assert 'id="action-requirement-analysis"' in page
    assert 'id="action-requirement-analysis"' not in body_text(
        dw.client("requester_a").get(request_url))
    create = reverse("documents:requirement-create") + f"?request={request.pk}"
    form = body_text(agent.get(create))
    assert "新建报销审批流程" in form  # the title prefilled from the request
    response = agent.post(create, {"request": request.pk, "title": "报销审批需求",
                                   "importance": "ordinary", "confidentiality": "internal"})
    assert response.status_code == 400  # no section written
    with time_machine.travel(at("2026-07-01 10:00"), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        response = agent.post(create, {
            "request": request.pk, "title": "报销审批需求", "functional": "三级审批",
            "performance": "1 秒内响应", "interface": "对接 ERP", "data": "保留 10 年",
            "importance": "ordinary", "confidentiality": "internal"})
    assert response.status_code == 302
    document = ControlledDocument.objects.get()
    assert document.number == "SN2026001" and document.kind == "requirement"
    assert (document.organization, document.source_request, document.requester) == (
        dw.orgs["A"], request, dw.requester_a)
    assert "三级审批" in document.current_version.text
    assert "对接 ERP" in document.current_version.text
    assert Notification.objects.filter(event="approval_requested",
                                       user=dw.requester_a).exists()

    # The requester sees it on the request and on its page, and confirms it.
    customer = dw.client("requester_a")
    assert document.number in body_text(customer.get(request_url))
    page = body_text(customer.get(document.get_absolute_url()))
    assert "三级审批" in page and 'id="confirm"' in page
    inbox = {s["key"]: s for s in customer.get(reverse("api:me-inbox")).json()}
    assert inbox["documents-confirm"]["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = customer.post(reverse("documents:document-confirm", args=[document.pk]))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.confirmed_by == dw.requester_a and document.is_confirmed
    assert request.timeline.filter(kind=TimelineKind.UPDATED,
                                   data__reason_params__number=document.number,
                                   actor=dw.requester_a).exists()
    assert 'id="confirmed"' in body_text(customer.get(document.get_absolute_url()))
    assert Notification.objects.filter(event="approval_decided", user=dw.agent).exists()
    assert customer.post(reverse("api:controlleddocument-confirm", args=[document.pk])
                         ).status_code == 409  # confirmed already

    # A new version needs a new confirmation (through the API this time).
    services.add_version(document, actor=dw.agent, text="四级审批", change_summary="增加一级")
    document.refresh_from_db()
    assert not document.is_confirmed
    response = dw.client("custadmin_a").post(
        reverse("api:controlleddocument-confirm", args=[document.pk]))
    assert response.status_code == 200 and response.json()["confirmed_by"] == dw.custadmin_a.pk

    # Nobody else of the customer's side confirms; other organizations do not see it.
    assert dw.client("requester_a2").get(document.get_absolute_url()).status_code == 404
    for identity in ("requester_b", "custadmin_b", "requester_c", "agent_q"):
        client = dw.client(identity)
        assert client.get(document.get_absolute_url()).status_code == 404
        assert client.get(reverse("api:controlleddocument-detail", args=[document.pk])
                          ).status_code == 404
        assert client.post(reverse("api:controlleddocument-confirm", args=[document.pk])
                           ).status_code == 404


def test_customers_do_not_analyse_nor_act_as_staff(dw):
    request = dw.request("requester_a")
    client = dw.client("requester_a")
    url = reverse("documents:requirement-create") + f"?request={request.pk}"
    assert client.get(url).status_code == 403
    response = client.post(reverse("api:controlleddocument-requirements"), {
        "request": request.pk, "title": "需求", "functional": "x"}, format="json")
    assert response.status_code == 403
    assert dw.client("agent_q").get(url).status_code == 404


def test_the_api_creates_a_requirement_document(dw):
    request = dw.request("requester_b")
    response = dw.client("agent").post(reverse("api:controlleddocument-requirements"), {
        "request": request.pk, "title": "数据迁移需求", "data": "迁移 5 年数据"},
        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("SN") and body["kind"] == "requirement"
    assert body["organization"] == dw.orgs["B"].pk and body["source_request"] == request.pk
    response = dw.client("agent").post(reverse("api:controlleddocument-requirements"), {
        "request": 999999, "title": "x", "data": "y"}, format="json")
    assert response.status_code == 404
