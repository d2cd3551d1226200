"""Who may do what with surveys: customers never see another organization's survey
answers or feedback nor the internal results; staff without a results role get 403;
another provider's staff 404; the auditor reads and writes nothing; only quality
managers and administrators manage questionnaires and campaigns."""

# covers: FBK-2, FBK-3, GEN-ACCESS

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from itsm.core import directory
from itsm.core.choices import Role
from itsm.surveys import defaults
from itsm.surveys.models import Campaign, Questionnaire, SurveyResponse

from .conftest import add_person
from .test_journey import form_data, launch


def answer(sw, username: str, scores) -> None:
    tokens = sw.tokens()
    response = sw.world.client(None).post(reverse("surveys:answer", args=[tokens[username]]),
                                          form_data(sw, scores))
    assert response.status_code == 200


def test_results_are_for_staff_who_read_results(sw):
    launch(sw)
    answer(sw, "requester_a", [5, 4, 4, 3, 5])
    pk = sw.campaign.pk
    routes = [reverse("api:campaign-results", args=[pk]),
              reverse("surveys:campaign-results", args=[pk])]
    for username in ("requester_a", "custadmin_a", "requester_b"):
        for url in routes:
            assert sw.world.client(username).get(url).status_code == 404, (username, url)
    for url in routes:
        assert sw.world.client("agent").get(url).status_code == 403
        assert sw.world.client("agent_q").get(url).status_code == 404
    add_person(sw.world, "quality_q", "Q", roles=(Role.QUALITY_MANAGER,))
    for url in routes:
        assert sw.world.client("quality_q").get(url).status_code == 404
        assert sw.world.client("quality").get(url).status_code == 200
        assert sw.world.client("auditor").get(url).status_code == 200
    page = sw.world.client("quality").get(routes[1]).content.decode()
    assert 'id="results-dimensions"' in page and 'data-chart="chart-dimensions-data"' in page
    export = sw.world.client("quality").get(reverse("surveys:campaign-export", args=[pk]))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    api_export = sw.world.client("quality").get(reverse("api:campaign-export", args=[pk]))
    assert api_export.status_code == 200 and api_export.content[:2] == b"PK"


def test_customers_see_only_their_organizations_answers(sw):
    launch(sw)
    answer(sw, "requester_a", [5, 4, 4, 3, 5])
    answer(sw, "requester_a2", [4, 4, 4, 4, 4])
    answer(sw, "requester_b", [3, 3, 3, 3, 3])
    url = reverse("api:surveyresponse-list")

    def orgs_seen(username: str) -> list[str]:
        rows = sw.world.client(username).get(url).json()["results"]
        return sorted(r["organization_name"] for r in rows)

    a, b = sw.world.orgs["A"].name, sw.world.orgs["B"].name
    assert orgs_seen("requester_a") == [a]  # their own
    assert orgs_seen("custadmin_a") == [a, a]  # their organization's
    assert orgs_seen("requester_b") == [b]
    assert orgs_seen("quality") == sorted([a, a, b])
    assert orgs_seen("agent_q") == []
    b_answer = SurveyResponse.objects.get(organization=sw.world.orgs["B"])
    detail = reverse("api:surveyresponse-detail", args=[b_answer.pk])
    assert sw.world.client("custadmin_a").get(detail).status_code == 404
    assert sw.world.client("requester_b").get(detail).status_code == 200


def test_only_quality_managers_and_administrators_manage_surveys(sw):
    world = sw.world
    questionnaire = defaults.default_questionnaire()
    data = {"name": "季度回访", "questionnaire": questionnaire.pk,
            "period_start": "2026-10-01", "period_end": "2026-12-31",
            "closes_at": (timezone.now() + dt.timedelta(days=7)).isoformat(),
            "channels": ["email", "im"], "organizations": [world.orgs["A"].pk]}
    url = reverse("api:campaign-list")
    for username in ("agent", "auditor", "requester_a", "custadmin_a"):
        response = world.client(username).post(url, data, format="json")
        assert response.status_code == 403, username
    assert world.client("auditor").post(
        reverse("api:campaign-launch", args=[sw.campaign.pk]), format="json"
    ).status_code == 403
    assert world.client("agent").post(
        reverse("api:campaign-launch", args=[sw.campaign.pk]), format="json"
    ).status_code == 403
    assert world.client("requester_a").get(
        reverse("api:campaign-detail", args=[sw.campaign.pk])).status_code == 404
    response = world.client("quality").post(url, data, format="json")
    assert response.status_code == 201, response.content
    assert world.client("admin").post(url, data, format="json").status_code == 201
    # targets outside what the provider serves: 400 with the field named
    bad = world.client("quality").post(url, {**data, "organizations": [world.orgs["C"].pk]},
                                       format="json")
    assert bad.status_code == 400 and "organizations" in bad.json()
    bad = world.client("quality").post(url, {**data, "channels": ["fax"]}, format="json")
    assert bad.status_code == 400 and "channels" in bad.json()
    bad = world.client("quality").post(url, {**data, "period_end": "2026-01-01"},
                                       format="json")
    assert bad.status_code == 400 and "period_end" in bad.json()
    assert Campaign.objects.count() == 3


