"""Who may do what with a complaint, the major-complaint alarm, the retention period and
what a customer never sees."""

# covers: CPL-1, CPL-2, CPL-4, GEN-7

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from itsm.complaints import services as complaint_services
from itsm.complaints.clocks import clocks_of
from itsm.complaints.models import Complaint
from itsm.core import services
from itsm.core.exceptions import RetentionError
from itsm.core.models import AuditEntry, Notification
from itsm.core.notifications import channels
from itsm.core.notifications.delivery import deliver

from .conftest import cause, complain, step


def page(response) -> str:
    return html.unescape(response.content.decode())


def test_staff_log_a_phone_complaint_but_only_handlers_work_on_it(cw):
    complaint = complain(cw, "agent", channel="phone", level="ordinary")
    assert complaint.channel == "phone" and complaint.created_by == cw.agent
    for name, values in (("evaluate", {"level": "urgent"}),):
        response = cw.client("agent").post(
            reverse("api:complaint-transition", args=[complaint.pk]),
            {"transition": name, "values": values}, format="json")
        assert response.status_code == 403
    # The page offers the agent neither the actions nor "take"; a POST is refused.
    agent = Client()
    agent.force_login(cw.agent)
    detail = page(agent.get(complaint.get_absolute_url()))
    assert 'data-action="take"' not in detail and "evaluate" not in detail
    response = agent.post(reverse("complaints:complaint-take", args=[complaint.pk]))
    assert response.status_code == 403
    response = agent.post(reverse("complaints:complaint-transition",
                                  args=[complaint.pk, "evaluate"]), {"t-evaluate-level": "urgent"})
    assert response.status_code == 403
    assert agent.get(reverse("complaints:complaint-edit", args=[complaint.pk])).status_code == 403
    complaint.refresh_from_db()
    assert complaint.status == "received" and complaint.assignee_id is None
    # A handler (and an administrator) may.
    handler = Client()
    handler.force_login(cw.handler)
    assert 'data-action="take"' in page(handler.get(complaint.get_absolute_url()))
    response = handler.post(reverse("complaints:complaint-take", args=[complaint.pk]))
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.assignee == cw.handler
    step(cw, complaint, "evaluate", "admin", level="urgent")


def test_another_provider_and_another_customer_get_404(cw):
    complaint = complain(cw)
    for who in ("requester_b", "agent_q", "handler_q", "requester_a2"):
        client = cw.client(who)
        assert client.get(reverse("api:complaint-detail", args=[complaint.pk])).status_code == 404
        assert client.post(reverse("api:complaint-take", args=[complaint.pk])).status_code == 404
    numbers = {r["number"] for r in cw.client("requester_b").get(
        reverse("api:complaint-list")).json()["results"]}
    assert complaint.number not in numbers
    # The customer admin of A sees it; the auditor reads but cannot write.
    assert cw.client("custadmin_a").get(
        reverse("api:complaint-detail", args=[complaint.pk])).status_code == 200
    auditor = cw.client("auditor")
    assert auditor.get(reverse("api:complaint-detail", args=[complaint.pk])).status_code == 200
    assert auditor.post(reverse("api:complaint-take", args=[complaint.pk])).status_code == 403


