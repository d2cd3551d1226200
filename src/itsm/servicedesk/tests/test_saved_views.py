"""Saved views of a list: a person keeps the list's filters and sort under a name,
finds them on the list again, shares them with colleagues (staff only); only the owner
deletes; another provider's staff never see them."""

from __future__ import annotations

import pytest
from django.test import Client

from itsm.core.models import AuditEntry, SavedView

pytestmark = pytest.mark.django_db


def browser(world, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def test_a_saved_view_comes_back_on_the_list(world):
    world.request("requester_a", title="紧急的打印机故障")
    client = browser(world, "agent")
    response = client.post("/views/save/", {
        "record_type": "servicerequest", "name": "我的紧急工单",
        "query": "priority=1&open=true&cursor=abc", "next": "/requests/", "shared": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/requests/?priority=1&open=true"
    view = SavedView.objects.get(name="我的紧急工单")
    assert view.shared and view.owner == world.agent
    assert AuditEntry.objects.filter(object_type="core.savedview", object_id=str(view.pk)).exists()

    listing = client.get("/requests/").content.decode()
    assert "我的紧急工单" in listing and "?priority=1&amp;open=true" in listing
    # shared: a colleague sees it, cannot delete it; another provider's agent never sees it
    colleague = browser(world, "engineer")
    assert "我的紧急工单" in colleague.get("/requests/").content.decode()
    assert colleague.post(f"/views/{view.pk}/delete/").status_code == 403
    assert "我的紧急工单" not in browser(world, "agent_q").get("/requests/").content.decode()
    assert browser(world, "agent_q").post(f"/views/{view.pk}/delete/").status_code == 404
    assert client.post(f"/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_saved_views_over_the_api(world):
    api = world.client("requester_a")
    created = api.post("/api/saved-views/", {"record_type": "servicerequest",
                                             "name": "未关闭", "query": "open=true"},
                       format="json")
    assert created.status_code == 201, created.content
    assert api.post("/api/saved-views/", {"record_type": "servicerequest", "name": "共享",
                                          "shared": True}, format="json").status_code == 400
    assert api.post("/api/saved-views/", {"record_type": "nothing", "name": "x"},
                    format="json").status_code == 400
    duplicate = api.post("/api/saved-views/", {"record_type": "servicerequest",
                                               "name": "未关闭"}, format="json")
    assert duplicate.status_code == 400
    pk = created.json()["id"]
    assert world.client("requester_a2").get(f"/api/saved-views/{pk}/").status_code == 404
    assert [v["name"] for v in api.get("/api/saved-views/",
                                       {"record_type": "servicerequest"}).json()["results"]] \
        == ["未关闭"]
    assert api.delete(f"/api/saved-views/{pk}/").status_code == 204
