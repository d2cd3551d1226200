"""Coloured choices: each status (and priority, risk level, vote …) declares its badge
colour next to its value and label, and the badges read it from there."""

from __future__ import annotations

import html
import re

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.migrations.writer import MigrationWriter
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from itsm.changes.choices import ApprovalStatus, ChangeStatus, RiskLevel, VoteDecision
from itsm.cmdb.choices import CIStatus
from itsm.core.choices import (
    COLORS,
    ColoredIntegerChoices,
    ColoredTextChoices,
    Priority,
)
from itsm.core.workflow import STAFF, Transition, Workflow
from itsm.problems.choices import ProblemStatus
from itsm.servicedesk.choices import MajorIncidentStatus, TicketStatus
from itsm.servicedesk.models import ServiceRequest


class Status(ColoredTextChoices):
    NEW = "new", "info", _("New")
    KNOWN_ERROR = "known_error", "warning", _("Known error")
    DONE = "done", "success", "Done"


class PlainStatus(models.TextChoices):
    NEW = "new", _("New")
    KNOWN_ERROR = "known_error", _("Known error")
    DONE = "done", "Done"


class Level(ColoredIntegerChoices):
    URGENT = 1, "danger", _("Urgent")
    LOW = 2, "secondary", "Low"


class PlainLevel(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    LOW = 2, "Low"


def test_values_labels_and_colors_of_text_choices():
    assert Status.values == ["new", "known_error", "done"]
    assert [type(v) for v in Status.values] == [str, str, str]
    assert Status.NEW == "new" and Status("new") is Status.NEW and Status.NEW in {"new"}
    assert str(Status.NEW) == "new" and f"{Status.NEW}" == "new"
    assert "known_error" in Status and "nope" not in Status
    assert [m.color for m in Status] == ["info", "warning", "success"]
    with translation.override("en"):
        assert [str(label) for label in Status.labels] == ["New", "Known error", "Done"]
    with translation.override("zh-hans"):
        assert str(Status.NEW.label) == "新建"
        assert str(Status.KNOWN_ERROR.label) == "已知错误"
        assert str(Status.DONE.label) == "Done"


def test_values_labels_and_colors_of_integer_choices():
    assert Level.values == [1, 2] and [type(v) for v in Level.values] == [int, int]
    assert Level.URGENT == 1 and Level(2) is Level.LOW and Level.URGENT < Level.LOW
    assert (Level.URGENT.color, Level.LOW.color) == ("danger", "secondary")
    with translation.override("en"):
        assert str(Level.URGENT.label) == "Urgent"
    with translation.override("zh-hans"):
        assert str(Level.URGENT.label) == "紧急"


def test_choices_are_those_of_the_plain_django_choices():
    """The colour stays out of ``choices``: forms, serializers and migrations see the same
    (value, label) pairs as before."""
    assert Status.choices == PlainStatus.choices
    assert Status.names == PlainStatus.names
    assert Level.choices == PlainLevel.choices
    assert models.CharField(choices=Status.choices).choices == PlainStatus.choices
    assert models.CharField(choices=Status).choices == PlainStatus.choices
    assert MigrationWriter.serialize(models.CharField(
        max_length=16, choices=Status.choices, default=Status.NEW)) == MigrationWriter.serialize(
        models.CharField(max_length=16, choices=PlainStatus.choices, default=PlainStatus.NEW))


def test_color_of_a_value_a_member_and_an_unknown_value():
    assert Status.color_of("known_error") == "warning"
    assert Status.color_of(Status.DONE) == "success"
    assert Level.color_of(1) == "danger"
    for unknown in ("", None, "removed", ["new"]):
        assert Status.color_of(unknown) == "secondary"
        assert Status.color_of(unknown, default="light") == "light"
    assert Level.color_of(99) == "secondary"
    assert Level.color_of("1") == "secondary"  # values are compared as they are stored


def test_a_member_without_a_colour_or_with_an_unknown_colour_is_refused():
    with pytest.raises(TypeError):
        class NoColor(ColoredTextChoices):
            NEW = "new", _("New")
    with pytest.raises(ValueError, match="bg-warning"):
        class CssClass(ColoredTextChoices):
            NEW = "new", "bg-warning", _("New")
    with pytest.raises(ValueError, match="orange"):
        class Orange(ColoredIntegerChoices):
            HIGH = 1, "orange", _("High")


def test_a_workflow_declares_its_statuses_with_their_colours():
    with pytest.raises(ImproperlyConfigured, match="ColoredTextChoices"):
        Workflow(statuses=PlainStatus, initial="new", transitions=(
            Transition("finish", "Finish", ("new",), "done", frozenset({STAFF})),))
    flow = Workflow(statuses=Status, initial="new", transitions=(
        Transition("finish", "Finish", ("new",), "done", frozenset({STAFF})),))
    assert flow.color("new") == "info" and flow.color("gone") == "secondary"


@pytest.mark.parametrize("choices", [
    TicketStatus, MajorIncidentStatus, ProblemStatus, ChangeStatus, ApprovalStatus,
    VoteDecision, RiskLevel, CIStatus, Priority,
])
def test_every_coloured_choice_of_the_platform_names_a_bootstrap_colour(choices):
    assert {member.color for member in choices} <= COLORS


def test_every_record_workflow_colours_its_statuses():
    records = [m for m in apps.get_models() if hasattr(m, "workflow")]
    assert records
    for model in records:
        assert issubclass(model.workflow.statuses, ColoredTextChoices), model
        record = model(status=model.workflow.initial)
        assert record.status_color == model.workflow.statuses(record.status).color


@pytest.mark.django_db
def test_request_list_and_detail_show_the_colours_declared_on_the_choices(world):
    record = world.request("requester_a")
    assert record.status == TicketStatus.NEW and record.status_color == "info"
    priority = Priority(record.priority)
    client = Client()
    client.force_login(world.agent)
    for url in ("/requests/", record.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200
        text = html.unescape(response.content.decode())
        badge = re.search(r'<span class="badge text-bg-(\w+)" data-status="new">([^<]+)</span>',
                          text)
        assert badge, url
        assert badge[1] == TicketStatus.NEW.color == "info"
        with translation.override("zh-hans"):
            assert badge[2] == str(TicketStatus.NEW.label)
        with translation.override("zh-hans"):
            assert (f'<span class="badge text-bg-{priority.color}">{priority.label}</span>'
                    in text)


@pytest.mark.django_db
def test_a_status_colour_is_read_from_the_choice(world, monkeypatch):
    """The badge follows the declaration: no second table of colours to keep in step."""
    record = world.request("requester_a")
    monkeypatch.setattr(record.workflow.statuses.NEW, "_color_", "dark")
    client = Client()
    client.force_login(world.agent)
    text = client.get("/requests/").content.decode()
    assert '<span class="badge text-bg-dark" data-status="new">' in text
    assert ServiceRequest.objects.get(pk=record.pk).status_color == "dark"
