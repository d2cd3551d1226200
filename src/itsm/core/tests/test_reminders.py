"""Reminders (core.reminders): a week before, the day before, on the day and once when
overdue; each step once per object and date, whoever runs the job; each person in their
own language; a moved date reminds again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from itsm.core import reminders, services
from itsm.core.models import Notification
from itsm.core.reminders import register_reminder, send_due, step_for
from itsm.core.tasks import send_reminders
from itsm.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 12, 20)


@pytest.fixture
def reminder(monkeypatch):
    """Open requests with a due time remind their assignee (a test-only declaration)."""
    monkeypatch.setattr(reminders, "_REMINDERS", {})
    return register_reminder(
        "test-request-due", "请求到期", date_field="due_at",
        queryset=lambda: ServiceRequest.objects.exclude(status="closed"),
        recipients=lambda record: [record.assignee], days_before=(7, 1),
        describe=lambda record: record.number)


@pytest.fixture
def request_due(world):
    record = services.create_record(ServiceRequest, actor=world.agent, data={
        "organization": world.orgs["A"], "requester": world.requester_a, "title": "打印机卡纸",
        "assignee": world.engineer})
    at = timezone.make_aware(dt.datetime.combine(DUE, dt.time(15, 0)))
    ServiceRequest.objects.filter(pk=record.pk).update(due_at=at)
    record.refresh_from_db()
    return record


def sent(record) -> list[Notification]:
    return list(Notification.objects.filter(event="reminder", user__isnull=False,
                                            payload__context__object_id=record.pk)
                .order_by("pk"))


@pytest.mark.parametrize(("days_left", "step"), [
    (30, None), (8, None), (7, 7), (5, 7), (2, 7), (1, 1), (0, 0), (-1, -1), (-300, -1)])
def test_the_step_due_for_the_days_left(days_left, step):
    assert step_for(days_left, (7, 1)) == step


def test_a_week_before_the_day_before_on_the_day_and_once_overdue(world, reminder,
                                                                 request_due):
    timeline = [(DUE - dt.timedelta(days=10), 0), (DUE - dt.timedelta(days=7), 1),
                (DUE - dt.timedelta(days=5), 1),   # within the week: already reminded
                (DUE - dt.timedelta(days=1), 2), (DUE, 3),
                (DUE + dt.timedelta(days=1), 4), (DUE + dt.timedelta(days=9), 4)]
    for day, expected in timeline:
        with time_machine.travel(dt.datetime.combine(day, dt.time(6, 40)), tick=False):
            send_due(day)
            send_due(day)  # a second run (or a second worker) sends nothing twice
        assert len(sent(request_due)) == expected, day
    subjects = [n.subject for n in sent(request_due)]
    assert all(request_due.number in s and "请求到期" in s for s in subjects)
    # the job runs without a request: the text is in the default language (zh-Hans)
    assert "7 天" in subjects[0] and "逾期" in subjects[-1] and "今日" in subjects[2]
    assert {n.recipient for n in sent(request_due)} == {world.engineer.email}


def test_a_job_that_missed_days_reminds_once_at_the_next_step(world, reminder, request_due):
    send_due(DUE - dt.timedelta(days=3))
    assert [n.payload["context"]["step"] for n in sent(request_due)] == [7]


def test_a_moved_date_reminds_again_and_a_closed_object_not_at_all(world, reminder,
                                                                  request_due):
    send_due(DUE)
    later = request_due.due_at + dt.timedelta(days=30)
    ServiceRequest.objects.filter(pk=request_due.pk).update(due_at=later)
    send_due(DUE + dt.timedelta(days=30))
    assert len(sent(request_due)) == 2
    ServiceRequest.objects.filter(pk=request_due.pk).update(status="closed")
    send_due(DUE + dt.timedelta(days=31))
    assert len(sent(request_due)) == 2


def test_each_person_reads_it_in_their_language(world, reminder, request_due):
    profile = world.engineer.profile
    profile.language = "en"
    profile.save()
    send_due(DUE)
    [notification] = sent(request_due)
    assert notification.subject.startswith("[Reminder]") and "today" in notification.subject


def test_the_daily_job_runs_every_declared_reminder(world, reminder, request_due):
    with time_machine.travel(dt.datetime.combine(DUE, dt.time(6, 40)), tick=False):
        assert send_reminders.call_local() == 1
    assert len(sent(request_due)) == 1
