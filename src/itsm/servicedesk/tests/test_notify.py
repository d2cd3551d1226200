"""Ticket events notify the right people, in their language, never the actor."""

# covers: GEN-6, REQ-4, FBK-1

import pytest
from django.core import mail

from itsm.core import services
from itsm.core.models import Notification
from itsm.servicedesk.models import ServiceRequest


@pytest.fixture
def do(django_capture_on_commit_callbacks):
    """Run a service call and what it queued after commit (the sending jobs)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def sent_to(user) -> list[str]:
    return [m.subject for m in mail.outbox if user.email in m.to]


def test_the_lifecycle_notifies_requester_and_handlers(world, do):
    world.requester_a.profile.language = "en"
    world.requester_a.profile.save()
    ticket = do(services.create_record, ServiceRequest, actor=world.requester_a, data={
        "organization": world.orgs["A"], "title": "VPN 无法连接", "requester": world.requester_a})
    assert sent_to(world.requester_a) == []           # they raised it themselves
    ticket = do(services.transition_record, ticket, "assign", actor=world.lead,
                values={"assignee_team": world.teams["desk"]})
    assert [s for s in sent_to(world.agent) if ticket.number in s]
    assert sent_to(world.lead) == []                   # the actor is not told
    ticket = do(services.transition_record, ticket, "start", actor=world.agent,
                values={"assignee": world.agent})
    do(services.add_comment, ticket, actor=world.agent, body="请重启客户端再试")
    replies = [m for m in mail.outbox if world.requester_a.email in m.to]
    assert replies[-1].subject == f"[{ticket.number}] New reply"       # English for them
    assert "请重启客户端再试" in replies[-1].body
    assert replies[-1].extra_headers.get("Auto-Submitted") == "auto-generated"
    do(services.add_comment, ticket, actor=world.requester_a, body="还是不行")
    assert any("还是不行" in m.body for m in mail.outbox if world.agent.email in m.to)
    ticket = do(services.transition_record, ticket, "resolve", actor=world.agent,
                values={"resolution": "更换了证书"})
    assert any("resolved" in s for s in sent_to(world.requester_a))
    do(services.transition_record, ticket, "close", actor=world.agent)
    survey = [m for m in mail.outbox if "/rate/" in m.body]
    assert len(survey) == 1 and world.requester_a.email in survey[0].to
    assert "http://127.0.0.1:8000/rate/" in survey[0].body


def test_staff_creating_for_a_customer_notifies_the_requester_once(world, do):
    ticket = do(services.create_record, ServiceRequest, actor=world.agent, data={
        "organization": world.orgs["A"], "title": "电话报修", "requester": world.requester_a,
        "channel": "phone"})
    assert sent_to(world.requester_a) == [f"[{ticket.number}] 我们已收到您的请求"]
    assert Notification.objects.filter(event="record_created").count() == 1


def test_internal_notes_notify_nobody(world, do):
    ticket = world.request("requester_a")
    before = len(mail.outbox)
    do(services.add_comment, ticket, actor=world.agent, body="内部排查记录", internal=True)
    assert len(mail.outbox) == before
