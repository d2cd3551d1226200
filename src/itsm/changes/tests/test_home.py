"""The change process on the home page and in the inbox: a CAB member's "awaiting my
vote" equals the data, a change manager sees this week's changes and freezes, change
tasks wait in their assignee's inbox, and another provider's board sees none of it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from itsm.changes import approvals
from itsm.changes import services as change_services
from itsm.changes.models import FreezeWindow
from itsm.changes.tests.test_approvals import new_change, submit_and_assess

pytestmark = pytest.mark.django_db


def home(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def awaiting(html: str) -> int:
    return int(re.search(r'id="awaiting-vote-count">(\d+)<', html).group(1))


def test_awaiting_my_vote_equals_the_open_steps_without_my_vote(cw):
    first = submit_and_assess(cw, new_change(cw, title="数据库升级"))
    submit_and_assess(cw, new_change(cw, title="网络割接"))
    approvals.cast_vote(approvals.current_approval(first), voter=cw.users["cab1"],
                        decision="approve")

    assert awaiting(home(cw.users["cab1"])) == 1
    assert awaiting(home(cw.users["cab2"])) == 2
    html = home(cw.users["cab_q"])  # another provider's board
    assert awaiting(html) == 0 and "网络割接" not in html

    api = cw.world.client(None)
    api.force_login(cw.users["cab2"])
    votes = {s["key"]: s for s in api.get("/api/me/inbox/").json()}["votes"]
    assert votes["count"] == 2
    assert {i["title"] for i in votes["items"]} == {"数据库升级", "网络割接"}


def test_change_manager_sees_the_week_and_the_freezes(cw):
    change = submit_and_assess(cw, new_change(cw, title="本周变更"))
    start, end = cw.window(days=1)
    FreezeWindow.objects.create(provider=cw.world.orgs["P"], name="春节封网", start=start,
                                end=end)
    html = home(cw.users["chgmgr"])
    for key in ("awaiting-my-vote", "changes-this-week", "freeze-windows"):
        assert f'id="widget-{key}"' in html
    assert "春节封网" in html
    if change.planned_start.isocalendar()[:2] == change.created_at.isocalendar()[:2]:
        assert "本周变更" in html
    assert 'id="widget-freeze-windows"' not in home(cw.world.users["agent"])


def test_change_tasks_wait_in_their_assignees_inbox(cw):
    change = new_change(cw)
    change_services.create_task(change, actor=cw.world.users["engineer"],
                                data={"title": "备份数据库", "assignee": cw.world.users["agent"]})
    client = Client()
    client.force_login(cw.world.users["agent"])
    html = client.get("/inbox/").content.decode()
    assert "备份数据库" in html
    client.force_login(cw.world.users["engineer"])
    assert "备份数据库" not in client.get("/inbox/").content.decode()


def test_the_change_list_shows_type_risk_and_planned_window(cw):
    change = submit_and_assess(cw, new_change(cw, title="列表列"))
    client = Client()
    client.force_login(cw.users["chgmgr"])
    html = client.get("/changes/").content.decode()
    head = html.split("<thead>")[1].split("</thead>")[0]
    assert "变更类型" in head or "Change type" in head
    start = change.planned_start.astimezone(timezone.get_current_timezone())
    row = html.split(f">{change.number}</a>")[1].split("</tr>")[0]
    assert change.get_change_type_display() in row and change.get_risk_level_display() in row
    assert f"{start:%m-%d %H:%M} – " in row
