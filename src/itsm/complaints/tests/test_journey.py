"""The acceptance journey through the API: a customer complains about their incident in
the portal; a designated handler evaluates it as urgent, responds within the clock and
proposes a resolution; the customer rejects it with a reason; the handler resolves
again; the customer accepts and scores it. Both clocks to the minute across the 2026
National Day holiday (10-01..10-07; Saturday 10-10 a make-up working day), the timeline
and the audit log show every step, in Chinese."""

# covers: CPL-1, CPL-2, CPL-3

from __future__ import annotations

import time_machine
from django.urls import reverse

from itsm.complaints.clocks import clocks_of
from itsm.complaints.models import Complaint
from itsm.core import services
from itsm.core.models import AuditEntry
from itsm.servicedesk.models import Incident

from .conftest import at, cause, local


def post(world, who: str, url: str, when: str, data: dict):
    """POST as ``who`` at ``when`` (signed in then: sessions expire when idle)."""
    with time_machine.travel(at(when), tick=False):
        return world.client(who).post(url, data, format="json")


def get(world, who: str, url: str, when: str) -> dict:
    with time_machine.travel(at(when), tick=False):
        return world.client(who).get(url).json()


def transition(world, who: str, pk: int, when: str, name: str, comment: str = "",
               **values):
    return post(world, who, reverse("api:complaint-transition", args=[pk]), when,
                {"transition": name, "comment": comment, "values": values})


