"""The documents' API beyond the record routes: categories, templates, clearances,
versions, loans, the access log and disposals — scoped (another provider's staff: 404),
role-checked (a customer acting as staff: 403) and answering bad input with 400."""

# covers: DOC-1, DOC-3, DOC-4

from __future__ import annotations

import pytest
from django.urls import reverse

from itsm.core.models import AuditEntry
from itsm.documents import loans
from itsm.documents.models import DocumentCategory

from .conftest import category, make_document


def test_categories_through_the_api(dw):
    url = reverse("api:documentcategory-list")
    data = {"name": "应急预案", "kind": "operations", "code": "YJ", "order": 5}
    assert dw.client("agent").post(url, data, format="json").status_code == 403
    assert dw.client("requester_a").post(url, data, format="json").status_code == 403
    response = dw.client("admin").post(url, data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["provider"] == dw.orgs["P"].pk and body["number_code"] == "YJ"
    assert AuditEntry.objects.filter(object_type="documents.documentcategory",
                                     object_id=str(body["id"]), action="create").exists()
    child = dw.client("admin").post(url, {"name": "机房应急", "parent": body["id"],
                                          "code": ""}, format="json").json()
    assert child["kind"] == "operations" and child["number_code"] == "YJ"
    for bad in ({"name": "x", "kind": "nonsense", "code": "QQ"},
                {"name": "x", "kind": "report", "code": "12"},
                {"name": "x", "kind": "report", "code": "YJ"},
                {"name": "x", "kind": "report"},
                {"name": "x", "parent": child["id"]}):
        response = dw.client("admin").post(url, bad, format="json")
        assert response.status_code == 400, (bad, response.content)
    listed = dw.client("agent").get(url).json()["results"]
    assert {c["code"] for c in listed} >= {"SN", "YJ"}
    assert dw.client("agent_q").get(url).json()["results"] == []
    assert dw.client("agent_q").get(reverse("api:documentcategory-detail",
                                            args=[body["id"]])).status_code == 404
    response = dw.client("admin").delete(reverse("api:documentcategory-detail",
                                                 args=[category("FA").pk]))
    assert response.status_code == 204
    make_document(dw, code="SN")
    response = dw.client("admin").delete(reverse("api:documentcategory-detail",
                                                 args=[category("SN").pk]))
    assert response.status_code == 409


def test_templates_and_clearances_through_the_api(dw):
    response = dw.client("boss").post(reverse("api:documenttemplate-list"), {
        "category": category("SN").pk, "name": "需求说明书模板", "body": "## 功能需求"},
        format="json")
    assert response.status_code == 201, response.content
    assert dw.client("agent").get(reverse("api:documenttemplate-list")).json()["results"]
    assert dw.client("requester_a").get(reverse("api:documenttemplate-list")
                                        ).json()["results"] == []
    url = reverse("api:documentclearance-list")
    grant = {"user": dw.agent.pk, "level": "secret", "reason": "涉密项目"}
    assert dw.client("boss").post(url, grant, format="json").status_code == 403
    response = dw.client("secops").post(url, grant, format="json")
    assert response.status_code == 201 and response.json()["granted_by"] == dw.secops.pk
    assert dw.client("secops").post(url, {**grant, "user": dw.agent_q.pk},
                                    format="json").status_code == 400
    assert dw.client("secops").post(url, {**grant, "level": "top"},
                                    format="json").status_code == 400
    own = dw.client("agent").get(url).json()["results"]
    assert [c["user"] for c in own] == [dw.agent.pk]
    assert len(dw.client("auditor").get(url).json()["results"]) == 2
    assert dw.client("agent_q").get(url).json()["results"] == []


def test_another_providers_staff_gets_404_everywhere(dw):
    document = make_document(dw)
    loan = loans.request_loan(document, actor=dw.agent, purpose="查阅",
                              due_date=document.created_at.date())
    client = dw.client("agent_q")
    for url in (reverse("api:controlleddocument-detail", args=[document.pk]),
                reverse("api:controlleddocument-versions", args=[document.pk]),
                reverse("api:controlleddocument-reviews", args=[document.pk]),
                reverse("api:documentversion-detail", args=[document.current_version_id]),
                reverse("api:documentversion-preview", args=[document.current_version_id]),
                reverse("api:documentloan-detail", args=[loan.pk])):
        assert client.get(url).status_code == 404, url
    for url in (reverse("api:controlleddocument-checkout", args=[document.pk]),
                reverse("api:controlleddocument-confirm", args=[document.pk]),
                reverse("api:documentloan-approve", args=[loan.pk])):
        assert client.post(url, {}, format="json").status_code == 404, url
    response = client.post(reverse("api:documentloan-list"), {
        "document": document.pk, "purpose": "x", "due_date": "2030-01-01"}, format="json")
    assert response.status_code == 400 and "document" in response.json()


def test_a_customer_is_no_agent(dw):
    client = dw.client("requester_a")
    response = client.post(reverse("api:controlleddocument-list"), {
        "title": "伪造", "document_category": category("SN").pk}, format="json")
    assert response.status_code == 403
    public = make_document(dw, confidentiality="public", organization=dw.orgs["A"],
                           requester=dw.requester_a)
    from .conftest import publish

    publish(dw, public, reviewer="lead")
    for url, data in ((reverse("api:controlleddocument-checkout", args=[public.pk]), {}),
                      (reverse("api:controlleddocument-reviews", args=[public.pk]),
                       {"decision": "approved"}),
                      (reverse("api:controlleddocument-transition", args=[public.pk]),
                       {"transition": "archive"})):
        assert client.post(url, data, format="json").status_code == 403, url
    assert client.get(reverse("api:controlleddocument-detail", args=[public.pk])
                      ).status_code == 200


@pytest.mark.parametrize("data", [
    {"title": "x"},  # no category
    {"title": "x", "document_category": 1.5},
    {"title": "x", "document_category": 999999},
    {"title": "", "document_category": "SN"},
    {"title": "x", "document_category": "SN", "importance": "enormous"},
    {"title": "x", "document_category": "SN", "confidentiality": "top secret"},
    {"title": "x", "document_category": "SN", "reviewer": "REQUESTER"},
])
def test_bad_input_is_a_400(dw, data):
    data = dict(data)
    if data.get("document_category") == "SN":
        data["document_category"] = category("SN").pk
    if data.get("reviewer") == "REQUESTER":
        data["reviewer"] = dw.requester_a.pk
    response = dw.client("writer").post(reverse("api:controlleddocument-list"), data,
                                        format="json")
    assert response.status_code == 400, response.content


def test_bad_version_and_review_input_is_a_400(dw):
    document = make_document(dw)
    client = dw.client("writer")
    versions = reverse("api:controlleddocument-versions", args=[document.pk])
    assert client.post(versions, {"text": "a", "file": "not a file",
                                  "change_summary": "x"}).status_code == 400
    assert client.post(versions, {"text": "a" * 60_000, "change_summary": "x"},
                       format="json").status_code == 400
    assert client.post(reverse("api:controlleddocument-reviews", args=[document.pk]),
                       {"decision": "maybe"}, format="json").status_code == 400
    assert client.get(reverse("api:documentaccess-list"), {"user": "abc"}).status_code == 400
    assert client.get(reverse("api:controlleddocument-list"),
                      {"confidentiality": "x"}).status_code == 400
    assert DocumentCategory.objects.count() == 9
