"""Feedback items as a record type (FBK-3): CRUD through the API and the pages, the
workflow, filters, export, query counts and scope (the shared ``RecordTypeTests``), and
the home-page cards in a fixed number of queries."""

# covers: FBK-3

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.core import services as core_services
from itsm.core.tests.bases import RecordTypeTests
from itsm.surveys import widgets
from itsm.surveys.models import FeedbackItem

from .test_journey import form_data, launch


class TestFeedbackItems(RecordTypeTests):
    model = FeedbackItem
    transition = ("analyse", {"classification": "urgent"})
    create_data = {"classification": "important", "source": "phone"}


def test_a_customer_raises_feedback_by_hand_and_staff_classify_it(world):
    client = world.client("requester_a")
    response = client.post(reverse("api:feedbackitem-list"), {
        "organization": world.orgs["A"].pk, "title": "希望增加夜间值班",
        "description": "晚上十点后无人接听电话", "classification": "urgent"}, format="json")
    assert response.status_code == 201, response.content
    item = FeedbackItem.objects.get(pk=response.json()["id"])
    assert item.requester == world.requester_a
    url = reverse("api:feedbackitem-transition", args=[item.pk])
    response = world.client("agent").post(url, {"transition": "analyse", "values": {
        "classification": "urgent"}}, format="json")
    assert response.status_code == 200
    assert response.json()["classification"] == "urgent"
    # handling needs the analysis: 400 naming the field
    response = world.client("agent").post(url, {"transition": "handle"}, format="json")
    assert response.status_code == 400 and "analysis" in response.content.decode()


def test_home_cards_take_a_fixed_number_of_queries(sw):
    from .conftest import add_person

    launch(sw)
    tokens = sw.tokens()
    quality = sw.world.users["quality"]
    agent = sw.world.users["agent"]

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as mine:
            widgets.my_feedback(agent)
        with CaptureQueriesContext(connection) as results:
            data = widgets.latest_results(quality)
        assert data["campaign"] is not None
        return len(mine), len(results)

    def answer(username: str) -> None:
        sw.world.client(None).post(reverse("surveys:answer", args=[tokens[username]]),
                                   form_data(sw, [1, 2, 3, 4, 5]))

    answer("extra_b0")
    first = FeedbackItem.objects.get()
    core_services.transition_record(first, "analyse", actor=agent, values={"assignee": agent})
    counts()  # who is who, read once and cached
    before = counts()
    for username in ("requester_a", "requester_a2", "extra_a0", "requester_b"):
        answer(username)
    for item in FeedbackItem.objects.exclude(pk=first.pk):
        core_services.transition_record(item, "analyse", actor=agent,
                                        values={"assignee": agent})
    add_person(sw.world, "extra_c9", "B")
    assert len(widgets.my_feedback(agent)["records"]) == 5
    counts()
    assert counts() == before
