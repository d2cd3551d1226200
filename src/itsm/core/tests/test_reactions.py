"""Reactions to the record signals run in the order ``core.reactions`` declares, and
every app connects its receivers in its ``receivers.py``.

The order tests wrap the real reactions through the registry (each still does its work)
and record what ran: a new service request is clocked, assigned, then its requester is
told; a qualifying incident is assigned before it becomes major (the major incident
inherits the team) and the notifications come last (they show the assignee).
"""

# covers: REQ-3, INC-5, GEN-6

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal

from itsm.catalog.models import Service
from itsm.core import reactions, services, signals
from itsm.core.models import BusinessCalendar, Notification, NotificationTemplate, display_name
from itsm.servicedesk.models import Incident, MajorIncident, ServiceRequest, Ticket

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # src/itsm


@pytest.fixture
def ran(monkeypatch) -> list[tuple[str, str, str]]:
    """(signal, step, sender) of every reaction as it starts, in the order they run; each
    real reaction still runs (wrapped through the registry)."""
    calls: list[tuple[str, str, str]] = []

    def spy(sequence: reactions.Sequence, reaction: reactions.Reaction):
        real = reaction.func

        def run(**kwargs):
            calls.append((sequence.name, reaction.step, kwargs["sender"].__name__))
            return real(**kwargs)

        return run

    for sequence in reactions.SEQUENCES.values():
        for sender in sequence.senders():
            for reaction in sequence.reactions(sender):
                monkeypatch.setattr(reaction, "func", spy(sequence, reaction))
    return calls


@pytest.fixture
def always_on(world) -> Service:
    """A 7×24 service of P whose owner team is the service desk (agent, lead)."""
    return Service.objects.create(provider=world.orgs["P"], code="mes", name="生产系统",
                                  calendar=BusinessCalendar.objects.get(name="7×24"),
                                  owner_team=world.teams["desk"])


@pytest.fixture
def receipt_template(world) -> NotificationTemplate:
    """P's receipt shows the assignee: only known when notifications come last."""
    return NotificationTemplate.objects.create(
        provider=world.orgs["P"], event="record_created", language="zh-hans",
        subject_template="{{ default_subject }}",
        body_template="{{ default_body }}\n处理人：{{ assignee }}")


def raise_ticket(world, model: type[Ticket], service: Service, **data) -> Ticket:
    """Raised by an agent for requester_a by phone, so the requester is told."""
    ticket = services.create_record(model, actor=world.agent, data={
        "organization": world.orgs["A"], "requester": world.requester_a, "channel": "phone",
        "title": "MES 数据库宕机", "service": service, **data})
    ticket.refresh_from_db()
    return ticket


def told(ticket: Ticket, event: str) -> Notification:
    return Notification.objects.get(event=event, record_id=ticket.pk,
                                    record_type__model=ticket._meta.model_name)


# --- The declared order is the order they run ----------------------------------------------


def test_a_service_request_is_clocked_assigned_then_notified(world, always_on,
                                                              receipt_template, ran):
    ticket = raise_ticket(world, ServiceRequest, always_on, priority=1)

    assert ran == [
        ("record_preparing", "defaults", "ServiceRequest"),  # its priority from the matrix
        ("record_preparing", "request_type", "ServiceRequest"),  # its catalogue type's fields
        ("record_inserting", "clocks", "ServiceRequest"),    # its SLA clocks, planned
        ("record_created", "clocks", "ServiceRequest"),
        ("record_created", "request_type", "ServiceRequest"),  # approvals or tasks
        ("record_created", "assignment", "ServiceRequest"),
        ("record_transitioned", "clocks", "ServiceRequest"),         # the "assign"
        ("record_transitioned", "notifications", "ServiceRequest"),  # the assignee
        ("record_created", "notifications", "ServiceRequest"),
    ]
    created = [step for signal, step, _ in ran if signal == "record_created"]
    assert created == [r.step for r in reactions.RECORD_CREATED.reactions(ServiceRequest)]
    # What each step did: clocks, an assignee who is told, then the requester's receipt
    # showing the assignee. A service request never becomes major.
    assert ticket.sla_clocks.count() == 2
    assert ticket.assignee is not None and ticket.assignee_team == world.teams["desk"]
    assigned, receipt = told(ticket, "record_assigned"), told(ticket, "record_created")
    assert assigned.recipient == ticket.assignee.email
    assert receipt.recipient == world.requester_a.email and receipt.pk > assigned.pk
    assert f"处理人：{display_name(ticket.assignee)}" in receipt.body
    assert not MajorIncident.objects.exists()


