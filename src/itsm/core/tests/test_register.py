"""The framework (issue 15): a register made of declarations works everywhere, and the
``RecordTypeTests`` base checks any record type from a few attributes.

``example_register`` (a test-only app in the test settings) declares a model, a
workflow, a form, a FilterSet, its views and API, and registers itself in its
``registrations`` module: no shared file names it, yet it is in the menu, the URL map,
the API schema, the global search and the access matrix (``test_access`` takes the
record types from the registry).
"""

# covers: GEN-1 (record base), GEN-ACCESS

from __future__ import annotations

from django.urls import reverse

from itsm.core.registry import record_type_of, record_types
from itsm.problems.models import Problem

from .bases import RecordTypeTests
from .example_register.models import Note


class TestExampleRegister(RecordTypeTests):
    model = Note
    transition = ("finish", {"category": "done"})
    create_data = {"category": "inbox"}


class TestProblems(RecordTypeTests):
    model = Problem
    transition = ("analyse", {"root_cause": "磁盘满"})


def test_the_example_is_in_the_menu_of_everyone_who_may_see_it(world):
    for identity in ("agent", "requester_a"):
        page = world.client(identity).get(reverse("home"), follow=True).content.decode()
        assert 'id="nav-notes"' in page and reverse("example_register:note-list") in page
    assert record_type_of(Note) in record_types()


def test_the_access_matrix_probes_the_example(world):
    from .test_access import TICKET_ROUTES

    assert TICKET_ROUTES["note"] == "example_register:note"
