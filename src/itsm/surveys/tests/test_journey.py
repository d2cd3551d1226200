"""The acceptance journey of a satisfaction survey (FBK-2) and a feedback item (FBK-3):
a campaign to two customer organizations with 20 recipients, answers through signed
links (one per recipient, single use, closed after the close date) and one typed in by
staff after a phone call; the results per dimension and per organization equal a hand
computation; a score of 1 opens a feedback item that the customer later confirms."""

# covers: FBK-2, FBK-3

from __future__ import annotations

import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone

from itsm.surveys.choices import FeedbackClass, FeedbackSource
from itsm.surveys.models import FeedbackItem, Recipient, SurveyResponse

DIMENSIONS = ["response_speed", "service_quality", "reliability", "cost", "security"]
#: username → scores in the order of DIMENSIONS ("na": not applicable).
LINK_ANSWERS = {
    "requester_a": [5, 4, 4, 3, 5],
    "requester_a2": [4, 4, 5, "na", 4],
    "extra_a0": [1, 2, 3, 3, 4],
    "requester_b": [3, 3, 4, 3, 5],
    "extra_b0": [5, 5, 5, 4, "na"],
}
PHONE_ANSWER = ("extra_b1", [4, 3, 4, 4, 3])
ORG_OF = {"requester_a": "A", "requester_a2": "A", "extra_a0": "A", "requester_b": "B",
          "extra_b0": "B", "extra_b1": "B"}


def form_data(sw, scores) -> dict:
    data = {f"q{sw.questions[d].pk}": str(s) for d, s in zip(DIMENSIONS, scores, strict=True)}
    data[f"q{sw.questions['text'].pk}"] = "希望继续保持"
    return data


def expected_average(rows: list[list]) -> dict[str, float]:
    """The hand computation: per dimension, the mean of the numeric scores."""
    result = {}
    for i, dim in enumerate(DIMENSIONS):
        numbers = [row[i] for row in rows if row[i] != "na"]
        result[dim] = round(sum(numbers) / len(numbers), 2)
    return result


def launch(sw):
    client = sw.world.client("quality")
    response = client.post(reverse("api:campaign-launch", args=[sw.campaign.pk]),
                           format="json")
    assert response.status_code == 200, response.content
    return response


def test_campaign_answers_results_and_feedback_loop(sw):
    world = sw.world
    assert launch(sw).json() == {"recipients": 20, "status": "open"}
    # one link per recipient, each sent by email, each different; only hashes stored
    tokens = sw.tokens()
    assert len(tokens) == 20 and len(set(tokens.values())) == 20
    assert not Recipient.objects.filter(token_hash__in=tokens.values()).exists()
    assert {r.organization.code for r in Recipient.objects.select_related("organization")
            } == {"a", "b"}

    anonymous = world.client(None)
    for username, scores in LINK_ANSWERS.items():
        url = reverse("surveys:answer", args=[tokens[username]])
        page = anonymous.get(url)
        assert page.status_code == 200
        assert "服务台响应您的请求是否及时？" in page.content.decode()
        done = anonymous.post(url, form_data(sw, scores))
        assert done.status_code == 200, done.content.decode()[:500]
        assert "survey-thanks" in done.content.decode()

    # single use: the same link again is refused and stores nothing
    again = anonymous.post(reverse("surveys:answer", args=[tokens["requester_a"]]),
                           form_data(sw, [1, 1, 1, 1, 1]))
    assert again.status_code == 410
    assert 'id="survey-refused"' in again.content.decode()
    assert SurveyResponse.objects.count() == 5

    # a phone answer typed in by an agent, the interviewer recorded
    username, scores = PHONE_ANSWER
    recipient = Recipient.objects.get(person=world.users[username])
    phone = world.client("agent").post(
        reverse("api:campaign-answers", args=[sw.campaign.pk]),
        {"channel": "phone", "recipient": recipient.pk,
         "answers": {str(sw.questions[d].pk): s for d, s in zip(DIMENSIONS, scores,
                                                                 strict=True)}},
        format="json")
    assert phone.status_code == 201, phone.content
    assert phone.json()["interviewer"] == world.users["agent"].pk
    assert phone.json()["channel"] == "phone"
    # that recipient's link is used up too
    assert anonymous.get(reverse("surveys:answer", args=[tokens[username]])).status_code == 410

    # results per dimension and per organization = the hand computation
    results = world.client("quality").get(
        reverse("api:campaign-results", args=[sw.campaign.pk])).json()
    everyone = [*LINK_ANSWERS.values(), PHONE_ANSWER[1]]
    assert results["recipients"] == 20 and results["responses"] == 6
    assert results["response_rate"] == 30.0
    got = {d["code"]: d["average"] for d in results["dimensions"]}
    assert got == expected_average(everyone)
    assert got["response_speed"] == 3.67 and got["cost"] == 3.4  # 17 / 5: "na" left out
    assert [d["code"] for d in results["dimensions"]] == DIMENSIONS  # the manuals' order
    [trend] = results["trend"]
    assert trend["campaign"] == sw.campaign.pk and trend["dimensions"] == got
    by_org = {row["name"]: dict(zip([d["code"] for d in results["dimensions"]],
                                    row["dimensions"], strict=True))
              for row in results["organizations"]}
    for code in ("A", "B"):
        rows = [s for u, s in [*LINK_ANSWERS.items(), PHONE_ANSWER] if ORG_OF[u] == code]
        assert by_org[world.orgs[code].name] == expected_average(rows)
    assert by_org[world.orgs["A"].name]["cost"] == 3.0

    # the score of 1 opened one feedback item for the person who gave it
    item = FeedbackItem.objects.get()
    assert item.requester == world.users["extra_a0"]
    assert item.source == FeedbackSource.SURVEY and item.score == 1
    assert item.classification == FeedbackClass.IMPORTANT
    assert item.number.startswith("FBK-")

    # staff analyse and handle it; the customer confirms
    agent = world.client("agent")
    url = reverse("api:feedbackitem-transition", args=[item.pk])
    customer = world.client("extra_a0")
    assert customer.post(url, {"transition": "analyse"}, format="json").status_code == 403
    for name, values in [("analyse", {"assignee": world.users["agent"].pk}),
                         ("handle", {"analysis": "工程师响应慢，派单规则有误"}),
                         ("submit", {"handling": "已调整派单规则并回访客户"})]:
        response = agent.post(url, {"transition": name, "values": values}, format="json")
        assert response.status_code == 200, (name, response.content)
    inbox = {s["key"]: s for s in customer.get(reverse("api:me-inbox")).json()}
    assert [i["number"] for i in inbox["feedback-to-confirm"]["items"]] == [item.number]
    response = customer.post(url, {"transition": "confirm"}, format="json")
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.status == "confirmed" and item.confirmed_at is not None