def test_a_qualifying_incident_is_assigned_before_it_becomes_major(world, always_on,
                                                                   receipt_template, ran):
    incident = raise_ticket(world, Incident, always_on, priority=1)  # 紧急 on 7×24

    assert [step for signal, step, _ in ran if signal == "record_created"] == [
        step for step in reactions.RECORD_CREATED.steps if step != "request_type"] == [
        "clocks", "assignment", "major_incident", "notifications"]
    assert ran == [
        ("record_preparing", "defaults", "Incident"),  # its priority from the matrix
        ("record_inserting", "clocks", "Incident"),    # its SLA clocks, planned
        ("record_created", "clocks", "Incident"),
        ("record_created", "assignment", "Incident"),
        ("record_transitioned", "clocks", "Incident"),
        ("record_transitioned", "notifications", "Incident"),
        ("record_created", "major_incident", "Incident"),  # MajorIncident: no reactions
        ("record_created", "notifications", "Incident"),
    ]
    assert incident.is_major and incident.assignee_team == world.teams["desk"]
    major = incident.major_incident
    assert major.assignee_team == world.teams["desk"]      # inherited from the assignment
    assert major.notified_at is not None
    assigned, receipt = told(incident, "record_assigned"), told(incident, "record_created")
    assert assigned.recipient == incident.assignee.email and receipt.pk > assigned.pk
    assert f"处理人：{display_name(incident.assignee)}" in receipt.body


def test_the_major_incident_rule_declares_nothing_for_an_incident_that_does_not_qualify(
        world, always_on, ran):
    incident = raise_ticket(world, Incident, always_on, priority=2)
    assert [step for signal, step, _ in ran if signal == "record_created"] == [
        "clocks", "assignment", "major_incident", "notifications"]
    assert not incident.is_major and incident.assignee is not None
    assert not MajorIncident.objects.exists()


def test_transitions_and_replies_move_the_clocks_before_anyone_is_told(world, ran):
    ticket = world.request("requester_a")  # no service: nobody assigns it
    ran.clear()
    ticket = services.transition_record(ticket, "assign", actor=world.lead,
                                        values={"assignee": world.agent})
    assert ran == [("record_transitioned", "clocks", "ServiceRequest"),
                   ("record_transitioned", "notifications", "ServiceRequest")]
    ticket = services.transition_record(ticket, "start", actor=world.agent,
                                        values={"assignee": world.agent})
    ticket = services.transition_record(ticket, "ask_customer", actor=world.agent,
                                        comment="请提供截图")
    ran.clear()
    services.add_comment(ticket, actor=world.requester_a, body="截图已上传")
    assert ran == [
        ("comment_added", "resume", "ServiceRequest"),
        ("record_transitioned", "clocks", "ServiceRequest"),         # customer_replied
        ("record_transitioned", "notifications", "ServiceRequest"),
        ("comment_added", "clocks", "ServiceRequest"),
        ("comment_added", "notifications", "ServiceRequest"),
    ]
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


# --- The mechanism -----------------------------------------------------------------------------


