"""The agent's queues: mine, my teams, unassigned, breaching soon, breached."""

# covers: SLM-7, REQ-3

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from itsm.core import services
from itsm.servicedesk.models import ServiceRequest


def make(world, title, *, hours_ago=0.0, priority=3, **data):
    when = timezone.now() - dt.timedelta(hours=hours_ago)
    with time_machine.travel(when, tick=False):
        return services.create_record(ServiceRequest, actor=world.agent, data={
            "organization": world.orgs["A"], "requester": world.requester_a, "title": title,
            "priority": priority, **data})


def queue(world, name, username="agent"):
    response = world.client(username).get("/api/service-requests/", {"queue": name})
    assert response.status_code == 200, response.content
    return sorted(r["title"] for r in response.json()["results"])


@pytest.fixture
def policy_24x7(world):
    """General priority: resolution within 8 hours, around the clock."""
    from itsm.catalog.models import SLAPolicy, SLATarget
    from itsm.core.models import BusinessCalendar

    calendar = BusinessCalendar.objects.get_or_create(name="7×24",
                                                      defaults={"always_on": True})[0]
    policy = SLAPolicy.objects.create(provider=world.orgs["P"], name="7×24",
                                      calendar=calendar)
    SLATarget.objects.create(policy=policy, priority=3, response_minutes=60,
                             resolution_minutes=8 * 60)
    return policy


def test_queues(world, policy_24x7):
    make(world, "mine", assignee=world.agent)
    make(world, "team", assignee_team=world.teams["desk"], assignee=world.engineer)
    make(world, "unassigned")
    make(world, "soon", hours_ago=6, assignee=world.engineer)       # due in 2 h
    make(world, "late", hours_ago=9, assignee=world.engineer)       # due 1 h ago
    done = make(world, "done late", hours_ago=20, assignee=world.agent)
    done = services.transition_record(done, "start", actor=world.agent,
                                      values={"assignee": world.agent})
    services.transition_record(done, "resolve", actor=world.agent,
                               values={"resolution": "ok"})

    assert queue(world, "mine") == ["mine"]
    assert queue(world, "my_teams") == ["team"]
    assert queue(world, "my_teams", "engineer") == []
    assert queue(world, "unassigned") == ["unassigned"]
    assert queue(world, "breaching") == ["soon"]
    assert queue(world, "breached") == ["late"]
    response = world.client("agent").get("/api/service-requests/", {"queue": "everything"})
    assert response.status_code == 400
    assert "queue" in response.json()


def test_queue_tabs_in_the_agent_list(world, policy_24x7):
    from django.test import Client

    make(world, "late", hours_ago=30, assignee=world.engineer)
    make(world, "fresh")
    client = Client()
    client.force_login(world.agent)
    page = client.get("/requests/", {"queue": "breached", "ordering": "due_at"}).content.decode()
    assert 'id="queues"' in page and "sla-countdown" in page
    assert ">late<" in page and ">fresh<" not in page
    client.force_login(world.requester_a)
    assert 'id="queues"' not in client.get("/requests/").content.decode()