def test_links_expire_after_the_close_date(sw):
    launch(sw)
    tokens = sw.tokens()
    anonymous = sw.world.client(None)
    url = reverse("surveys:answer", args=[tokens["extra_a1"]])
    assert anonymous.get(url).status_code == 200
    after = sw.campaign.closes_at + dt.timedelta(minutes=1)
    with time_machine.travel(after, tick=False):
        assert anonymous.get(url).status_code == 410
        response = anonymous.post(url, form_data(sw, [5, 5, 5, 5, 5]))
        assert response.status_code == 410
        assert 'id="survey-refused"' in response.content.decode()
    with time_machine.travel(sw.campaign.closes_at - dt.timedelta(minutes=1), tick=False):
        assert anonymous.get(url).status_code == 200
    assert not SurveyResponse.objects.exists()


def test_an_unknown_link_is_404_and_the_page_speaks_the_recipients_language(sw):
    from itsm.core import directory

    directory.set_language(sw.world.users["extra_b2"], "en")
    launch(sw)
    tokens = sw.tokens()
    anonymous = sw.world.client(None)
    assert anonymous.get(reverse("surveys:answer", args=["forged-token"])).status_code == 404
    page = anonymous.get(reverse("surveys:answer", args=[tokens["extra_b2"]]))
    assert "Did the service desk respond to your requests in time?" in page.content.decode()
    assert 'lang="en"' in page.content.decode()
    page = anonymous.get(reverse("surveys:answer", args=[tokens["extra_b3"]]))
    assert "服务台响应您的请求是否及时？" in page.content.decode()
    assert 'lang="zh-hans"' in page.content.decode()


def test_bad_answers_are_form_errors_on_the_page_and_400_in_the_api(sw):
    launch(sw)
    tokens = sw.tokens()
    anonymous = sw.world.client(None)
    url = reverse("surveys:answer", args=[tokens["extra_a2"]])
    data = form_data(sw, [7, 4, 4, 4, 4])
    del data[f"q{sw.questions['security'].pk}"]
    page = anonymous.post(url, data)
    assert page.status_code == 400
    body = page.content.decode()
    assert f'id="q{sw.questions["response_speed"].pk}-error"' in body
    assert f'id="q{sw.questions["security"].pk}-error"' in body
    assert anonymous.get(url).status_code == 200  # not used up by a refused answer
    recipient = Recipient.objects.get(person=sw.world.users["extra_a3"])
    response = sw.world.client("agent").post(
        reverse("api:campaign-answers", args=[sw.campaign.pk]),
        {"channel": "phone", "recipient": recipient.pk,
         "answers": {str(sw.questions["cost"].pk): "abc"}}, format="json")
    assert response.status_code == 400
    assert f"q{sw.questions['cost'].pk}" in response.json()
    assert f"q{sw.questions['security'].pk}" in response.json()  # required, missing
    assert not SurveyResponse.objects.exists()


