"""Knowledge in the flow of work (KB-1): suggestions found as ticket search finds tickets
(two-character words, phrases as written, then the articles holding the most words), on
the agent's ticket page with "Use this article to resolve" and the "used to resolve"
count; an article written from a resolved ticket or a known error, prefilled and
linked."""

# covers: KB-1

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from itsm.conftest import world_copy
from itsm.core import services as core_services
from itsm.core.choices import LinkKind
from itsm.core.models import RecordLink
from itsm.knowledge import search, services
from itsm.knowledge.models import Article
from itsm.problems.models import Problem
from itsm.servicedesk.models import Incident

from .data import api, page, published

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _module(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = world_copy()
        yield world, {
            "paper": published(world, title="打印机卡纸处理", visibility="customers"),
            "toner": published(world, title="打印机碳粉不足", keywords="硒鼓 更换",
                               description="更换硒鼓的步骤", symptom="打印字迹变淡",
                               cause="", solution="更换碳粉盒", body="<p>联系管理员领取</p>",
                               article_type="faq", visibility="customers"),
            "vpn": published(world, title="VPN 无法连接", symptom="客户端提示连接超时",
                             description="在家办公时连不上公司网络",
                             cause="证书过期", solution="重新下载证书", body="",
                             keywords="远程 办公", visibility="customers"),
            "finance": published(world, title="财务系统登录失败", symptom="提示密码错误",
                                 description="登录页面报错",
                                 cause="", solution="重置密码", body="<p>系统维护公告</p>",
                                 keywords="", visibility="customers"),
        }
        transaction.set_rollback(True)


@pytest.fixture
def world(_module, db):
    return _module[0]


@pytest.fixture
def kb(_module, db) -> dict[str, Article]:
    return _module[1]


def found(user, text: str) -> list[str]:
    return [a.title for a in search.suggest(user, text)]


def test_a_two_character_word_finds_the_articles_holding_it(world, kb):
    assert found(world.requester_a, "卡纸") == ["打印机卡纸处理"]
    assert set(found(world.requester_a, "打印机")) == {"打印机卡纸处理", "打印机碳粉不足"}
    assert found(world.requester_a, "硒鼓") == ["打印机碳粉不足"]  # a keyword


def test_a_phrase_is_found_as_written(world, kb):
    assert found(world.requester_a, "财务系统") == ["财务系统登录失败"]
    # 系统 … 财务 apart is not the phrase 系统财务: nothing holds every word as written,
    # so the articles holding most of the words come.
    assert found(world.requester_a, "系统财务")[0] == "财务系统登录失败"


def test_when_no_article_holds_every_word_the_most_words_win(world, kb):
    text = "三楼的打印机又卡纸了，怎么办"
    assert found(world.requester_a, text)[0] == "打印机卡纸处理"
    assert found(world.requester_a, "VPN 连接 超时 证书 打印机")[0] == "VPN 无法连接"
    assert found(world.requester_a, "完全无关的内容 xyz") == []
    assert found(world.requester_a, "") == []
    words = search.words_of("一 二 三 四 五 六 七 八 九 十 十一 十二 打印机 卡纸 硒鼓 证书 远程 "
                            "财务 系统 密码 碳粉 超时")
    assert len(words) == 8 and words[:2] == ["十一", "十二"] and "卡纸" in words


def test_the_suggestion_endpoints_answer_bad_input_with_400(world, kb):
    client = world.client("requester_a")
    url = reverse("api:knowledge-suggestions")
    assert client.get(url).status_code == 400
    assert client.get(url, {"q": "x" * 201}).status_code == 400
    assert client.get(url, {"q": "卡纸", "limit": "many"}).status_code == 400
    assert client.get(url, {"q": "卡纸"}).json()[0]["title"] == "打印机卡纸处理"
    assert client.get(page("suggest"), {"title": "x" * 5000}).status_code == 200
    assert world.client(None).get(url, {"q": "卡纸"}).status_code in (401, 403)


def resolved_incident(world, **data) -> Incident:
    incident = core_services.create_record(Incident, actor=world.requester_a, data={
        "organization": world.orgs["A"], "title": "三楼打印机卡纸",
        "description": "打印机提示卡纸，无法打印", **data})
    incident = core_services.transition_record(incident, "start", actor=world.agent,
                                               values={"assignee": world.agent})
    return core_services.transition_record(incident, "resolve", actor=world.agent,
                                           values={"resolution": "取出卡纸后恢复"})


def test_the_ticket_page_suggests_and_uses_an_article(world, kb):
    incident = core_services.create_record(Incident, actor=world.requester_a, data={
        "organization": world.orgs["A"], "title": "三楼打印机卡纸",
        "description": "打印机提示卡纸"})
    agent = world.client("agent")
    html = agent.get(incident.get_absolute_url()).content.decode()
    assert 'id="kb-ticket-panel"' in html and kb["paper"].reader_url in html
    # The customer's view of their own ticket has no such panel.
    assert 'kb-ticket-panel' not in world.client("requester_a").get(
        incident.get_absolute_url()).content.decode()
    response = agent.post(page("article-use", kb["paper"].pk), {
        "record": incident.number, "next": incident.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert RecordLink.objects.filter(kind=LinkKind.SOLVED_WITH, target_id=kb["paper"].pk,
                                     source_id=incident.pk).exists()
    body = agent.get(api("detail", kb["paper"].pk)).json()
    assert body["used_to_resolve"] == 1
    html = agent.get(page("article-detail", kb["paper"].pk)).content.decode()
    assert incident.number in html and 'id="article-used">1<' in html
    # Twice is refused with a message (400), never a second link.
    response = agent.post(page("article-use", kb["paper"].pk), {"record": incident.number})
    assert response.status_code == 400
    response = agent.post(page("article-use", kb["paper"].pk), {"record": "INC-1900-1"})
    assert response.status_code == 400
    assert world.client("requester_a").post(page("article-use", kb["paper"].pk), {
        "record": incident.number}).status_code == 404


def test_an_article_is_written_from_a_resolved_ticket(world, kb):
    incident = resolved_incident(world)
    agent = world.client("agent")
    html = agent.get(incident.get_absolute_url()).content.decode()
    assert 'id="action-knowledge-article"' in html
    url = f"{page('article-create')}?from={incident.number}"
    form = agent.get(url)
    assert form.status_code == 200
    assert "取出卡纸后恢复" in form.content.decode() and "打印机提示卡纸" in form.content.decode()
    response = agent.post(url, {"title": "三楼打印机卡纸", "article_type": "fault",
                                "symptom": "打印机提示卡纸，无法打印",
                                "solution": "取出卡纸后恢复", "visibility": "internal",
                                "review_interval_days": "90", "summary": "来自工单"})
    assert response.status_code == 302, response.content.decode()[:3000]
    article = Article.objects.get(title="三楼打印机卡纸", symptom__startswith="打印机")
    assert article.requester == world.agent and article.review_interval_days == 90
    assert [item.other for item in services.used_to_resolve(article, world.agent)] == [
        incident]
    # Not for an open ticket, nor for a customer.
    open_one = core_services.create_record(Incident, actor=world.requester_a, data={
        "organization": world.orgs["A"], "title": "未解决"})
    html = agent.get(open_one.get_absolute_url()).content.decode()
    assert 'id="action-knowledge-article"' not in html
    html = world.client("requester_a").get(incident.get_absolute_url()).content.decode()
    assert 'id="action-knowledge-article"' not in html


def test_an_article_is_written_from_a_known_error(world, kb):
    problem = core_services.create_record(Problem, actor=world.agent, data={
        "organization": world.orgs["A"], "requester": world.requester_a,
        "title": "邮件网关间歇性拒收", "description": "外部邮件偶尔退信"})
    problem = core_services.transition_record(problem, "analyse", actor=world.agent)
    problem = core_services.transition_record(problem, "known_error", actor=world.agent,
                                              values={"workaround": "改用备用网关",
                                                      "root_cause": "网关证书链不完整"})
    html = world.client("agent").get(problem.get_absolute_url()).content.decode()
    assert 'id="action-knowledge-article"' in html
    form = world.client("agent").get(f"{page('article-create')}?from={problem.number}")
    text = form.content.decode()
    assert "改用备用网关" in text and "网关证书链不完整" in text and "solved_problem" in text
