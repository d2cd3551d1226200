"""Merging duplicate tickets and linking related records (INC-3), API and web UI.

Access to the routes (404 out of scope, auditor 403, anonymous refused) is covered by
the access matrix in core/tests/test_access.py; this module covers what they do.
"""

# covers: INC-3 (follow up: duplicates merged, related records linked), GEN-AUDIT

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from itsm.core import services
from itsm.core.choices import LinkKind
from itsm.core.models import AuditEntry, RecordLink
from itsm.servicedesk import services as sd_services
from itsm.servicedesk.models import Incident, ServiceRequest


def ticket(world, requester: str = "requester_a", model=ServiceRequest, **data):
    user = world.users[requester]
    return services.create_record(model, actor=user, data={
        "organization": user.profile.organization, "title": f"打印机卡纸 {requester}",
        "requester": user, **data})


def merge_url(record) -> str:
    name = "servicerequest" if isinstance(record, ServiceRequest) else "incident"
    return reverse(f"api:{name}-merge", args=[record.pk])


def links_url(record) -> str:
    name = "servicerequest" if isinstance(record, ServiceRequest) else "incident"
    return reverse(f"api:{name}-links", args=[record.pk])


def link_url(record, link_id: int) -> str:
    name = "servicerequest" if isinstance(record, ServiceRequest) else "incident"
    return reverse(f"api:{name}-link-detail", args=[record.pk, link_id])


