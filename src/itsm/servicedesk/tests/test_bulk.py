"""Bulk actions on a list: 50 tickets assigned at once give 50 audited assignments and a
result line each; a record that cannot be moved says why while the others are done;
another organization's record is "not found"; customers and the auditor cannot."""

from __future__ import annotations

import pytest
from django.test import Client

from itsm.core.choices import AuditAction
from itsm.core.models import AuditEntry
from itsm.servicedesk.choices import TicketStatus
from itsm.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db


def tickets(world, count: int, requester: str = "requester_a") -> list[ServiceRequest]:
    return [world.request(requester, title=f"批量 {i:02d}") for i in range(count)]


def audited_assignments(records, assignee) -> int:
    ids = [str(r.pk) for r in records]
    return sum(1 for entry in AuditEntry.objects.filter(
        object_type="servicedesk.servicerequest", object_id__in=ids,
        action=AuditAction.TRANSITION)
        if entry.changes.get("transition") == "assign"
        and entry.changes.get("assignee_id", [None, None])[1] == assignee.pk)


def test_page_assigns_fifty_tickets_with_a_line_each(world):
    records = tickets(world, 50)
    client = Client()
    client.force_login(world.lead)
    listing = client.get("/requests/").content.decode()
    assert 'id="bulk-form"' in listing and 'name="ids"' in listing
    # The assignee is typed and offered by the picker API (the auditor is not offered).
    assert 'data-pick="/api/people/pick/?for=assignee"' in listing
    assert "<option" not in listing.split('id="bulk-assignee"')[1].split("</datalist>")[0]

    response = client.post("/requests/bulk/", {
        "ids": [r.pk for r in records], "operation": "assign",
        "assignee": world.engineer.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-ok="1"') == 50 and 'data-ok="0"' not in html
    assert ServiceRequest.objects.filter(assignee=world.engineer,
                                         status=TicketStatus.ASSIGNED).count() == 50
    assert audited_assignments(records, world.engineer) == 50


def test_api_reports_each_record_and_keeps_going(world):
    mine = tickets(world, 3)
    closed = mine[0]
    ServiceRequest.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)
    foreign = world.request("requester_c", title="别家的")  # provider Q's customer
    response = world.client("agent").post("/api/service-requests/bulk/", {
        "ids": [r.pk for r in mine] + [foreign.pk], "transition": "assign",
        "values": {"assignee": world.engineer.pk}}, format="json")
    assert response.status_code == 200, response.content
    lines = {row["id"]: row for row in response.json()}
    assert [lines[r.pk]["ok"] for r in mine] == [False, True, True]
    assert "Assign" in lines[closed.pk]["message"] or "分派" in lines[closed.pk]["message"]
    assert lines[foreign.pk] == {"id": foreign.pk, "number": "", "ok": False,
                                 "message": lines[foreign.pk]["message"], "url": ""}
    foreign.refresh_from_db()
    assert foreign.assignee_id is None


def test_bulk_comment_and_field_changes_through_the_api(world):
    records = tickets(world, 2)
    api = world.client("agent")
    response = api.post("/api/service-requests/bulk/", {
        "ids": [r.pk for r in records], "comment": "已统一处理", "internal": True},
        format="json")
    assert all(row["ok"] for row in response.json())
    assert all(r.comments.filter(internal=True, body="已统一处理").exists() for r in records)
    response = api.post("/api/service-requests/bulk/", {
        "ids": [r.pk for r in records], "changes": {"priority": 1}}, format="json")
    assert all(row["ok"] for row in response.json())
    assert set(ServiceRequest.objects.filter(pk__in=[r.pk for r in records])
               .values_list("priority", flat=True)) == {1}


@pytest.mark.parametrize("body", [
    {"ids": [], "comment": "x"},
    {"ids": [1], "changes": {"priority": 1}, "transition": "assign"},
    {"ids": [1]},
    {"ids": [1], "changes": {"title": "改标题"}},
    {"ids": list(range(1, 202)), "comment": "x"},
    {"ids": ["a"], "comment": "x"},
])
def test_bad_bulk_requests_are_400_with_a_message(world, body):
    response = world.client("agent").post("/api/service-requests/bulk/", body, format="json")
    assert response.status_code == 400, response.content


def test_customers_and_the_auditor_cannot_act_in_bulk(world):
    record = world.request("requester_a")
    payload = {"ids": [record.pk], "comment": "hi"}
    assert world.client("auditor").post("/api/service-requests/bulk/", payload,
                                        format="json").status_code == 403
    response = world.client("requester_a").post("/api/service-requests/bulk/", payload,
                                                format="json")
    assert response.status_code == 403
    client = Client()
    client.force_login(world.requester_a)
    assert client.post("/requests/bulk/", {"ids": [record.pk], "operation": "comment",
                                           "comment": "hi"}).status_code == 404
    assert 'id="bulk-form"' not in client.get("/requests/").content.decode()
    client.force_login(world.auditor)
    assert client.post("/requests/bulk/", {"ids": [record.pk], "operation": "comment",
                                           "comment": "hi"}).status_code == 403


def test_page_without_a_choice_is_a_400_with_the_reason(world):
    record = world.request("requester_a")
    client = Client()
    client.force_login(world.agent)
    response = client.post("/requests/bulk/", {"ids": [record.pk], "operation": "assign"})
    assert response.status_code == 400
    assert 'id="bulk-errors"' in response.content.decode()
    assert client.post("/requests/bulk/", {"operation": "comment", "comment": "x"}
                       ).status_code == 400


def test_pickers_offer_eligible_people_by_name(world):
    world.lead.first_name, world.lead.last_name = "伟", "张"
    world.lead.save()
    api = world.client("agent")
    assignees = api.get("/api/people/pick/", {"for": "assignee"}).json()
    labels = {row["label"] for row in assignees}
    assert "张伟 (一线服务台)" in labels
    assert not any(label.startswith(("auditor", "requester")) for label in labels)
    assert api.get("/api/people/pick/", {"for": "assignee", "q": "张"}).json() == [
        {"id": world.lead.pk, "label": "张伟 (一线服务台)"}]
    requesters = api.get("/api/people/pick/", {"for": "requester",
                                               "organization": world.orgs["A"].pk}).json()
    assert {row["label"] for row in requesters} >= {"requester_a (华东制造)"}
    assert not any("requester_b" in row["label"] for row in requesters)
    # another provider's customers are never offered, a customer picks no assignee
    assert api.get("/api/people/pick/", {"for": "requester",
                                         "organization": world.orgs["C"].pk}).json() == []
    assert world.client("requester_a").get("/api/people/pick/").json() == []
    assert api.get("/api/people/pick/", {"for": "boss"}).status_code == 400
    # the ticket form names people the same way
    client = Client()
    client.force_login(world.agent)
    form = client.get("/requests/new/").content.decode()
    assert "张伟 (一线服务台)" in form and ">auditor<" not in form
