"""Workflows are data, and the service layer enforces them for every caller."""

# covers: GEN-2, REQ-4

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.utils import translation

from itsm.core import services
from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource, ColoredTextChoices
from itsm.core.exceptions import WorkflowError
from itsm.core.workflow import STAFF, Transition, Workflow
from itsm.servicedesk.models import ServiceRequest


class Light(ColoredTextChoices):
    RED = "red", "danger", "Red"
    GREEN = "green", "success", "Green"


def test_a_declaration_naming_an_unknown_status_is_refused_at_import():
    with pytest.raises(ImproperlyConfigured, match="unknown statuses"):
        Workflow(statuses=Light, initial="red", transitions=(
            Transition("go", "Go", ("red",), "blue", frozenset({STAFF})),))


def test_duplicate_transition_names_are_refused():
    with pytest.raises(ImproperlyConfigured, match="Duplicate"):
        Workflow(statuses=Light, initial="red", transitions=(
            Transition("go", "Go", ("red",), "green", frozenset({STAFF})),
            Transition("go", "Go", ("green",), "red", frozenset({STAFF}))))


def test_full_lifecycle_sets_status_stamps_and_timeline(world):
    record = world.request("requester_a")
    agent = world.agent
    record = services.transition_record(record, "assign", actor=agent,
                                        values={"assignee_team": world.teams["desk"]})
    record = services.transition_record(record, "start", actor=agent,
                                        values={"assignee": agent})
    record = services.transition_record(record, "resolve", actor=agent,
                                        values={"resolution": "更换了硒鼓"})
    assert record.status == "resolved" and record.resolved_at is not None
    record = services.transition_record(record, "close", actor=world.requester_a)
    assert record.status == "closed" and record.closed_at is not None
    assert record.is_final
    kinds = list(record.timeline.values_list("kind", flat=True))
    assert kinds == ["created", "transitioned", "transitioned", "transitioned", "transitioned"]
    assert record.version == 5


def test_illegal_transition_is_refused_whoever_calls(world):
    record = world.request("requester_a")
    for actor in (world.agent, world.admin, None):
        with pytest.raises(WorkflowError) as excinfo, translation.override("en"):
            services.transition_record(record, "close", actor=actor)
        assert excinfo.value.code == "illegal_transition"
        assert str(excinfo.value) == (
            f"“Confirm and close” is not possible while {record.number} is “New”.")
    with audit_context(source=AuditSource.EMAIL), pytest.raises(WorkflowError):
        services.transition_record(record, "resolve", actor=None, values={"resolution": "x"})
    record.refresh_from_db()
    assert record.status == "new" and record.version == 1


def test_unknown_transition_is_refused(world):
    record = world.request("requester_a")
    with pytest.raises(WorkflowError) as excinfo:
        services.transition_record(record, "teleport", actor=world.agent)
    assert excinfo.value.code == "unknown_transition" and "teleport" in str(excinfo.value)


def test_required_fields_and_reason_are_enforced(world):
    record = world.request("requester_a")
    with pytest.raises(ValidationError) as excinfo:
        services.transition_record(record, "assign", actor=world.agent)
    assert "assignee_team" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.transition_record(record, "cancel", actor=world.requester_a)
    assert "comment" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.transition_record(record, "assign", actor=world.agent,
                                   values={"assignee_team": world.teams["desk"], "title": "x"})
    assert "title" in excinfo.value.message_dict
    record.refresh_from_db()
    assert record.status == "new"


def test_who_may_perform_each_transition(world):
    record = world.request("requester_a")
    with pytest.raises(PermissionDenied):
        services.transition_record(record, "assign", actor=world.requester_a,
                                   values={"assignee_team": world.teams["desk"]})
    with pytest.raises(PermissionDenied):
        services.transition_record(record, "cancel", actor=world.auditor, comment="no")
    with pytest.raises(PermissionDenied):  # another requester of the same customer
        services.transition_record(record, "cancel", actor=world.requester_a2, comment="no")
    # the customer admin of the same organization acts for its requesters
    record = services.transition_record(record, "cancel", actor=world.custadmin_a,
                                        comment="重复提交")
    assert record.status == "cancelled"
    assert record.comments.get().body == "重复提交"


def test_available_transitions_depend_on_status_and_person(world):
    record = world.request("requester_a")
    workflow = ServiceRequest.workflow
    assert [t.name for t in workflow.available(record, world.agent)] == [
        "assign", "start", "cancel"]
    assert [t.name for t in workflow.available(record, world.requester_a)] == ["cancel"]
    assert workflow.available(record, world.auditor) == []


def test_assignment_must_stay_within_the_provider(world):
    record = world.request("requester_a")
    with pytest.raises(ValidationError) as excinfo:
        services.transition_record(record, "assign", actor=world.agent,
                                   values={"assignee_team": world.teams["q_desk"]})
    assert "assignee_team" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.transition_record(record, "start", actor=world.agent,
                                   values={"assignee": world.requester_a})
    assert "assignee" in excinfo.value.message_dict