def test_the_whole_journey_through_the_api(cw):
    with time_machine.travel(at("2026-09-29 10:00"), tick=False):
        incident = services.create_record(Incident, actor=cw.requester_a, data={
            "organization": cw.orgs["A"], "title": "邮件系统无法登录",
            "description": "全部门无法收发邮件"})

    # The customer complains about their incident in the portal (Wednesday 17:00).
    response = post(cw, "requester_a", reverse("api:complaint-list"), "2026-09-30 17:00", {
        "title": "邮件故障处理太慢", "description": "报修一天仍未恢复，影响业务",
        "system": "邮件系统", "remedy_sought": "尽快恢复并说明原因",
        "about": [incident.number]})
    assert response.status_code == 201, response.content
    body = response.json()
    pk = body["id"]
    assert body["number"].startswith("CPL-2026-")
    assert body["status"] == "received" and body["channel"] == "portal"
    assert body["related"] == [incident.number]
    assert "assessment" not in body and "cause_category" not in body
    complaint = Complaint.objects.get(pk=pk)
    # 24 working hours: 1 h on 09-30, the holiday, 9 h on 10-08 and 10-09, 5 h on 10-10.
    clocks = clocks_of(complaint)
    assert set(clocks) == {"response"}
    assert local(clocks["response"].due_at) == "2026-10-10 14:00"

    # An agent who is not a designated handler can neither take nor move it.
    assert post(cw, "agent", reverse("api:complaint-take", args=[pk]), "2026-10-08 09:30",
                {}).status_code == 403
    assert transition(cw, "agent", pk, "2026-10-08 09:30", "evaluate",
                      level="urgent").status_code == 403
    with time_machine.travel(at("2026-10-08 09:30"), tick=False):
        response = cw.client("agent").patch(reverse("api:complaint-detail", args=[pk]),
                               {"assignee": cw.agent.pk}, format="json")
    assert response.status_code == 403

    # The handler takes it and evaluates it as urgent: now a resolution clock runs too.
    response = post(cw, "handler", reverse("api:complaint-take", args=[pk]), "2026-10-08 09:30", {})
    assert response.status_code == 200 and response.json()["assignee"] == cw.handler.pk
    assert transition(cw, "handler", pk, "2026-10-08 10:00", "evaluate").status_code == 400
    response = transition(cw, "handler", pk, "2026-10-08 10:00", "evaluate", level="urgent",
                          assessment="内部评估：一线未及时升级")
    assert response.status_code == 200, response.content
    clocks = clocks_of(complaint)
    assert local(clocks["resolution"].due_at) == "2026-10-10 14:00"

    # It responds within the clock: the response clock stops, met.
    assert transition(cw, "handler", pk, "2026-10-08 11:00", "respond").status_code == 400
    response = transition(cw, "handler", pk, "2026-10-08 11:00", "respond",
                          comment="您好，已收到您的投诉，我们正在核实处理。")
    assert response.status_code == 200
    response_clock = clocks_of(complaint)["response"]
    assert local(response_clock.stopped_at) == "2026-10-08 11:00"
    assert response_clock.met is True
    assert transition(cw, "handler", pk, "2026-10-08 11:05", "start").status_code == 200
    response = transition(cw, "handler", pk, "2026-10-08 15:00", "propose",
                          resolution="已恢复邮件服务并补充监控", compensation="减免当月服务费10%",
                          cause_category=cause().pk)
    assert response.status_code == 200, response.content
    resolution = clocks_of(complaint)["resolution"]
    assert local(resolution.paused_since) == "2026-10-08 15:00" and resolution.due_at is None

    # The customer sees the proposal but not the internal analysis.
    seen = get(cw, "requester_a", reverse("api:complaint-detail", args=[pk]),
               "2026-10-08 16:00")
    assert seen["status"] == "proposed" and seen["resolution"] == "已恢复邮件服务并补充监控"
    assert "assessment" not in seen and "cause_category" not in seen

    # It rejects the proposal: a reason is required; the clock resumes where it paused
    # (15:00–18:00 and 09:00–10:00 were the customer's: due four working hours later).
    assert transition(cw, "requester_a", pk, "2026-10-09 10:00", "reject").status_code == 400
    response = transition(cw, "requester_a", pk, "2026-10-09 10:00", "reject",
                          comment="监控方案未说明，问题原因也没有解释")
    assert response.status_code == 200 and response.json()["status"] == "resolving"
    assert local(clocks_of(complaint)["resolution"].due_at) == "2026-10-10 18:00"

    # The handler resolves again; the customer accepts and scores it.
    response = transition(cw, "handler", pk, "2026-10-09 14:00", "propose",
                          resolution="已恢复邮件服务；原因为证书过期，已加入到期监控")
    assert response.status_code == 200
    assert transition(cw, "requester_a", pk, "2026-10-09 16:00", "accept").status_code == 400
    assert transition(cw, "requester_a", pk, "2026-10-09 16:00", "accept",
                      satisfaction_score=6).status_code == 400
    response = transition(cw, "requester_a", pk, "2026-10-09 16:00", "accept", satisfaction_score=4)
    assert response.status_code == 200, response.content
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.satisfaction_score == 4
    assert local(complaint.closed_at) == "2026-10-09 16:00"
    assert complaint.rejection_count == 1
    assert str(complaint.handling_time) == "8 days, 23:00:00"
    resolution = clocks_of(complaint)["resolution"]
    assert resolution.met is True and local(resolution.stopped_at) == "2026-10-09 16:00"
    # Working time used: 1 h on 09-30, 09:00–15:00 on 10-08, 10:00–14:00 on 10-09 (the
    # second proposal waited for the customer until 16:00).
    assert resolution.explanation["used_seconds"] == 11 * 3600

    # The timeline and the audit log show every step; the status reads in Chinese.
    staff_view = get(cw, "handler", reverse("api:complaint-detail", args=[pk]),
                     "2026-10-09 16:30")
    events = get(cw, "handler", reverse("api:complaint-timeline", args=[pk]),
                 "2026-10-09 16:30")
    assert staff_view["status_label"] == "已关闭"
    assert staff_view["assessment"] == "内部评估：一线未及时升级"
    events = events["results"] if isinstance(events, dict) else events
    steps = [e["data"]["transition"] for e in events if e["kind"] == "transitioned"]
    assert steps == ["evaluate", "respond", "start", "propose", "reject", "propose", "accept"]
    audited = list(AuditEntry.objects.filter(object_type="complaints.complaint",
                                             object_id=str(pk), action="transition")
                   .order_by("id").values_list("changes", flat=True))
    assert [c["transition"] for c in audited] == steps
    assert audited[-1]["satisfaction_score"] == [None, 4]