def test_a_low_ticket_rating_opens_a_feedback_item(world, settings):
    from itsm.core import services as core_services
    from itsm.servicedesk import satisfaction

    settings.FEEDBACK_SCORE_THRESHOLD = 2
    tickets = []
    for title in ("打印机卡纸", "邮箱无法登录"):
        ticket = world.request("requester_a", title=title)
        agent = world.users["agent"]
        for name, values in [("assign", {"assignee": agent}), ("start", {}),
                             ("resolve", {"resolution": "已处理"})]:
            ticket = core_services.transition_record(ticket, name, actor=agent, values=values)
        ticket = core_services.transition_record(ticket, "close", actor=world.requester_a)
        tickets.append(ticket)
    satisfaction.rate_ticket(tickets[0], actor=world.requester_a, score=3, comment="一般")
    assert not FeedbackItem.objects.exists()
    satisfaction.rate_ticket(tickets[1], actor=world.requester_a, score=2, comment="太慢了")
    item = FeedbackItem.objects.get()
    assert item.source == FeedbackSource.RATING and item.score == 2
    assert item.source_number == tickets[1].number and item.requester == world.requester_a
    assert item.organization == world.orgs["A"]
    assert item.classification == FeedbackClass.GENERAL
    # the customer sees it among their feedback
    numbers = [r["number"] for r in world.client("requester_a").get(
        reverse("api:feedbackitem-list")).json()["results"]]
    assert numbers == [item.number]

    # ITSM_FEEDBACK_SCORE_THRESHOLD=3: a rating of 3 opens one too.
    settings.FEEDBACK_SCORE_THRESHOLD = 3
    third = world.request("requester_a", title="网络偶尔中断")
    for name, values in [("assign", {"assignee": agent}), ("start", {}),
                         ("resolve", {"resolution": "已处理"})]:
        third = core_services.transition_record(third, name, actor=agent, values=values)
    third = core_services.transition_record(third, "close", actor=world.requester_a)
    satisfaction.rate_ticket(third, actor=world.requester_a, score=3, comment="一般")
    assert FeedbackItem.objects.filter(source_number=third.number, score=3).exists()


def test_reminders_go_to_those_who_have_not_answered(sw):
    from itsm.core.models import Notification
    from itsm.surveys import services

    launch(sw)
    tokens = sw.tokens()
    sw.world.client(None).post(reverse("surveys:answer", args=[tokens["requester_a"]]),
                               form_data(sw, [5, 5, 5, 5, 5]))
    before = Notification.objects.filter(event="satisfaction_request").count()
    assert services.remind_unanswered(timezone.now() + dt.timedelta(days=1)) == 0
    assert services.remind_unanswered(timezone.now() + dt.timedelta(days=3, minutes=1)) == 19
    reminders = Notification.objects.filter(event="satisfaction_request").count() - before
    assert reminders == 19
    assert Notification.objects.filter(event="satisfaction_request",
                                       user=sw.world.users["requester_a"]).count() == 1
    # the old link of a reminded person no longer works; the new one does
    assert sw.world.client(None).get(
        reverse("surveys:answer", args=[tokens["extra_a0"]])).status_code == 404


def test_targets_by_department_person_or_a_sample_of_recent_requesters(sw):
    from itsm.surveys import services

    world = sw.world
    quality = world.users["quality"]

    def recipients_of(**data) -> set[str]:
        campaign = services.save_campaign(None, actor=quality, data={
            "name": "回访", "questionnaire": sw.campaign.questionnaire,
            "period_start": dt.date(2026, 10, 1), "period_end": dt.date(2026, 12, 31),
            "closes_at": timezone.now() + dt.timedelta(days=7), "channels": ["email"],
            **data})
        services.launch_campaign(campaign, actor=quality)
        return {r.person.username for r in campaign.recipients.select_related("person")}

    assert recipients_of(departments=[world.departments["A"]],
                         people=[world.users["requester_b"]]) == {
        *(f"extra_a{n}" for n in range(8)), "requester_b"}
    world.request("requester_a2", title="打印机卡纸")
    world.request("extra_b4", title="邮箱无法登录")
    world.request("requester_a", title="VPN 断线")
    assert recipients_of(organizations=[world.orgs["A"], world.orgs["B"]],
                         sample_size=2) == {"requester_a", "extra_b4"}