def test_a_customer_never_sees_the_internal_analysis(cw):
    complaint = complain(cw)
    step(cw, complaint, "evaluate", "handler", level="urgent", assessment="ANALYSIS-内部")
    step(cw, complaint, "respond", "handler", comment="已收到")
    services.add_comment(complaint, actor=cw.handler, body="NOTE-内部备注", internal=True)
    step(cw, complaint, "start", "handler")
    step(cw, complaint, "propose", "handler", resolution="已处理", cause_category=cause())
    customer = cw.client("requester_a")
    body = customer.get(reverse("api:complaint-detail", args=[complaint.pk])).json()
    assert "assessment" not in body and "cause_category" not in body
    assert "rejection_count" not in body
    comments = customer.get(reverse("api:complaint-comments", args=[complaint.pk])).json()
    assert "NOTE-内部备注" not in str(comments)
    ui = Client()
    ui.force_login(cw.requester_a)
    text = page(ui.get(complaint.get_absolute_url()))
    assert "已处理" in text
    assert "ANALYSIS-内部" not in text and "NOTE-内部备注" not in text and "响应超时" not in text
    export = customer.get(reverse("api:complaint-export"), {"file_format": "csv"})
    content = b"".join(export.streaming_content) if export.streaming else export.content
    assert "ANALYSIS" not in content.decode("utf-8-sig")
    # The customer cannot set the analysis either.
    response = customer.patch(reverse("api:complaint-detail", args=[complaint.pk]),
                              {"assessment": "x"}, format="json")
    assert response.status_code in (400, 403)
    # Staff see it.
    staff = cw.client("handler").get(reverse("api:complaint-detail", args=[complaint.pk]))
    assert staff.json()["assessment"] == "ANALYSIS-内部"


def test_a_major_complaint_tells_management_at_once(cw, django_capture_on_commit_callbacks):
    robot = channels.create_channel(actor=None, data={
        "organization": cw.orgs["P"], "name": "管理层钉钉群", "kind": "dingtalk",
        "target": "https://oapi.dingtalk.com/robot/send?access_token=t"})
    complaint = complain(cw)
    assert not Notification.objects.filter(record_id=complaint.pk,
                                           event="major_incident").exists()
    step(cw, complaint, "evaluate", "handler", level="major")
    sent = Notification.objects.filter(record_id=complaint.pk, event="major_incident")
    assert {n.recipient for n in sent if n.channel_id is None} >= {"boss@example.cn"}
    robot_rows = [n for n in sent if n.channel_id == robot.pk]
    assert len(robot_rows) == 1 and complaint.number in robot_rows[0].subject
    assert "重大投诉" in robot_rows[0].subject or "Major complaint" in robot_rows[0].subject
    email = next(n for n in sent if n.recipient == "boss@example.cn")
    mail.outbox.clear()
    deliver(email.pk)
    assert [m.to for m in mail.outbox] == [["boss@example.cn"]]
    assert complaint.number in mail.outbox[0].subject


def test_a_major_complaint_escalates_to_management_on_breach(cw):
    from itsm.servicedesk.sla import sweep

    complaint = complain(cw, when="2026-11-02 09:00")
    step(cw, complaint, "evaluate", "handler", when="2026-11-02 09:30", level="major")
    due = clocks_of(complaint)["response"].due_at
    Notification.objects.all().delete()
    sweep(now=due + dt.timedelta(minutes=1))
    breach = Notification.objects.filter(record_id=complaint.pk, event="sla_breach")
    assert "boss@example.cn" in {n.recipient for n in breach}


def test_complaint_clocks_stay_out_of_the_service_desks_sla_attainment(cw):
    """The service desk's SLA card is about tickets: a breached complaint clock (kept in
    the same clock table) is not one of its breaches."""
    from itsm.servicedesk.models import SLAClock
    from itsm.servicedesk.widgets import _sla_attainment

    complaint = complain(cw)
    before = _sla_attainment(cw.users["qm"])["breached_open"]
    clock = clocks_of(complaint)["response"]
    SLAClock.objects.filter(pk=clock.pk).update(breached_at=timezone.now())
    assert _sla_attainment(cw.users["qm"])["breached_open"] == before


def old_complaint(cw, days: int) -> Complaint:
    with time_machine.travel(timezone.now() - dt.timedelta(days=days), tick=False):
        return complain(cw)


def trail(complaint: Complaint) -> tuple:
    return (Complaint.objects.filter(pk=complaint.pk).exists(),
            AuditEntry.objects.filter(object_type="complaints.complaint",
                                      object_id=str(complaint.pk)).count())