def test_the_declared_order_wins_over_the_order_of_registration():
    signal = Signal()
    sequence = reactions.Sequence("test", signal, ["first", "second", "third"])
    calls: list[str] = []
    for step in ("third", "first", "second"):  # registered (imported) in another order
        sequence.register(step, ServiceRequest,
                          lambda step=step, **kwargs: calls.append(step))
    sequence.connect()
    signal.send(sender=ServiceRequest, record=None)
    assert calls == ["first", "second", "third"]
    signal.send(sender=Incident, record=None)  # bound to its sender: nothing for others
    assert calls == ["first", "second", "third"]


def test_an_error_stops_the_steps_after_it():
    signal = Signal()
    sequence = reactions.Sequence("test", signal, ["first", "second"])
    calls: list[str] = []

    def fail(**kwargs):
        raise RuntimeError("first failed")

    sequence.register("first", ServiceRequest, fail)
    sequence.register("second", ServiceRequest, lambda **kwargs: calls.append("second"))
    sequence.connect()
    with pytest.raises(RuntimeError):
        signal.send(sender=ServiceRequest)
    assert calls == []


def test_what_cannot_be_ordered_is_refused():
    sequence = reactions.Sequence("test", Signal(), ["only"])

    def react(**kwargs):
        return None

    def other(**kwargs):
        return None

    with pytest.raises(ImproperlyConfigured, match="no step"):
        sequence.register("undeclared", ServiceRequest, react)
    with pytest.raises(ImproperlyConfigured, match="concrete model"):
        sequence.register("only", Ticket, react)   # abstract: never a sender
    with pytest.raises(ImproperlyConfigured, match="sender"):
        sequence.register("only", (), react)
    sequence.register("only", ServiceRequest, react)
    sequence.register("only", ServiceRequest, react)  # the same again: no change
    with pytest.raises(ImproperlyConfigured, match="step of its own"):
        sequence.register("only", ServiceRequest, other)  # which first? not by import
    with pytest.raises(ImproperlyConfigured, match="declared twice"):
        reactions.Sequence("test", Signal(), ["a", "a"])
    with pytest.raises(ImproperlyConfigured, match="no sequence"):
        reactions.reaction(Signal(), "only", sender=ServiceRequest)


def test_each_record_signal_is_received_by_its_sequence_only():
    """A plain ``@receiver`` on a record signal would run outside the declared order."""
    for name in ("record_created", "record_updated", "record_transitioned", "comment_added"):
        signal = getattr(signals, name)
        sequence = reactions.SEQUENCES[signal]
        assert sequence.name == name
        assert [lookup_key[0] for lookup_key, *_ in signal.receivers] == [
            f"itsm.core.reactions.{name}"], name


# --- Where receivers live ----------------------------------------------------------------------

#: A signal receiver connected, a reaction registered, a cache family bound to its rows.
CONNECTS = re.compile(r"@receiver\(|@reaction\(|\.connect\(|bump_on_change\(|HUEY\.signal\(")
#: Not signals: database connections.
NOT_SIGNALS = re.compile(r"\b(sqlite3|psycopg)\.connect\(")
#: The mechanisms themselves (they define ``bump_on_change`` and ``reaction``).
MECHANISMS = {"core/cache.py", "core/reactions.py"}


def test_receivers_are_connected_in_receivers_py_only():
    misplaced = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR).as_posix()
        if (path.name in {"receivers.py", "conftest.py"} or relative in MECHANISMS
                or "/tests/" in relative or "/migrations/" in relative):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CONNECTS.search(line) and not NOT_SIGNALS.search(line):
                misplaced.append(f"{relative}:{number}: {line.strip()}")
    assert not misplaced, "connect receivers in the app's receivers.py:\n" + "\n".join(
        misplaced)


def test_every_reaction_is_registered_by_an_apps_receivers_module():
    for sequence in reactions.SEQUENCES.values():
        for sender in sequence.senders():
            for reaction in sequence.reactions(sender):
                assert re.fullmatch(r"itsm\.\w+\.receivers", reaction.func.__module__), (
                    reaction.name)
