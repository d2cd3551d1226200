"""Automatic assignment of new tickets (REQ-3).

A ticket created without a team or assignee goes to the owner team of its service and,
within the team, to one active member: the one with the fewest open tickets
(``least_loaded``, the default) or the next in turn (``round_robin``). The choice is
derived from the database only, so it survives restarts and works across processes.
"""

# covers: REQ-3 (preliminary assessment: assign to a team or person)

from __future__ import annotations

import html
import importlib

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from itsm.catalog.models import Service
from itsm.core import directory, services
from itsm.core.choices import Role
from itsm.core.models import AuditEntry, BusinessCalendar, Team
from itsm.servicedesk import services as sd_services
from itsm.servicedesk.models import Incident, ServiceRequest


@pytest.fixture
def desk(world) -> Team:
    """The P service desk with three members: agent, engineer, lead (ids ascending)."""
    team = world.teams["desk"]
    team.members.add(world.engineer)
    return team


@pytest.fixture
def printing(world, desk) -> Service:
    calendar, _ = BusinessCalendar.objects.get_or_create(name="7x24 assignment",
                                                         defaults={"always_on": True})
    service = Service.objects.create(provider=world.orgs["P"], code="printing",
                                     name="打印服务", calendar=calendar, owner_team=desk)
    service.customers.add(world.orgs["A"])  # customers raise tickets on their services
    return service


def raise_ticket(world, service=None, *, by: str = "requester_a", model=ServiceRequest,
                 **data):
    user = world.users[by]
    payload = {"organization": world.orgs["A"], "title": "打印机卡纸", "service": service,
               "requester": world.requester_a, **data}
    ticket = services.create_record(model, actor=user, data=payload)
    ticket.refresh_from_db()
    return ticket


def assign(world, ticket, username: str):
    return services.transition_record(ticket, "assign", actor=world.agent,
                                      values={"assignee": world.users[username]})


def test_least_loaded_picks_the_member_with_fewest_open_tickets(world, printing, settings):
    settings.ITSM_ASSIGNMENT_STRATEGY = "least_loaded"
    for username, count in (("agent", 2), ("engineer", 1)):
        for _ in range(count):
            assign(world, raise_ticket(world), username)
    # Resolved work no longer counts: the lead's resolved ticket leaves them the lightest.
    done = assign(world, raise_ticket(world), "lead")
    services.transition_record(done, "start", actor=world.lead)
    services.transition_record(done, "resolve", actor=world.lead, values={"resolution": "ok"})

    ticket = raise_ticket(world, printing)
    assert ticket.assignee == world.lead
    assert ticket.assignee_team == printing.owner_team
    assert ticket.status == "assigned"
    # Next: agent has 2, engineer 1, lead 1 -> the engineer (the lead was served just now).
    assert raise_ticket(world, printing).assignee == world.engineer


def test_assignment_goes_through_the_workflow_audit_and_timeline(world, printing):
    ticket = raise_ticket(world, printing)
    entry = AuditEntry.objects.filter(object_type="servicedesk.servicerequest",
                                      object_id=str(ticket.pk), action="transition").get()
    assert entry.actor_id is None and entry.changes["transition"] == "assign"
    assert entry.changes["assignee_id"] == [None, ticket.assignee_id]
    kinds = list(ticket.timeline.values_list("kind", flat=True))
    assert kinds == ["created", "transitioned", "updated"]
    event = ticket.timeline.get(kind="updated")
    assert event.data["fields"] == ["assignee_team", "assignee"]
    assert event.data["strategy"] == "least_loaded"
    assert event.data["reason"] == sd_services.REASONS["least_loaded"]
    assert event.data["reason_params"] == {"team": "一线服务台", "service": "打印服务"}
    assert not event.internal
    # SLA clocks were started and follow the assigned ticket.
    from itsm.servicedesk.sla import clocks_of

    assert set(clocks_of(ticket)) == {"response", "resolution"}
    page = world.client("agent").get(reverse("servicedesk:request-detail", args=[ticket.pk]))
    with translation.override("zh-hans"):
        reason = gettext(sd_services.REASONS["least_loaded"]) % event.data["reason_params"]
    assert reason in html.unescape(page.content.decode())


def test_round_robin_cycles_through_members_in_order(world, printing, settings):
    settings.ITSM_ASSIGNMENT_STRATEGY = "round_robin"
    picked = [raise_ticket(world, printing).assignee for _ in range(4)]
    assert picked == [world.agent, world.engineer, world.lead, world.agent]
    event = ServiceRequest.objects.latest("pk").timeline.get(kind="updated")
    assert event.data["strategy"] == "round_robin"