def test_a_launched_questionnaire_is_frozen_and_edits_make_a_new_version(sw):
    world = sw.world
    client = world.client("quality")
    created = client.post(reverse("api:questionnaire-list"), {
        "code": "annual", "title": "年度满意度调查", "title_en": "Annual survey",
        "sections": [{"title": "总体", "questions": [
            {"kind": "likert", "title": "总体满意度", "dimension": "service_quality"},
            {"kind": "single", "title": "您的角色", "options": [
                {"value": "user", "label": "用户"}, {"value": "manager", "label": "主管"}]}]}]},
        format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert [q["title"] for q in created.json()["sections"][0]["questions"]] == [
        "总体满意度", "您的角色"]
    # editing a questionnaire no campaign used changes it in place
    edited = client.patch(reverse("api:questionnaire-detail", args=[pk]),
                          {"title": "年度满意度调查（2026）"}, format="json")
    assert edited.status_code == 200 and edited.json()["id"] == pk
    campaign = Campaign.objects.get(pk=sw.campaign.pk)
    campaign.questionnaire_id = pk
    campaign.save(update_fields=["questionnaire"])
    launch(sw)
    assert Questionnaire.objects.get(pk=pk).frozen_at is not None
    edited = client.patch(reverse("api:questionnaire-detail", args=[pk]), {
        "sections": [{"title": "总体", "questions": [
            {"kind": "likert", "title": "总体满意度（新）", "dimension": "service_quality"}]}]},
        format="json")
    assert edited.status_code == 200
    assert edited.json()["id"] != pk and edited.json()["version"] == 2
    assert Questionnaire.objects.get(pk=pk).sections.get().questions.count() == 2
    # bad sections: 400 with the reason
    bad = client.post(reverse("api:questionnaire-list"), {
        "code": "bad", "title": "x", "sections": [{"title": "s", "questions": [
            {"kind": "likert", "title": "no dimension"}]}]}, format="json")
    assert bad.status_code == 400 and "sections" in bad.json()
    assert world.client("agent").patch(reverse("api:questionnaire-detail", args=[pk]),
                                       {"title": "x"}, format="json").status_code == 403
    assert world.client("requester_a").get(
        reverse("api:questionnaire-detail", args=[pk])).status_code == 404


def test_staff_typed_answers_need_staff_of_the_provider(sw):
    launch(sw)
    recipient = sw.campaign.recipients.get(person=sw.world.users["extra_a1"])
    url = reverse("api:campaign-answers", args=[sw.campaign.pk])
    body = {"channel": "phone", "recipient": recipient.pk,
            "answers": sw.answers(response_speed=4, service_quality=4, reliability=4,
                                  cost=4, security=4)}
    assert sw.world.client("auditor").post(url, body, format="json").status_code == 403
    assert sw.world.client("requester_a").post(url, body, format="json").status_code == 404
    assert sw.world.client("agent_q").post(url, body, format="json").status_code == 404
    assert not SurveyResponse.objects.exists()
    # an interview with someone not asked by link: organization and department named
    response = sw.world.client("agent").post(url, {
        "channel": "interview", "organization": sw.world.orgs["B"].pk,
        "department": sw.world.departments["B"].pk, "answers": body["answers"]},
        format="json")
    assert response.status_code == 201, response.content
    results = sw.world.client("quality").get(
        reverse("api:campaign-results", args=[sw.campaign.pk])).json()
    assert [d["name"] for d in results["departments"]] == ["财务部 B"]


def test_the_inbox_lists_surveys_to_answer_and_the_portal_page_answers_them(sw):
    launch(sw)
    client = sw.world.client("requester_a")
    inbox = {s["key"]: s for s in client.get(reverse("api:me-inbox")).json()}
    [item] = inbox["surveys-to-answer"]["items"]
    assert item["title"] == sw.campaign.name
    home = client.get(reverse("home")).content.decode()
    assert 'id="survey-banner"' in home and item["url"] in home
    assert client.get(item["url"]).status_code == 200
    response = client.post(item["url"], form_data(sw, [4, 4, 4, 4, 4]))
    assert response.status_code == 200
    saved = SurveyResponse.objects.get()
    assert saved.channel == "portal" and saved.respondent == sw.world.users["requester_a"]
    inbox = {s["key"]: s for s in client.get(reverse("api:me-inbox")).json()}
    assert inbox["surveys-to-answer"]["count"] == 0
    home = client.get(reverse("home")).content.decode()
    assert 'id="survey-banner"' not in home
    assert 'id="widget-survey-banner"' not in home  # no empty card either
    assert client.get(item["url"]).status_code == 410
    # someone not asked: 404
    other = sw.world.client("requester_c")
    assert other.get(item["url"]).status_code == 404


def test_an_anonymous_campaign_keeps_no_name(sw):
    Campaign.objects.filter(pk=sw.campaign.pk).update(anonymous=True)
    directory.set_language(sw.world.users["extra_a4"], "zh-hans")
    launch(sw)
    answer(sw, "extra_a4", [1, 3, 3, 3, 3])
    saved = SurveyResponse.objects.get()
    assert saved.respondent is None and saved.recipient is None
    assert saved.organization == sw.world.orgs["A"]
    # the low score still opens feedback, for the organization's customer administrator
    from itsm.surveys.models import FeedbackItem

    assert FeedbackItem.objects.get().requester == sw.world.users["custadmin_a"]
