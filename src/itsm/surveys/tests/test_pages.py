"""The pages that run a satisfaction survey campaign (FBK-2) without the API: a quality
manager writes a questionnaire (sections and questions added row by row), creates a
campaign to an organization, launches it (links emailed), types in an answer given by
phone with the interviewer recorded and sees the response rate move. Bad input is shown
on the form and saves nothing; staff who do not manage surveys get 403, customers and
another provider's staff 404; a launched campaign is not edited; editing a frozen
questionnaire saves version 2 and leaves version 1 as it was."""

# covers: FBK-2

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from itsm.core import directory
from itsm.core.choices import Role
from itsm.surveys import services
from itsm.surveys.models import Campaign, Questionnaire, Recipient, SurveyResponse

from .conftest import add_person

LIKERT, SINGLE = "likert", "single"


class FormValues(HTMLParser):
    """What a browser would post from the form ``form_id`` of a page, untouched: text
    inputs, checked boxes, selected options, text areas (no submit buttons)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, []
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or ("name" not in a and tag != "option"):
            return
        kind = a.get("type", "text")
        if tag == "input" and kind not in ("submit", "button"):
            if kind not in ("checkbox", "radio"):
                self.values.append((a["name"], a.get("value", "")))
            elif "checked" in a:
                self.values.append((a["name"], a.get("value", "on")))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.values.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea = a["name"]
            self.values.append((self.textarea, ""))

    def handle_data(self, data: str) -> None:
        if self.textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text.removeprefix("\n"))
            self.textarea = None
        elif tag == "form":
            self.inside = False


def form_values(page, form_id: str) -> dict[str, str | list[str]]:
    parser = FormValues(form_id)
    parser.feed(page.content.decode())
    found: dict[str, str | list[str]] = {}
    for name, value in parser.values:
        if name in found:
            previous = found[name]
            found[name] = [*previous, value] if isinstance(previous, list) else [
                previous, value]
        else:
            found[name] = value
    return found


def question_rows(data: dict, section: int, rows: list[dict]) -> None:
    """Fill the question rows of section ``section`` (as many as the page offers)."""
    for m, row in enumerate(rows):
        prefix = f"s{section}-{m}-"
        for name, value in row.items():
            if isinstance(value, bool):
                if value:
                    data[prefix + name] = "on"
                else:
                    data.pop(prefix + name, None)
            else:
                data[prefix + name] = value


def build_questionnaire_form(client, fields: dict, sections: list[tuple[str, list[dict]]]):
    """Open the new-questionnaire page and grow it with its "add" buttons until it has
    the rows ``sections`` need, then fill them in; returns the data to post."""
    url = reverse("surveys:questionnaire-create")
    data = form_values(client.get(url), "questionnaire-form")
    for n, (_title, rows) in enumerate(sections):
        if n > 0:
            page = client.post(url, {**data, "add_section": "1"})
            assert page.status_code == 200
            data = form_values(page, "questionnaire-form")
        for _extra in rows[1:]:
            page = client.post(url, {**data, "add_question": str(n)})
            assert page.status_code == 200
            data = form_values(page, "questionnaire-form")
    data.update(fields)
    for n, (title, rows) in enumerate(sections):
        data[f"sections-{n}-title"] = title
        question_rows(data, n, rows)
    return data


SECTIONS = [
    ("服务评价", [{"kind": LIKERT, "title": "服务台响应是否及时？",
                   "dimension": "response_speed"}]),
    ("基本信息", [{"kind": SINGLE, "title": "您的角色", "options": "user | 用户 | User\n"
                   "manager | 主管 | Manager", "allow_not_applicable": False}]),
]


def create_questionnaire(client) -> Questionnaire:
    data = build_questionnaire_form(client, {"code": "annual-2026", "title": "年度满意度调查"},
                                    SECTIONS)
    response = client.post(reverse("surveys:questionnaire-create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Questionnaire.objects.get(code="annual-2026")


def campaign_data(sw, questionnaire, **changes) -> dict:
    closes = timezone.localtime() + dt.timedelta(days=14)
    return {"questionnaire": str(questionnaire.pk), "name": "2026年度满意度调查（华东）",
            "period_start": "2026-01-01", "period_end": "2026-12-31",
            "organizations": [str(sw.world.orgs["A"].pk)], "channels": ["email"],
            "closes_at": closes.strftime("%Y-%m-%dT%H:%M"), "reminder_days": "3",
            **changes}


def launch_through_the_page(client, campaign, capture):
    with capture(execute=True):
        response = client.post(reverse("surveys:campaign-launch", args=[campaign.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_a_manager_runs_a_campaign_through_the_pages(sw, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    world = sw.world
    client = world.client("quality")
    # the questionnaire: two sections, a rating and a single-choice question
    questionnaire = create_questionnaire(client)
    assert questionnaire.provider == world.orgs["P"] and questionnaire.version == 1
    assert services.sections_of(questionnaire) == [
        {"title": "服务评价", "title_en": "", "questions": [{
            "id": questionnaire.sections.get(position=0).questions.get().pk, "kind": LIKERT,
            "title": "服务台响应是否及时？", "title_en": "", "dimension": "response_speed",
            "options": [], "allow_not_applicable": True, "required": True}]},
        {"title": "基本信息", "title_en": "", "questions": [{
            "id": questionnaire.sections.get(position=1).questions.get().pk, "kind": SINGLE,
            "title": "您的角色", "title_en": "", "dimension": "",
            "options": [{"value": "user", "label": "用户", "label_en": "User"},
                        {"value": "manager", "label": "主管", "label_en": "Manager"}],
            "allow_not_applicable": False, "required": True}]}]
    detail = client.get(reverse("surveys:questionnaire-detail", args=[questionnaire.pk]))
    text = detail.content.decode()
    assert "响应速度" in text and "单选" in text and "主管" in text  # dimension, kind, option
    listing = client.get(reverse("surveys:questionnaire-list")).content.decode()
    assert "annual-2026" in listing and "年度满意度调查" in listing

    # the campaign to organization A, from the list's button
    campaigns = client.get(reverse("surveys:campaign-list")).content.decode()
    assert reverse("surveys:campaign-create") in campaigns
    assert client.get(reverse("surveys:campaign-create")).status_code == 200
    response = client.post(reverse("surveys:campaign-create"), campaign_data(sw, questionnaire))
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(name="2026年度满意度调查（华东）")
    assert response["Location"] == reverse("surveys:campaign-detail", args=[campaign.pk])
    assert list(campaign.organizations.all()) == [world.orgs["A"]]
    assert campaign.status == "draft" and campaign.provider == world.orgs["P"]
    page = client.get(response["Location"]).content.decode()
    assert "草稿" in page and 'id="launch-campaign"' in page and 'id="edit-campaign"' in page
    assert campaign.name in client.get(reverse("surveys:campaign-list")).content.decode()

    # launched: everyone of A with a customer role is asked by email
    launch_through_the_page(client, campaign, django_capture_on_commit_callbacks)
    campaign.refresh_from_db()
    assert campaign.status == "open" and campaign.launched_by == world.users["quality"]
    asked = set(Recipient.objects.filter(campaign=campaign).values_list(
        "person__username", flat=True))
    assert len(asked) == 11 and {"requester_a", "custadmin_a", "extra_a7"} <= asked
    assert {m.to[0] for m in mailoutbox} == {f"{name}@example.cn" for name in asked}
    page = client.get(reverse("surveys:campaign-detail", args=[campaign.pk])).content.decode()
    assert "回收率" in page and "11 人中 0 人已回答" in page and 'id="launch-campaign"' not in page
    assert 'id="edit-campaign"' not in page

    # a phone answer, typed in by the manager, the team lead named as interviewer
    url = reverse("surveys:campaign-staff-answer", args=[campaign.pk])
    assert url in page
    form = client.get(url)
    assert form.status_code == 200 and "服务台响应是否及时？" in form.content.decode()
    recipient = Recipient.objects.get(campaign=campaign, person=world.users["extra_a3"])
    rating, role = (q.pk for q in services.questions_of(campaign.questionnaire))
    response = client.post(url, {"channel": "phone", "recipient": str(recipient.pk),
                                 "interviewer": str(world.users["lead"].pk),
                                 f"q{rating}": "4", f"q{role}": "manager"})
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = SurveyResponse.objects.get(campaign=campaign)
    assert saved.channel == "phone" and saved.interviewer == world.users["lead"]
    assert saved.respondent == world.users["extra_a3"]
    assert {(a.dimension, a.score, tuple(a.choices)) for a in saved.answers.all()} == {
        ("response_speed", 4, ()), ("", None, ("manager",))}
    recipient.refresh_from_db()
    assert recipient.answered_at is not None
    page = client.get(reverse("surveys:campaign-detail", args=[campaign.pk])).content.decode()
    assert "11 人中 1 人已回答" in page and "9.1%" in page
    # the person who answered is no longer offered
    offered = client.get(url).content.decode()
    assert "张a3 (华东制造)" not in offered and "张a4 (华东制造)" in offered


def test_the_interviewer_is_the_person_typing_unless_another_is_named(sw):
    services.launch_campaign(sw.campaign, actor=sw.world.users["quality"])
    client = sw.world.client("agent")
    url = reverse("surveys:campaign-staff-answer", args=[sw.campaign.pk])
    data = form_values(client.get(url), "staff-answer-form")
    assert data["interviewer"] == str(sw.world.users["agent"].pk)  # preselected
    answers = sw.answers(response_speed="5", service_quality="4", reliability="4",
                         cost="na", security="3")
    response = client.post(url, {**data, "channel": "interview",
                                 "organization": str(sw.world.orgs["B"].pk),
                                 "department": str(sw.world.departments["B"].pk),
                                 **{f"q{k}": v for k, v in answers.items()}})
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = SurveyResponse.objects.get()
    assert (saved.channel, saved.interviewer, saved.organization, saved.department) == (
        "interview", sw.world.users["agent"], sw.world.orgs["B"], sw.world.departments["B"])
    assert saved.respondent is None and saved.recipient is None


def test_bad_input_is_shown_on_the_forms_and_saves_nothing(sw):
    world = sw.world
    client = world.client("quality")
    # a rating question without a dimension, a choice question with one option
    bad = [("服务评价", [{"kind": LIKERT, "title": "总体满意度", "dimension": ""}]),
           ("基本信息", [{"kind": SINGLE, "title": "您的角色", "options": "user | 用户"}])]
    data = build_questionnaire_form(client, {"code": "bad", "title": "问卷"}, bad)
    response = client.post(reverse("surveys:questionnaire-create"), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "问题 1.1 需要指定评价维度。" in text and "问题 2.1 至少需要两个选项。" in text
    assert 'value="总体满意度"' in text  # what was typed is kept
    response = client.post(reverse("surveys:questionnaire-create"),
                           {**data, "code": "not a slug!"})
    assert response.status_code == 400 and 'id="error_1_id_code"' in response.content.decode()
    # removing the only question of a section: the section has no questions
    data = build_questionnaire_form(client, {"code": "empty", "title": "问卷"}, SECTIONS)
    data["s1-0-DELETE"] = "on"
    response = client.post(reverse("surveys:questionnaire-create"), data)
    assert response.status_code == 400 and "第 2 部分没有问题。" in response.content.decode()
    # rows the page never offered: refused, not a server error
    data = build_questionnaire_form(client, {"code": "bare", "title": "问卷"}, SECTIONS)
    for extra in ({"sections-TOTAL_FORMS": "100000", "s0-TOTAL_FORMS": "100000"},
                  {"sections-TOTAL_FORMS": "", "s0-TOTAL_FORMS": "x"}):
        response = client.post(reverse("surveys:questionnaire-create"), {**data, **extra})
        assert response.status_code == 400, extra
        assert "alert-danger" in response.content.decode()
    response = client.post(reverse("surveys:questionnaire-create"),
                           {"code": "bare", "title": "问卷"})
    assert response.status_code == 400
    assert not Questionnaire.objects.filter(code__in=["bad", "empty", "bare"]).exists()

    questionnaire = Questionnaire.objects.get(pk=sw.campaign.questionnaire_id)
    before = Campaign.objects.count()
    for changes, field, message in [
            ({"period_end": "2025-01-01"}, "period_end", "调查期间的结束早于开始。"),
            ({"channels": []}, "channels", "此字段为必填项。"),
            ({"organizations": [str(world.orgs["C"].pk)]}, "organizations", "选择一个有效的选项"),
            ({"closes_at": "tomorrow"}, "closes_at", "输入一个有效的日期/时间。")]:
        response = client.post(reverse("surveys:campaign-create"),
                               campaign_data(sw, questionnaire, **changes))
        assert response.status_code == 400, field
        text = response.content.decode()
        assert f'<p id="error_1_id_{field}"><strong>{message}' in text, field
    assert Campaign.objects.count() == before

    # a phone answer: nobody named, a required question left out
    services.launch_campaign(sw.campaign, actor=world.users["quality"])
    url = reverse("surveys:campaign-staff-answer", args=[sw.campaign.pk])
    response = client.post(url, {"channel": "phone",
                                 "interviewer": str(world.users["quality"].pk),
                                 **{f"q{k}": v for k, v in sw.answers(
                                     response_speed="4").items()}})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="survey-errors"' in text and 'id="staff-answer-form-errors"' in text
    assert text.count('class="text-danger small mt-1 survey-error"') == 4  # 4 unanswered
    assert 'value="4" autocomplete="off" checked' in text  # the answer given is kept
    recipient = sw.campaign.recipients.get(person=world.users["extra_b1"])
    response = client.post(url, {"channel": "phone", "recipient": str(recipient.pk),
                                 "organization": str(world.orgs["A"].pk),
                                 "interviewer": str(world.users["quality"].pk)})
    assert response.status_code == 400
    assert 'id="staff-answer-form-errors"' in response.content.decode()
    response = client.post(url, {"channel": "fax", "recipient": str(recipient.pk),
                                 "interviewer": str(world.users["requester_a"].pk)})
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="error_1_id_channel"' in text and 'id="error_1_id_interviewer"' in text
    assert not SurveyResponse.objects.exists()


def test_only_managers_manage_and_other_providers_get_404(sw):
    world = sw.world
    questionnaire = services.save_questionnaire(None, actor=world.users["quality"], data={
        "code": "p-only", "title": "P 的问卷", "sections": services.sections_of(
            sw.campaign.questionnaire)})
    campaign = sw.campaign
    writes = [("surveys:questionnaire-create", []), ("surveys:campaign-create", []),
              ("surveys:questionnaire-edit", [questionnaire.pk]),
              ("surveys:campaign-edit", [campaign.pk])]
    # staff who do not manage surveys: they read, they do not write
    agent = world.client("agent")
    for route, args in writes:
        assert agent.get(reverse(route, args=args)).status_code == 403, route
        assert agent.post(reverse(route, args=args), {"name": "x", "code": "x"}
                          ).status_code == 403, route
    assert agent.post(reverse("surveys:campaign-launch", args=[campaign.pk])
                      ).status_code == 403
    assert agent.post(reverse("surveys:questionnaire-delete", args=[questionnaire.pk])
                      ).status_code == 403
    page = agent.get(reverse("surveys:campaign-detail", args=[campaign.pk]))
    assert page.status_code == 200
    assert 'id="launch-campaign"' not in page.content.decode()
    assert agent.get(reverse("surveys:questionnaire-list")).status_code == 200
    # the auditor reads, and may not type in answers
    services.launch_campaign(Campaign.objects.get(pk=campaign.pk), actor=world.users["quality"])
    auditor = world.client("auditor")
    assert auditor.get(reverse("surveys:campaign-detail", args=[campaign.pk])).status_code == 200
    staff_answer = reverse("surveys:campaign-staff-answer", args=[campaign.pk])
    assert auditor.get(staff_answer).status_code == 403
    # customers: nothing of this exists
    add_person(world, "quality_q", "Q", roles=(Role.QUALITY_MANAGER,))
    routes = [*writes, ("surveys:questionnaire-list", []),
              ("surveys:questionnaire-detail", [questionnaire.pk]),
              ("surveys:campaign-detail", [campaign.pk]),
              ("surveys:campaign-staff-answer", [campaign.pk])]
    for username in ("requester_a", "custadmin_a", "quality_q"):
        client = world.client(username)
        for route, args in routes:
            if username == "quality_q" and not args:
                continue  # their own provider's lists and forms
            assert client.get(reverse(route, args=args)).status_code == 404, (username, route)
        for route in ("surveys:campaign-launch", "surveys:campaign-staff-answer",
                      "surveys:campaign-edit"):
            assert client.post(reverse(route, args=[campaign.pk]), {}).status_code == 404
        assert client.post(reverse("surveys:questionnaire-delete", args=[questionnaire.pk])
                           ).status_code == 404
    assert Questionnaire.objects.filter(pk=questionnaire.pk).exists()
    assert not SurveyResponse.objects.exists()
    # the other provider's manager does not see P's in their lists either
    listing = world.client("quality_q").get(reverse("surveys:questionnaire-list"))
    assert listing.status_code == 200 and "p-only" not in listing.content.decode()
    # the menu: "Questionnaires" for managers only
    questionnaires = reverse("surveys:questionnaire-list")
    assert f'href="{questionnaires}"' in world.client("quality").get(
        reverse("home")).content.decode()
    assert f'href="{questionnaires}"' not in agent.get(reverse("home")).content.decode()


def test_a_launched_campaign_is_not_edited(sw):
    world = sw.world
    client = world.client("quality")
    questionnaire = sw.campaign.questionnaire
    url = reverse("surveys:campaign-edit", args=[sw.campaign.pk])
    assert client.get(url).status_code == 200  # a draft: editable
    response = client.post(url, campaign_data(sw, questionnaire, name="改名的调查"))
    assert response.status_code == 302
    assert Campaign.objects.get(pk=sw.campaign.pk).name == "改名的调查"
    services.launch_campaign(sw.campaign, actor=world.users["quality"])
    response = client.get(url)
    assert response.status_code == 403
    response = client.post(url, campaign_data(sw, questionnaire, name="再次改名"))
    assert response.status_code == 403
    campaign = Campaign.objects.get(pk=sw.campaign.pk)
    assert campaign.name == "改名的调查" and list(campaign.organizations.all()) == [
        world.orgs["A"]]
    # launching again is refused on the detail page
    response = client.post(reverse("surveys:campaign-launch", args=[campaign.pk]))
    assert response.status_code == 400 and "alert" in response.content.decode()
    assert campaign.recipients.count() == 11


def test_editing_a_frozen_questionnaire_saves_version_2(sw, django_capture_on_commit_callbacks):
    world = sw.world
    client = world.client("quality")
    v1 = create_questionnaire(client)
    Campaign.objects.filter(pk=sw.campaign.pk).update(questionnaire=v1)
    launch_through_the_page(client, sw.campaign, django_capture_on_commit_callbacks)
    v1.refresh_from_db()
    assert v1.frozen_at is not None
    before = services.sections_of(v1)
    url = reverse("surveys:questionnaire-edit", args=[v1.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'id="new-version-note"' in page.content.decode()
    data = form_values(page, "questionnaire-form")
    assert data["s1-0-options"] == "user | 用户 | User\nmanager | 主管 | Manager"
    data["s0-0-title"] = "服务台响应是否及时？（新）"
    data["title"] = "年度满意度调查（修订）"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    v2 = Questionnaire.objects.get(code="annual-2026", version=2)
    assert response["Location"] == reverse("surveys:questionnaire-detail", args=[v2.pk])
    assert v2.frozen_at is None and v2.title == "年度满意度调查（修订）"
    after = services.sections_of(v2)
    assert after[0]["questions"][0]["title"] == "服务台响应是否及时？（新）"
    assert after[1]["questions"][0]["options"] == before[1]["questions"][0]["options"]
    v1.refresh_from_db()
    assert v1.title == "年度满意度调查" and services.sections_of(v1) == before
    assert Campaign.objects.get(pk=sw.campaign.pk).questionnaire_id == v1.pk
    listing = client.get(reverse("surveys:questionnaire-list")).content.decode()
    assert listing.count("annual-2026") == 2


def test_an_unused_questionnaire_is_deleted_a_used_one_is_not(sw):
    client = sw.world.client("quality")
    unused = create_questionnaire(client)
    response = client.post(reverse("surveys:questionnaire-delete", args=[unused.pk]))
    assert response.status_code == 302
    assert not Questionnaire.objects.filter(pk=unused.pk).exists()
    services.launch_campaign(sw.campaign, actor=sw.world.users["quality"])
    used = sw.campaign.questionnaire
    response = client.post(reverse("surveys:questionnaire-delete", args=[used.pk]))
    assert response.status_code == 409
    assert Questionnaire.objects.filter(pk=used.pk).exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_render_in_both_languages(sw, language):
    directory.set_language(sw.world.users["quality"], language)
    client = sw.world.client("quality")
    services.launch_campaign(sw.campaign, actor=sw.world.users["quality"])
    for url in (reverse("surveys:campaign-detail", args=[sw.campaign.pk]),
                reverse("surveys:campaign-staff-answer", args=[sw.campaign.pk]),
                reverse("surveys:campaign-create"),
                reverse("surveys:questionnaire-list"),
                reverse("surveys:questionnaire-create"),
                reverse("surveys:questionnaire-detail", args=[sw.campaign.questionnaire_id]),
                reverse("surveys:questionnaire-edit", args=[sw.campaign.questionnaire_id])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.content.decode(), url


def test_a_manager_closes_an_open_campaign_early(sw):
    """"Close now": the links stop working at once, the close is audited, and only an
    open campaign closes (the API says the same); other staff may not."""
    from itsm.core.models import AuditEntry
    from itsm.surveys.choices import CampaignStatus

    world = sw.world
    close = reverse("surveys:campaign-close", args=[sw.campaign.pk])
    assert world.client("quality").post(close).status_code == 400  # a draft
    tokens = services.launch_campaign(sw.campaign, actor=world.users["quality"])
    detail = world.client("quality").get(reverse("surveys:campaign-detail",
                                                 args=[sw.campaign.pk])).content.decode()
    assert 'id="close-campaign"' in detail
    assert world.client("agent").post(close).status_code in (403, 404)
    response = world.client("quality").post(close)
    assert response.status_code == 302
    campaign = Campaign.objects.get(pk=sw.campaign.pk)
    assert campaign.status == CampaignStatus.CLOSED and campaign.closes_at <= timezone.now()
    with pytest.raises(services.SurveyLinkError):  # the links stop working
        services.recipient_for_token(next(iter(tokens.values())))
    assert AuditEntry.objects.filter(object_id=str(campaign.pk),
                                     changes__status=["open", "closed"]).exists()
    api = world.client("quality").post(f"/api/survey-campaigns/{campaign.pk}/close/")
    assert api.status_code == 400