def test_a_year_old_complaint_cannot_be_deleted_anywhere(cw):
    admin = cw.admin
    complaint = old_complaint(cw, days=365)
    until = complaint.retained_until.isoformat()
    before = trail(complaint)
    with pytest.raises(RetentionError), transaction.atomic():
        services.delete_record(complaint, actor=admin)
    response = cw.client("admin").delete(reverse("api:complaint-detail", args=[complaint.pk]))
    assert response.status_code == 409 and until in str(response.json())
    ui = Client()
    ui.force_login(admin)
    url = reverse("complaints:complaint-delete", args=[complaint.pk])
    assert until in page(ui.get(url))
    response = ui.post(url)
    assert response.status_code == 409 and until in page(response)
    admin.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="complaints", codename__in=["view_complaint",
                                                           "delete_complaint"]))
    admin_client = Client()
    admin_client.force_login(admin)
    admin_url = reverse("admin:complaints_complaint_delete", args=[complaint.pk])
    response = admin_client.post(admin_url, {"post": "yes"}, follow=True)
    assert response.status_code == 200 and until in page(response)
    with pytest.raises(RetentionError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).delete()
    assert trail(complaint) == before
    # After two years an administrator may delete it.
    expired = old_complaint(cw, days=2 * 366)
    services.delete_record(expired, actor=admin)
    assert not Complaint.objects.filter(pk=expired.pk).exists()


def test_a_complaint_about_a_record_the_customer_cannot_see_is_refused(cw):
    other = cw.request("requester_b")
    response = cw.client("requester_a").post(reverse("api:complaint-list"), {
        "title": "投诉", "about": [other.number]}, format="json")
    assert response.status_code == 400 and "about" in response.json()
    response = cw.client("requester_a").post(reverse("api:complaint-list"), {
        "title": ""}, format="json")
    assert response.status_code == 400 and "title" in response.json()


def test_an_improvement_action_from_complaints_sharing_a_cause(cw):
    first, second = complain(cw), complain(cw)
    for c in (first, second):
        step(cw, c, "evaluate", "handler", level="ordinary")
        step(cw, c, "respond", "handler", comment="收到")
        step(cw, c, "start", "handler")
        step(cw, c, "propose", "handler", resolution="已处理", cause_category=cause())
    url = reverse("api:complaint-improvement")
    body = {"complaints": [first.pk, second.pk], "title": "优化升级流程",
            "measure": "超过2小时未处理自动升级"}
    assert cw.client("agent").post(url, body, format="json").status_code == 403
    assert cw.client("requester_a").post(url, body, format="json").status_code == 403
    assert cw.client("qm").post(url, {**body, "complaints": [first.pk, 999999]},
                                format="json").status_code == 404
    response = cw.client("qm").post(url, body, format="json")
    assert response.status_code == 201, response.content
    action = response.json()
    assert action["number"].startswith("IMP-2026-") and action["cause_category"] == cause().pk
    related = cw.client("qm").get(reverse("api:complaint-detail", args=[first.pk])).json()
    assert action["number"] in related["related"]
    # Customers never see improvement actions.
    assert cw.client("requester_a").get(reverse(
        "api:improvementaction-detail", args=[action["id"]])).status_code == 404


def test_handler_of_take_must_be_staff_service(cw):
    complaint = complain(cw)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        complaint_services.take_complaint(complaint, actor=cw.agent)


def test_a_handlers_complaint_is_in_their_open_work_and_no_one_elses(cw):
    """The home page's "my open work" reads complaints for designated handlers only (a
    type with handler roles is no one else's work; it also spares everyone else the
    query)."""
    complaint = complain(cw, title="客服态度差")
    complaint_services.take_complaint(complaint, actor=cw.handler)
    client = Client()
    client.force_login(cw.handler)
    mine = page(client.get("/")).split('id="widget-my-work"')[1].split("</section>")[0]
    assert complaint.number in mine and "客服态度差" in mine
    Complaint.objects.filter(pk=complaint.pk).update(assignee=cw.agent)  # not a handler
    client.force_login(cw.agent)
    mine = page(client.get("/")).split('id="widget-my-work"')[1].split("</section>")[0]
    assert complaint.number not in mine