def browser(world, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def page(response) -> str:
    return html.unescape(response.content.decode())


def zh(text: str, **params: object) -> str:
    """A message as people see it by default (zh-Hans), with its parameters."""
    with translation.override("zh-hans"):
        return gettext(text) % {k: str(v) for k, v in params.items()} if params \
            else gettext(text)


def audit_of(record, **filters):
    return AuditEntry.objects.filter(object_type=record._meta.label_lower,
                                     object_id=str(record.pk), **filters)


# --- Merge ----------------------------------------------------------------------------


def test_merge_happy_path(world):
    dup, target = ticket(world, "requester_a"), ticket(world, "requester_a2")
    response = world.client("agent").post(merge_url(dup), {"into": target.pk,
                                                           "comment": "同一台打印机"},
                                          format="json")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == target.pk
    dup.refresh_from_db()
    assert dup.status == "cancelled" and dup.merged_into == target and dup.closed_at
    # Cancelled through the workflow, by the merging agent, with the comment.
    cancel = audit_of(dup, action="transition").get()
    assert cancel.actor_id == world.agent.pk and cancel.changes["transition"] == "cancel"
    body = dup.comments.get().body
    assert target.number in body and "同一台打印机" in body
    # merged_into is audited with its diff; the target gets an entry as well.
    entry = audit_of(dup, action="update").get()
    assert entry.changes == {"merged_into_id": [None, target.pk]}
    assert entry.actor_id == world.agent.pk
    assert audit_of(target, action="update").get().changes == {"merged": [None, dup.number]}
    # The duplicate_of link, audited.
    link = RecordLink.objects.get()
    assert (link.source, link.target, link.kind) == (dup, target, "duplicate_of")
    assert AuditEntry.objects.filter(object_type="core.recordlink", action="create").exists()
    # Both timelines tell it; another requester's number stays internal on the target.
    assert dup.timeline.filter(kind="updated", data__merged_into=target.number).exists()
    event = target.timeline.get(kind="updated", data__merged=dup.number)
    assert event.internal
    # The target's page links the duplicate; the duplicate's page names the target.
    agent = browser(world, "agent")
    target_page = page(agent.get(target.get_absolute_url()))
    assert zh("merged %(number)s into this record", number=dup.number) in target_page
    assert zh("Merged into %(number)s.", number=target.number) in page(
        agent.get(dup.get_absolute_url()))


def test_merge_by_number_and_same_requester_event_is_public(world):
    dup, target = ticket(world), ticket(world)
    response = world.client("agent").post(merge_url(dup), {"into": target.number},
                                          format="json")
    assert response.status_code == 200
    assert not target.timeline.get(kind="updated", data__merged=dup.number).internal


@pytest.mark.parametrize("case", ["other_org", "other_type", "itself"])
def test_merge_refusals_400(world, case):
    dup = ticket(world)
    into = {"other_org": lambda: ticket(world, "requester_b").pk,
            "other_type": lambda: ticket(world, model=Incident).number,
            "itself": lambda: dup.pk}[case]()
    response = world.client("agent").post(merge_url(dup), {"into": into}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["into"]
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into_id) == ("new", None)
    assert not RecordLink.objects.exists()


def test_merge_refuses_closed_and_in_progress_tickets_409(world):
    dup, target = ticket(world), ticket(world)
    services.transition_record(target, "cancel", actor=world.agent, comment="不需要了")
    client = world.client("agent")
    response = client.post(merge_url(dup), {"into": target.pk}, format="json")
    assert response.status_code == 409
    assert target.number in response.json()["detail"]
    other = ticket(world)
    services.transition_record(dup, "start", actor=world.agent, values={"assignee": world.agent})
    response = client.post(merge_url(dup), {"into": other.pk}, format="json")
    assert response.status_code == 409
    assert dup.number in response.json()["detail"]
    # A merged duplicate cannot be merged again (it is cancelled).
    first, second = ticket(world), ticket(world)
    sd_services.merge_tickets(first, into=second, actor=world.agent)
    response = client.post(merge_url(first), {"into": other.pk}, format="json")
    assert response.status_code == 409


def test_merge_by_a_customer_is_403(world):
    dup, target = ticket(world), ticket(world)
    response = world.client("requester_a").post(merge_url(dup), {"into": target.pk},
                                                format="json")
    assert response.status_code == 403
    assert world.client("custadmin_a").post(merge_url(dup), {"into": target.pk},
                                            format="json").status_code == 403
    dup.refresh_from_db()
    assert dup.status == "new"


def test_merge_outside_scope_is_404(world):
    dup, target, theirs = ticket(world), ticket(world), ticket(world, "requester_c")
    # The ticket in the URL belongs to another provider's customer.
    response = world.client("agent_q").post(merge_url(dup), {"into": target.pk},
                                            format="json")
    assert response.status_code == 404
    # The target is one the agent cannot see (by id or number).
    client = world.client("agent")
    assert client.post(merge_url(dup), {"into": theirs.pk}, format="json").status_code == 404
    assert client.post(merge_url(dup), {"into": theirs.number},
                       format="json").status_code == 404
    dup.refresh_from_db()
    assert dup.status == "new"


def test_merge_in_the_web_ui(world):
    dup, target = ticket(world, model=Incident), ticket(world, model=Incident)
    agent = browser(world, "agent")
    detail = page(agent.get(dup.get_absolute_url()))
    assert 'id="merge-ticket"' in detail
    assert 'id="merge-ticket"' not in page(browser(world, "requester_a").get(
        dup.get_absolute_url()))
    url = reverse("servicedesk:incident-merge", args=[dup.pk])
    response = agent.post(url, {"into": "INC-1999-000001"})
    assert response.status_code == 400
    assert zh("No ticket “%(into)s” that you can see.", into="INC-1999-000001") in page(response)
    response = agent.post(url, {"into": target.number, "comment": ""})
    assert response.status_code == 302 and response["Location"] == target.get_absolute_url()
    dup.refresh_from_db()
    assert dup.merged_into == target and dup.status == "cancelled"
    response = browser(world, "requester_a").post(
        reverse("servicedesk:incident-merge", args=[target.pk]), {"into": dup.number})
    assert response.status_code == 403


# --- Links ----------------------------------------------------------------------------


def test_link_list_and_delete(world):
    req, inc = ticket(world), ticket(world, model=Incident)
    client = world.client("agent")
    response = client.post(links_url(req), {"target": inc.number, "kind": "caused_by"},
                           format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["direction"] == "outgoing" and body["kind"] == "caused_by"
    assert body["record"] == {"type": "incident", "id": inc.pk, "number": inc.number,
                              "title": inc.title, "status": "new", "status_label": zh("New"),
                              "url": inc.get_absolute_url()}
    link_id = body["id"]
    assert AuditEntry.objects.filter(object_type="core.recordlink", object_id=str(link_id),
                                     action="create").exists()
    assert req.timeline.filter(data__linked=inc.number, internal=True).exists()
    # Listed from both ends.
    [incoming] = client.get(links_url(inc)).json()
    assert incoming["direction"] == "incoming" and incoming["record"]["number"] == req.number
    # By type and id as well.
    other = ticket(world)
    response = client.post(links_url(req), {"target_type": "servicerequest",
                                            "target_id": other.pk}, format="json")
    assert response.status_code == 201
    assert len(client.get(links_url(req)).json()) == 2
    # Removed (from the other end), audited.
    assert client.delete(link_url(inc, link_id)).status_code == 204
    assert [i["record"]["number"] for i in client.get(links_url(req)).json()] == [other.number]
    assert AuditEntry.objects.filter(object_type="core.recordlink", object_id=str(link_id),
                                     action="delete").exists()
    assert client.delete(link_url(inc, link_id)).status_code == 404


def test_link_duplicates_and_itself_are_400(world):
    a, b = ticket(world), ticket(world)
    client = world.client("agent")
    assert client.post(links_url(a), {"target": b.number}, format="json").status_code == 201
    for record, target in ((a, b.number), (b, a.number), (a, a.number)):
        response = client.post(links_url(record), {"target": target}, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["target"]
    # Another kind between the same records is a link of its own.
    assert client.post(links_url(b), {"target": a.number, "kind": "part_of"},
                       format="json").status_code == 201
    assert client.post(links_url(a), {}, format="json").status_code == 400
    assert client.post(links_url(a), {"target": b.number, "kind": "nonsense"},
                       format="json").status_code == 400


def test_a_linked_record_the_reader_cannot_see_is_not_listed(world):
    mine, theirs = ticket(world, "requester_a"), ticket(world, "requester_a2")
    sd_services.link_records(mine, theirs, kind="related", actor=world.agent)
    assert world.client("requester_a").get(links_url(mine)).json() == []
    assert len(world.client("custadmin_a").get(links_url(mine)).json()) == 1
    assert len(world.client("agent").get(links_url(mine)).json()) == 1
    detail = page(browser(world, "requester_a").get(mine.get_absolute_url()))
    assert theirs.number not in detail and zh("No linked records.") in detail
    assert theirs.number in page(browser(world, "agent").get(mine.get_absolute_url()))


def test_links_outside_scope(world):
    mine, theirs = ticket(world), ticket(world, "requester_c")
    # Another provider's agent: the record in the URL is a 404, read and write.
    client_q = world.client("agent_q")
    assert client_q.get(links_url(mine)).status_code == 404
    assert client_q.post(links_url(mine), {"target": theirs.number},
                         format="json").status_code == 404
    # A target the agent cannot see: 400 without telling whether it exists.
    response = world.client("agent").post(links_url(mine), {"target": theirs.number},
                                          format="json")
    assert response.status_code == 400
    with pytest.raises(Exception):  # noqa: B017 - the service refuses it as well
        sd_services.link_records(mine, theirs, kind="related", actor=world.agent)
    assert not RecordLink.objects.exists()
    # A link of another record is not reachable through this one.
    a, b, c = ticket(world), ticket(world), ticket(world)
    link = sd_services.link_records(a, b, kind="related", actor=world.agent)
    assert world.client("agent").delete(link_url(c, link.pk)).status_code == 404


def test_customers_may_not_link_or_unlink(world):
    a, b = ticket(world), ticket(world)
    client = world.client("requester_a")
    assert client.post(links_url(a), {"target": b.number}, format="json").status_code == 403
    link = sd_services.link_records(a, b, kind="related", actor=world.agent)
    assert client.delete(link_url(a, link.pk)).status_code == 403
    assert RecordLink.objects.count() == 1


def test_link_and_unlink_in_the_web_ui(world):
    a, b = ticket(world), ticket(world, model=Incident)
    agent = browser(world, "agent")
    assert 'id="link-record"' in page(agent.get(a.get_absolute_url()))
    response = agent.post(reverse("servicedesk:request-link", args=[a.pk]),
                          {"target": b.number, "kind": "related"})
    assert response.status_code == 302
    detail = page(agent.get(a.get_absolute_url()))
    assert b.number in detail and b.title in detail
    response = agent.post(reverse("servicedesk:request-link", args=[a.pk]),
                          {"target": b.number, "kind": "related"})
    with translation.override("zh-hans"):
        kind = str(LinkKind.RELATED.label)
    assert response.status_code == 400
    assert zh("%(a)s and %(b)s are already linked as “%(kind)s”.", a=a.number, b=b.number,
              kind=kind) in page(response)
    link = RecordLink.objects.get()
    response = agent.post(reverse("servicedesk:incident-unlink", args=[b.pk, link.pk]))
    assert response.status_code == 302
    assert not RecordLink.objects.exists()
    # Customers see the list, not the forms.
    assert 'id="link-record"' not in page(browser(world, "requester_a").get(
        a.get_absolute_url()))


def test_deleting_a_record_removes_its_links(world):
    a = world.request("requester_a", title="A")
    b = world.request("requester_a", title="B")
    sd_services.link_records(a, b, kind=LinkKind.RELATED, actor=world.agent)
    assert RecordLink.objects.count() == 1
    services.delete_record(b, actor=world.admin)
    assert RecordLink.objects.count() == 0
