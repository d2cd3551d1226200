"""The workspace: each role's home page (工作台), the inbox (我的待办) and the bell
(消息通知) — what each person sees, that the numbers equal the data, that another
organization's records never appear, and that a card's queries do not grow with the
data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from itsm.core import notifications, services
from itsm.core.choices import NotificationEvent
from itsm.core.models import Notification, NotificationPreference
from itsm.servicedesk.choices import TicketStatus
from itsm.servicedesk.models import Incident, ServiceRequest

pytestmark = pytest.mark.django_db

AGENT_CARDS = {"my-work", "waiting-on-me", "recently-updated"}
LEAD_CARDS = {"team-load", "unassigned", "sla-attainment", "major-incidents"}
MANAGEMENT_CARDS = {"sla-attainment", "volume-trend", "satisfaction", "major-incidents"}


def page(world, username: str, url: str = "/", **headers):
    client = Client()
    client.force_login(world.users[username])
    return client, client.get(url, **headers)


def cards(response) -> set[str]:
    return set(re.findall(r'id="widget-([a-z-]+)"', response.content.decode()))


def card(response, key: str) -> str:
    """The HTML of one card of the home page."""
    return response.content.decode().split(f'id="widget-{key}"')[1].split("</section>")[0]


def assigned(world, requester: str, assignee: str, *, due_in: dt.timedelta | None,
             title: str = "打印机卡纸") -> ServiceRequest:
    """A request of ``requester`` in progress with ``assignee``, due in ``due_in``."""
    record = world.request(requester, title=title)
    ServiceRequest.objects.filter(pk=record.pk).update(
        assignee=world.users[assignee], assignee_team=world.teams["desk"],
        status=TicketStatus.IN_PROGRESS,
        due_at=None if due_in is None else timezone.now() + due_in)
    return record


@pytest.mark.parametrize(("username", "present", "absent"), [
    ("agent", AGENT_CARDS, LEAD_CARDS | {"my-requests", "volume-trend"}),
    ("lead", AGENT_CARDS | LEAD_CARDS, {"my-requests", "volume-trend"}),
    ("auditor", MANAGEMENT_CARDS, AGENT_CARDS | {"team-load", "my-requests"}),
    ("admin", MANAGEMENT_CARDS, {"my-requests", "team-load"}),
    ("requester_a", {"my-requests"}, AGENT_CARDS | LEAD_CARDS | MANAGEMENT_CARDS),
])
def test_each_role_lands_on_its_own_home_page(world, username, present, absent):
    _client, response = page(world, username)
    assert response.status_code == 200
    shown = cards(response)
    assert present <= shown, present - shown
    assert not shown & absent, shown & absent


def test_my_work_counts_open_records_by_urgency(world):
    assigned(world, "requester_a", "agent", due_in=-dt.timedelta(minutes=5), title="已超时")
    assigned(world, "requester_a", "agent", due_in=dt.timedelta(minutes=30), title="一小时内")
    assigned(world, "requester_b", "agent", due_in=None, title="无期限")
    assigned(world, "requester_a", "engineer", due_in=dt.timedelta(minutes=5), title="别人的")
    done = assigned(world, "requester_a", "agent", due_in=-dt.timedelta(hours=1), title="已关闭")
    ServiceRequest.objects.filter(pk=done.pk).update(status=TicketStatus.CLOSED)

    _client, response = page(world, "agent")
    html = card(response, "my-work")

    def bucket(key: str) -> int:
        return int(re.search(rf'id="my-work-{key}"[^>]*>[^<]*<strong>(\d+)<', html).group(1))

    assert (bucket("breached"), bucket("hour"), bucket("none")) == (1, 1, 1)
    assert "别人的" not in html and "已关闭" not in html
    # the person's own work is among the recently updated, a colleague's is not
    assert "已关闭" in card(response, "recently-updated")
    assert "别人的" not in card(response, "recently-updated")
    # the most urgent first
    assert html.index("已超时") < html.index("一小时内") < html.index("无期限")


def test_home_page_queries_do_not_grow_with_the_data(world):
    def queries(username: str) -> int:
        client = Client()
        client.force_login(world.users[username])
        client.get("/")  # warm-up: session, caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    assigned(world, "requester_a", "agent", due_in=dt.timedelta(hours=3))
    few = {name: queries(name) for name in ("lead", "admin", "requester_a")}
    for i in range(12):
        assigned(world, "requester_a" if i % 2 else "requester_b", "engineer" if i % 3 else "lead",
                 due_in=dt.timedelta(hours=i - 4), title=f"工单 {i}")
    many = {name: queries(name) for name in ("lead", "admin", "requester_a")}
    assert many == few


def test_team_load_counts_per_member_and_unassigned(world):
    for assignee in ("agent", "agent", "lead"):
        assigned(world, "requester_a", assignee, due_in=dt.timedelta(hours=2))
    loose = world.request("requester_a", title="没人接")
    ServiceRequest.objects.filter(pk=loose.pk).update(assignee_team=world.teams["desk"])
    # Resolved: waiting for the customer's confirmation, not for the team's work.
    resolved = assigned(world, "requester_a", "lead", due_in=dt.timedelta(hours=2))
    unassigned_resolved = world.request("requester_a", title="等客户确认的")
    ServiceRequest.objects.filter(pk__in=[resolved.pk, unassigned_resolved.pk]).update(
        status=TicketStatus.RESOLVED)
    _client, response = page(world, "lead")
    html = response.content.decode()
    assert re.search(r"<th>agent</th><td>2</td>", html)
    assert re.search(r"<th>lead</th><td>1</td>", html)
    assert 'id="team-unassigned">1<' in html
    assert "没人接" in html and "等客户确认的" not in card(response, "unassigned")


def test_customer_home_lists_own_open_requests_only(world):
    world.request("requester_a", title="我的请求")
    world.request("requester_a2", title="同事的请求")
    world.request("requester_b", title="别家的请求")
    _client, response = page(world, "requester_a")
    html = response.content.decode()
    assert "我的请求" in html and "同事的请求" not in html and "别家的请求" not in html
    assert 'id="raise-request"' in html


def test_inbox_holds_assigned_work_and_resolutions_to_confirm(world):
    assigned(world, "requester_a", "agent", due_in=dt.timedelta(hours=1), title="待处理")
    waiting = assigned(world, "requester_a", "agent", due_in=None, title="等客户")
    ServiceRequest.objects.filter(pk=waiting.pk).update(status=TicketStatus.WAITING_CUSTOMER)
    resolved = world.request("requester_a", title="请确认")
    ServiceRequest.objects.filter(pk=resolved.pk).update(status=TicketStatus.RESOLVED,
                                                         resolved_at=timezone.now())
    other = world.request("requester_b", title="别家的")
    ServiceRequest.objects.filter(pk=other.pk).update(status=TicketStatus.RESOLVED)

    _client, response = page(world, "agent", "/inbox/")
    html = response.content.decode()
    assert "待处理" in html and "等客户" not in html

    sections = {s["key"]: s for s in world.client("requester_a").get("/api/me/inbox/").json()}
    assert sections["confirmations"]["count"] == 1
    assert [i["title"] for i in sections["confirmations"]["items"]] == ["请确认"]
    assert "assigned" not in sections  # a customer has no assigned work

    sections = {s["key"]: s for s in world.client("agent").get("/api/me/inbox/").json()}
    assert [i["title"] for i in sections["assigned"]["items"]] == ["待处理"]
    assert sections["assigned"]["items"][0]["kind"] == "服务请求"
    english = world.client("agent")
    english.patch("/api/me/", {"language": "en"}, content_type="application/json")
    sections = {s["key"]: s for s in english.get("/api/me/inbox/").json()}
    assert sections["assigned"]["items"][0]["kind"] == "Service request"  # not "service …"


def _notify(world, username: str, subject: str = "工单已更新") -> None:
    record = world.request("requester_a")
    notifications.notify(NotificationEvent.values[0], record=record,
                         recipients=[world.users[username]], subject=subject, body="正文")


def test_the_bell_shows_a_notification_without_email(world, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    person = world.users["engineer"]
    person.email = ""
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world, "engineer", "您有新的工单")
    assert mailoutbox == []

    client, response = page(world, "engineer")
    assert re.search(r'id="bell-count">1<', response.content.decode())
    listing = client.get("/notifications/").content.decode()
    assert "您有新的工单" in listing

    mine = Notification.objects.get(user=person)
    response = client.post(f"/notifications/{mine.pk}/read/")
    assert response.status_code == 302 and response["Location"].startswith("/requests/")
    assert 'id="bell-count"' not in client.get("/").content.decode()


def test_notifications_follow_preferences_and_stay_private(world):
    NotificationPreference.objects.create(user=world.users["agent"],
                                          event=NotificationEvent.values[0], in_app=False)
    _notify(world, "agent")
    _notify(world, "engineer")
    assert not Notification.objects.filter(user=world.users["agent"]).exists()
    theirs = Notification.objects.get(user=world.users["engineer"])

    client, _response = page(world, "agent")
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    api = world.client("agent")
    assert api.post(f"/api/me/notifications/{theirs.pk}/read/").status_code == 404
    assert api.get("/api/me/notifications/").json()["results"] == []

    api = world.client("engineer")
    rows = api.get("/api/me/notifications/", {"unread": "true"}).json()["results"]
    assert [r["subject"] for r in rows] == ["工单已更新"] and rows[0]["url"].startswith("/")
    assert api.post("/api/me/notifications/read-all/").json() == {"unread": 0}
    assert api.get("/api/me/notifications/", {"unread": "true"}).json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.read_at is not None


def test_incidents_count_in_my_work_too(world):
    incident = services.create_record(Incident, actor=world.agent, data={
        "organization": world.orgs["A"], "requester": world.requester_a,
        "title": "网络中断", "description": "三楼断网"})
    Incident.objects.filter(pk=incident.pk).update(assignee=world.agent,
                                                   due_at=timezone.now() - dt.timedelta(1))
    _client, response = page(world, "agent")
    assert "网络中断" in response.content.decode()


def test_the_most_urgent_work_is_shown_whatever_has_no_deadline(world):
    """More undated tickets than the card shows: the overdue one still comes first (a
    database that sorts empty due times first must not fill the card with them)."""
    for i in range(10):
        assigned(world, "requester_a", "agent", due_in=None, title=f"没有期限的工单 {i}")
    assigned(world, "requester_a", "agent", due_in=-dt.timedelta(minutes=1), title="快超时了")
    _client, response = page(world, "agent")
    html = card(response, "my-work")
    assert "快超时了" in html and html.index("快超时了") < html.index("没有期限的工单")
    inbox = {s["key"]: s for s in world.client("agent").get("/api/me/inbox/").json()}
    assert inbox["assigned"]["items"][0]["title"] == "快超时了"


def test_cards_read_every_record_type_in_one_query(world, django_assert_num_queries):
    """The cards gather the types' records in one UNION ALL on PostgreSQL (one query per
    type on SQLite, which takes no ordered, sliced parts), loaded with what the card
    shows: rendering them runs no further query."""
    from itsm.core.workspace import ALL, BY_DUE, count_all, first_records

    for i in range(3):
        assigned(world, "requester_a", "agent", due_in=dt.timedelta(hours=i + 1), title=f"请求 {i}")
    incident = services.create_record(Incident, actor=world.agent, data={
        "organization": world.orgs["A"], "requester": world.requester_a,
        "title": "网络中断", "description": "三楼断网"})
    Incident.objects.filter(pk=incident.pk).update(
        assignee=world.agent, due_at=timezone.now() - dt.timedelta(hours=1))
    mine = [model.objects.filter(assignee=world.agent) for model in (ServiceRequest, Incident)]
    union = connection.features.supports_slicing_ordering_in_compound
    with django_assert_num_queries(1 if union else 2):
        counts, records = first_records([qs.order_by(*BY_DUE) for qs in mine], 2, counts={
            **ALL, "overdue": Count("pk", filter=Q(due_at__lt=timezone.now()))})
    assert counts == {"all": 4, "overdue": 1}
    with django_assert_num_queries(0):
        shown = sorted((r.number, r.title, r.status_label, r.get_absolute_url()) for r in records)
    assert [title for _n, title, _s, _u in shown] == ["网络中断", "请求 0", "请求 1"]
    assert shown[0][3] == f"/incidents/{incident.pk}/"
    with django_assert_num_queries(1):  # counts take no ordered parts: one query anywhere
        assert count_all(mine, n=Count("pk"), overdue=Count(
            "pk", filter=Q(due_at__lt=timezone.now()))) == {"n": 4, "overdue": 1}
