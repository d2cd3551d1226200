"""What is cached across requests (who is who, the catalogue, calendars, notification
templates and channels) follows every change at once, whichever path made it — here
plain model saves, as the Django admin makes them — and spares the queries it caches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.catalog.choices import DEFAULT_PRIORITY_MATRIX
from itsm.catalog.models import PriorityRule, SLAPolicy, SLATarget
from itsm.core import services
from itsm.core.choices import NotificationEvent, Role
from itsm.core.models import (
    BusinessCalendar,
    CalendarException,
    Notification,
    NotificationTemplate,
)
from itsm.servicedesk.models import ServiceRequest, SLAClock

pytestmark = pytest.mark.django_db


def tables(queries) -> str:
    return " ".join(q["sql"] for q in queries)


def test_a_removed_role_is_gone_on_the_next_request(world):
    client = world.client("agent")
    assert client.get("/api/service-requests/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/service-requests/").status_code == 200
    assert "auth_group" not in tables(queries.captured_queries)  # roles came from the cache
    world.agent.groups.remove(Group.objects.get(name=Role.AGENT))  # as the admin does
    world.agent.groups.add(Group.objects.get_or_create(name=Role.REQUESTER)[0])
    answer = client.post("/api/service-requests/", {
        "organization": world.orgs["A"].pk, "title": "打印机卡纸",
        "requester": world.requester_a.pk}, format="json")
    assert answer.status_code in (400, 403)  # no longer staff: cannot raise for a customer


def test_a_moved_person_sees_the_new_organization_only(world):
    ticket = world.request("requester_b", title="B 的请求")
    client = world.client("agent")
    assert client.get(f"/api/service-requests/{ticket.pk}/").status_code == 200
    profile = world.agent.profile
    profile.organization = world.orgs["Q"]
    profile.save()
    assert client.get(f"/api/service-requests/{ticket.pk}/").status_code == 404


def test_leaving_a_team_empties_its_queue_at_once(world):
    ticket = world.request("requester_a", title="团队队列")
    ServiceRequest.objects.filter(pk=ticket.pk).update(assignee_team=world.teams["desk"])
    client = world.client("agent")
    numbers = [r["number"] for r in client.get(
        "/api/service-requests/?queue=my_teams").json()["results"]]
    assert numbers == [ticket.number]
    world.teams["desk"].members.remove(world.agent)
    assert client.get("/api/service-requests/?queue=my_teams").json()["results"] == []


def test_an_organization_changing_hands_changes_the_scope(world):
    client = world.client("agent")
    ticket = world.request("requester_c", title="C 的请求")
    assert client.get(f"/api/service-requests/{ticket.pk}/").status_code == 404
    customer = world.orgs["C"]
    customer.provider = world.orgs["P"]
    customer.save()
    assert client.get(f"/api/service-requests/{ticket.pk}/").status_code == 200


def test_priority_matrix_change_applies_to_the_next_ticket(world):
    rule = PriorityRule.objects.create(provider=world.orgs["P"], impact=3, urgency=3,
                                       priority=1)
    assert world.request("requester_a", impact=3, urgency=3).priority == 1
    rule.priority = 4
    rule.save()
    assert world.request("requester_a", impact=3, urgency=3).priority == 4
    rule.delete()
    assert world.request("requester_a", impact=3, urgency=3).priority == \
        DEFAULT_PRIORITY_MATRIX[(3, 3)]


def test_sla_target_change_applies_to_the_next_ticket(world):
    policy = SLAPolicy.objects.create(provider=world.orgs["P"], name="通用 SLA")
    target = SLATarget.objects.create(policy=policy, priority=3, response_minutes=30,
                                      resolution_minutes=480)
    first = world.request("requester_a", priority=3)
    clocks = {c.kind: c.target_minutes for c in SLAClock.objects.filter(record_id=first.pk)}
    assert clocks == {"response": 30, "resolution": 480}
    target.resolution_minutes = 960
    target.save()
    second = world.request("requester_a", priority=3)
    assert SLAClock.objects.get(record_id=second.pk, kind="resolution").target_minutes == 960
    policy.is_active = False
    policy.save()
    third = world.request("requester_a", priority=3)
    assert ServiceRequest.objects.get(pk=third.pk).sla_policy_id is None


def test_a_second_ticket_reads_no_reference_data(world):
    world.request("requester_a")
    with CaptureQueriesContext(connection) as queries:
        world.request("requester_a")
    sql = tables(queries.captured_queries)
    for table in ("catalog_priorityrule", "catalog_slapolicy", "catalog_slatarget",
                  "core_businesscalendar", "core_calendarexception",
                  "core_notificationtemplate", "core_notificationchannel"):
        assert table not in sql, table


def test_calendar_warning_goes_when_holidays_are_entered(world, client):
    today = dt.date.today()
    calendar = BusinessCalendar.objects.create(name="无假日日历", organization=world.orgs["P"])
    client.force_login(world.admin)  # the warning is for calendar administrators
    assert "无假日日历" in client.get("/requests/").content.decode()
    for year in (today.year, today.year + 1):
        CalendarException.objects.create(calendar=calendar, date=dt.date(year, 1, 1),
                                         kind="holiday", name="元旦")
    assert "无假日日历" not in client.get("/requests/").content.decode()


def test_a_new_notification_template_is_used_at_once(world):
    def raise_for_customer(title: str) -> ServiceRequest:
        return services.create_record(ServiceRequest, actor=world.agent, data={
            "organization": world.orgs["A"], "title": title, "requester": world.requester_a})

    raise_for_customer("模板之前")
    NotificationTemplate.objects.create(
        provider=world.orgs["P"], event=NotificationEvent.RECORD_CREATED, language="zh-hans",
        subject_template="已受理 {{ number }}", body_template="{{ default_body }}")
    ticket = raise_for_customer("模板之后")
    subjects = list(Notification.objects.filter(record_id=ticket.pk,
                                                event=NotificationEvent.RECORD_CREATED)
                    .values_list("subject", flat=True))
    assert subjects and all(s.endswith(f"已受理 {ticket.number}") for s in subjects)


def test_a_change_another_process_made_is_seen_from_the_next_request_on(world):
    """Version tokens are read once per request: what another process changed (here: its
    rows written without signals and its bump, the shared token deleted) counts from this
    process's next request, never later."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    from itsm.core.access import DIRECTORY
    from itsm.core.cache import _version_key

    client = world.client("agent")
    ticket = world.request("requester_a", title="另一进程")
    assert client.get(f"/api/service-requests/{ticket.pk}/").status_code == 200
    get_user_model().groups.through.objects.filter(user=world.agent).delete()  # no signal
    assert client.get(f"/api/service-requests/{ticket.pk}/").status_code == 200  # cached
    cache.delete(_version_key(DIRECTORY))  # the other process's bump
    assert client.get(f"/api/service-requests/{ticket.pk}/").status_code in (403, 404)


def test_what_the_cache_answers_is_each_caller_s_own_copy(world):
    from itsm.catalog.services import active_policies

    SLAPolicy.objects.create(provider=world.orgs["P"], name="通用 SLA")
    first = active_policies(world.orgs["P"].pk)
    first[0].name = "改坏了"
    first.clear()
    again = active_policies(world.orgs["P"].pk)
    assert [p.name for p in again] == ["通用 SLA"]
