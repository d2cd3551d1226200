"""A first journey through the record base: create, transition, comment, audit."""

import pytest

from itsm.core import services
from itsm.core.exceptions import WorkflowError


def test_create_transition_and_audit(world):
    record = world.request("requester_a")
    assert record.number.endswith("-000001")
    assert record.status == "new"
    record = services.transition_record(record, "assign", actor=world.agent,
                                        values={"assignee_team": world.teams["desk"]})
    assert record.status == "assigned"
    with pytest.raises(WorkflowError):
        services.transition_record(record, "resolve", actor=world.agent,
                                   values={"resolution": "done"})