def test_round_robin_survives_a_restart(world, printing, settings):
    """No process state: after reloading the module (a fresh process), the turn
    continues from what the database says, including assignments made by hand."""
    settings.ITSM_ASSIGNMENT_STRATEGY = "round_robin"
    assert raise_ticket(world, printing).assignee == world.agent
    importlib.reload(sd_services)
    assert raise_ticket(world, printing).assignee == world.engineer
    # The lead got a ticket of this team by hand meanwhile: the agent's turn comes first.
    services.create_record(ServiceRequest, actor=world.agent, data={
        "organization": world.orgs["A"], "title": "x", "requester": world.requester_a,
        "assignee_team": printing.owner_team, "assignee": world.lead})
    importlib.reload(sd_services)
    assert raise_ticket(world, printing).assignee == world.agent


def test_an_explicit_assignee_or_team_wins(world, printing):
    ticket = raise_ticket(world, printing, by="agent", assignee=world.engineer)
    assert (ticket.assignee, ticket.assignee_team, ticket.status) == (world.engineer, None, "new")
    other = directory.create_object(Team, actor=None, data={
        "organization": world.orgs["P"], "name": "二线", "members": [world.lead]})
    ticket = raise_ticket(world, printing, by="agent", assignee_team=other)
    assert (ticket.assignee, ticket.assignee_team) == (None, other)
    assert not ticket.timeline.filter(kind="updated").exists()


def test_customers_cannot_choose_so_their_tickets_are_assigned(world, printing):
    """Staff fields a customer sends are dropped; the rules apply (API create)."""
    response = world.client("requester_a").post(reverse("api:servicerequest-list"), {
        "organization": world.orgs["A"].pk, "title": "打印机卡纸", "service": printing.pk,
        "assignee": world.engineer.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "assigned"  # the answer shows the assigned ticket
    assert body["assignee"] == world.agent.pk


def test_off_does_nothing(world, printing, settings):
    settings.ITSM_ASSIGNMENT_STRATEGY = "off"
    ticket = raise_ticket(world, printing)
    assert (ticket.assignee, ticket.assignee_team, ticket.status) == (None, None, "new")
    assert not ticket.timeline.filter(kind="updated").exists()


@pytest.mark.parametrize("strategy", ["least_loaded", "round_robin"])
def test_inactive_and_non_staff_members_are_skipped(world, printing, settings, strategy):
    settings.ITSM_ASSIGNMENT_STRATEGY = strategy
    directory.update_person(world.agent, actor=None, data={"is_active": False})
    world.engineer.groups.remove(Group.objects.get(name=Role.AGENT))  # no working role left
    printing.owner_team.members.add(world.requester_a)  # a customer in the team by mistake
    picked = {raise_ticket(world, printing).assignee for _ in range(3)}
    assert picked == {world.lead}


def test_a_team_without_members_leaves_the_ticket_unassigned(world, printing):
    printing.owner_team.members.clear()
    ticket = raise_ticket(world, printing)
    assert (ticket.assignee, ticket.assignee_team, ticket.status) == (None, None, "new")
    note = ticket.timeline.get(kind="updated")
    assert note.internal and note.data["reason"] == sd_services.REASONS["no_member"]


def test_no_service_or_a_service_without_owner_team_means_no_assignment(world, printing):
    assert raise_ticket(world, None).status == "new"
    printing.owner_team = None
    printing.save()
    assert raise_ticket(world, printing).status == "new"


def test_a_team_of_another_provider_is_ignored(world, printing):
    printing.owner_team = world.teams["q_desk"]
    printing.save()
    ticket = raise_ticket(world, printing)
    assert (ticket.assignee, ticket.status) == (None, "new")


def test_incidents_are_assigned_and_load_counts_both_types(world, printing):
    assign(world, raise_ticket(world), "agent")
    assign(world, raise_ticket(world, model=Incident), "engineer")
    assign(world, raise_ticket(world, model=Incident), "engineer")
    ticket = raise_ticket(world, printing, model=Incident)
    assert ticket.assignee == world.lead
    # agent 1 open, engineer 2, lead 1 -> agent (served less recently than the lead)
    assert raise_ticket(world, printing, model=Incident).assignee == world.agent


def test_an_unknown_strategy_is_refused(settings):
    settings.ITSM_ASSIGNMENT_STRATEGY = "random"
    with pytest.raises(ValueError):
        sd_services.assignment_strategy()
