"""Knowledge articles on the record base (KB-1, KB-2): the shared record checks, the
review lifecycle (four eyes: the author never approves their own), revisions with their
diff and restore, the review date and its reminder."""

# covers: KB-1, KB-2

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from itsm.core import reminders
from itsm.core.models import AuditEntry, Notification
from itsm.core.tests.bases import RecordTypeTests
from itsm.knowledge import services
from itsm.knowledge.models import Article, ArticleRevision

from .data import api, make_article, page, publish, submit

pytestmark = pytest.mark.django_db


class TestArticles(RecordTypeTests):
    model = Article
    create_data = {"article_type": "faq", "body": "<p>正文</p>"}

    @pytest.fixture(autouse=True)
    def _remember_world(self, world):
        self.world = world

    @property
    def transition(self):
        return ("submit", {"reviewer": self.world.lead.pk})

    def make(self, world, requester: str = "requester_a", **data):
        return services.create_article(actor=world.agent, data={
            "title": data.get("title", "打印机卡纸"),
            "description": data.get("description", "三楼打印机卡纸")})


def transition(client, article, name: str, **body):
    return client.post(api("transition", article.pk), {"transition": name, **body},
                       format="json")


def test_the_review_lifecycle_four_eyes(world, django_capture_on_commit_callbacks):
    author, reviewer = world.client("agent"), world.client("engineer")
    response = author.post(api("list"), {"title": "VPN 无法连接", "article_type": "fault",
                                         "symptom": "客户端提示超时", "solution": "更新客户端",
                                         "body": "<p>第一版</p>"}, format="json")
    assert response.status_code == 201, response.content
    article = Article.objects.get(pk=response.json()["id"])
    assert article.organization == world.orgs["P"] and article.requester == world.agent
    assert article.owner == world.agent and article.current_revision.number == 1
    # The reviewer must be someone else than the author.
    response = transition(author, article, "submit", values={"reviewer": world.agent.pk})
    assert response.status_code == 400 and "reviewer" in response.json()
    response = transition(author, article, "submit")
    assert response.status_code == 400 and "reviewer" in response.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = transition(author, article, "submit",
                              values={"reviewer": world.users["engineer"].pk})
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    assert any("engineer@example.cn" in m.to for m in mail.outbox)
    # The author cannot approve their own article, nor can an uninvolved agent.
    assert transition(author, article, "approve").status_code == 403
    assert transition(world.client("lead"), article, "reject").status_code == 400  # reason
    names = [t["name"] for t in author.get(api("available-transitions", article.pk)).json()]
    assert "approve" not in names
    # The reviewer sends it back once, with a reason: a draft again.
    response = transition(reviewer, article, "reject", comment="请补充原因分析")
    assert response.status_code == 200 and response.json()["status"] == "draft"
    assert article.comments.filter(body="请补充原因分析").exists()
    # Edited and submitted again, the reviewer publishes it.
    article.refresh_from_db()
    response = author.patch(api("detail", article.pk), {
        "cause": "证书过期", "summary": "补充原因", "version": article.version}, format="json")
    assert response.status_code == 200 and response.json()["current_revision"] == 2
    transition(author, article, "submit", values={"reviewer": world.users["engineer"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = transition(reviewer, article, "approve")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "published" and body["published_revision"] == 2
    assert body["review_due"] == str(timezone.localdate() + dt.timedelta(days=180))
    assert any("agent@example.cn" in m.to and "KB-" in m.subject for m in mail.outbox)
    assert AuditEntry.objects.filter(object_type="knowledge.article", object_id=str(
        article.pk), action="transition").count() == 4


def test_a_reviewer_who_edited_it_last_cannot_publish(world):
    article = submit(world, make_article(world), reviewer="lead")
    services.update_article(article, actor=world.lead, changes={"solution": "更换硒鼓"})
    response = transition(world.client("lead"), article, "approve")
    assert response.status_code == 403
    # A deputy (the administrator) may, being neither author nor last editor.
    response = transition(world.client("admin"), article, "approve")
    assert response.status_code == 200 and response.json()["status"] == "published"


def test_every_edit_is_a_revision_with_a_diff_and_restore(world):
    article = make_article(world, body="<p>关闭电源</p><p>打开前盖</p>")
    client = world.client("engineer")
    response = client.patch(api("detail", article.pk), {
        "body": "<p>关闭电源</p><p>打开后盖<script>alert(1)</script></p>",
        "summary": "更正盖板位置", "version": article.version}, format="json")
    assert response.status_code == 200, response.content
    assert "<script>" not in response.json()["body"]
    revisions = client.get(api("revisions", article.pk)).json()
    assert [(r["number"], r["editor"]) for r in revisions] == [
        (2, world.users["engineer"].pk), (1, world.agent.pk)]
    assert revisions[0]["summary"] == "更正盖板位置"
    # An edit that changes nothing writes no revision.
    article.refresh_from_db()
    client.patch(api("detail", article.pk), {"body": article.body}, format="json")
    assert article.revisions.count() == 2
    diff = client.get(api("diff", article.pk)).json()
    body = next(f for f in diff["fields"] if f["field"] == "body")
    assert body["changed"] and (diff["from_revision"], diff["to_revision"]) == (1, 2)
    [line] = [line for line in body["lines"] if line["op"] != "equal"]
    assert (line["old"], line["new"]) == ("打开前盖", "打开后盖")
    assert [s["text"] for s in line["new_segments"] if s["changed"]] == ["后"]
    # The diff page shows the removed and the added text, escaped.
    html = client.get(page("article-diff", article.pk) + "?from=1&to=2").content.decode()
    assert "<del>前</del>" in html and "<ins>后</ins>" in html
    # Restoring revision 1 writes revision 3 with its content.
    response = client.post(api("restore", article.pk), {"revision": 1}, format="json")
    assert response.status_code == 200 and response.json()["current_revision"] == 3
    third = article.revisions.get(number=3)
    assert third.body == article.revisions.get(number=1).body and "1" in third.summary
    # Bad revision numbers are field errors, never a 500.
    assert client.get(api("diff", article.pk), {"to_revision": 9}).status_code == 400
    assert client.get(api("diff", article.pk), {"to_revision": "x"}).status_code == 400
    assert client.get(page("article-diff", article.pk) + "?from=x").status_code == 400
    assert client.post(api("restore", article.pk), {"revision": 9},
                       format="json").status_code == 400


def test_revisions_are_immutable(world):
    revision = make_article(world).revisions.get()
    revision.title = "改写历史"
    with pytest.raises(PermissionError):
        revision.save()
    with pytest.raises(PermissionError):
        revision.delete()
    assert ArticleRevision.objects.get(pk=revision.pk).title == "打印机卡纸处理"


def test_readers_read_the_published_revision_until_changes_are_published(world):
    article = publish(world, make_article(world, visibility="customers"))
    services.update_article(article, actor=world.agent, changes={"title": "打印机卡纸（新版）"})
    customer = world.client("requester_a")
    assert customer.get(api("detail", article.pk)).json()["title"] == "打印机卡纸处理"
    html = world.client("agent").get(page("article-read", article.pk)).content.decode()
    assert "打印机卡纸（新版）" in html and 'id="article-unpublished"' in html
    # The author may not publish their own changes; the reviewer may.
    assert transition(world.client("agent"), article, "publish_changes").status_code == 403
    response = transition(world.client("lead"), article, "publish_changes")
    assert response.status_code == 200, response.content
    assert customer.get(api("detail", article.pk)).json()["title"] == "打印机卡纸（新版）"
    # Nothing left to publish: the action is not offered.
    names = [t["name"] for t in world.client("lead").get(
        api("available-transitions", article.pk)).json()]
    assert "publish_changes" not in names and "mark_outdated" in names


def test_outdated_retired_and_revised(world):
    article = publish(world, make_article(world))
    client = world.client("agent")
    assert transition(client, article, "mark_outdated").json()["status"] == "outdated"
    assert transition(client, article, "revise").json()["status"] == "draft"
    publish(world, Article.objects.get(pk=article.pk))
    assert transition(client, article, "retire").status_code == 400  # a reason
    assert transition(client, article, "retire", comment="业务停用").json()["status"] == "retired"
    response = client.patch(api("detail", article.pk), {"title": "再改"}, format="json")
    assert response.status_code == 400


def test_the_review_reminder_and_reviewed_still_valid(world):
    start = timezone.localdate()
    with time_machine.travel(dt.datetime.combine(start, dt.time(9)), tick=False):
        article = publish(world, make_article(world, review_interval_days=30,
                                              owner=world.users["engineer"]))
    due = start + dt.timedelta(days=30)
    assert article.review_due == due
    assert reminders.send_due(start + dt.timedelta(days=10)) == 0
    sent = reminders.send_due(due - dt.timedelta(days=14))
    assert sent >= 1
    notice = Notification.objects.filter(user=world.users["engineer"], event="reminder").get()
    assert article.number in notice.subject
    assert reminders.send_due(due - dt.timedelta(days=14)) == 0  # once per step
    # The stale list and the owner's inbox show it once the date has come.
    with time_machine.travel(dt.datetime.combine(due, dt.time(9)), tick=False):
        client = world.client("engineer")
        assert article.number in client.get(page("stale")).content.decode()
        inbox = client.get(reverse("api:me-inbox")).json()
        assert article.number in str(inbox)
        assert client.get(api("list"), {"stale": "true"}).json()["results"][0]["id"] == \
            article.pk
        # Reviewed, still valid: the next review is an interval from today.
        response = client.post(page("article-reviewed", article.pk))
        assert response.status_code == 302
        article.refresh_from_db()
        assert article.review_due == due + dt.timedelta(days=30)
        assert article.number not in client.get(page("stale")).content.decode()
        assert article.timeline.filter(data__fields=["review_due"]).exists()
    # Another provider's staff do not even find it.
    assert world.client("agent_q").post(api("reviewed", article.pk)).status_code == 404
