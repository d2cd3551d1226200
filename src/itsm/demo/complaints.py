"""Demo data of complaints (CPL-1..5): a complaint handler (李芳) and a manager (钱总) of
the provider, then complaints of the customers' people through the service layer over the
last months — about an incident, by phone, one major — at every step of the workflow:
received, evaluated, responded, a resolution rejected once and accepted with a score, and
an improvement action for the most common cause. Not wired into ``itsm demo`` yet: call
``load(provider, people)`` with the demo's provider and people."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from itsm.complaints import services
from itsm.complaints.clocks import recompute_clocks
from itsm.complaints.models import CauseCategory, Complaint
from itsm.core import directory
from itsm.core import services as core_services
from itsm.core.choices import Role
from itsm.core.models import Organization

#: (days ago, who, channel, title, description, remedy, level, how far it got, score)
COMPLAINTS = [
    (75, "requester", "portal", "打印机报修三天无人上门",
     "财务部打印机卡纸，报修三天无人处理，影响月底报表打印。",
     "尽快修复并说明延误原因", "urgent", "closed", 4),
    (60, "custadmin", "phone", "服务台电话长时间无人接听",
     "周一上午连续拨打服务台电话 20 分钟无人接听。",
     "增加高峰时段坐席", "ordinary", "closed", 3),
    (40, "requester_b", "email", "邮件系统频繁中断",
     "本月邮件系统中断三次，每次超过一小时，影响对外业务。",
     "提供故障分析报告并减免服务费", "major", "rejected_then_closed", 4),
    (20, "requester", "portal", "工程师上门态度生硬",
     "上门工程师不愿解释故障原因，沟通态度生硬。",
     "道歉并加强培训", "ordinary", "proposed", None),
    (3, "custadmin", "portal", "VPN 账号开通超时", "新员工 VPN 账号申请五个工作日仍未开通。",
     "今天内开通", "urgent", "responded", None),
    (0, "requester_b", "phone", "财务系统登录缓慢", "财务系统登录需要两分钟以上，已持续一周。",
     "", "", "received", None),
]
CAUSES = {"打印机报修三天无人上门": "响应超时", "服务台电话长时间无人接听": "响应超时",
          "邮件系统频繁中断": "问题反复出现", "工程师上门态度生硬": "沟通不当"}


def _person(people: dict[str, Any], key: str, provider: Organization, last: str, first: str,
            roles: list[str]):
    if key not in people:
        people[key] = directory.create_person(actor=None, data={
            "username": key, "first_name": first, "last_name": last,
            "email": f"{key}@nebula.example.cn", "password": None, "roles": roles,
            "profile": {"organization": provider}})
    return people[key]


def load(provider: Organization, people: dict[str, Any]) -> None:
    """Load the demo's complaints once (nothing when the provider's customers have some)."""
    if Complaint.objects.filter(organization__provider=provider).exists():
        return
    handler = _person(people, "complaints", provider, "李", "芳", [Role.COMPLAINT_HANDLER])
    _person(people, "management", provider, "钱", "总", [Role.MANAGEMENT])
    now = timezone.now().replace(hour=9, minute=30, second=0, microsecond=0)
    closed_with_cause = []
    for days, who, channel, title, text, remedy, level, stage, score in COMPLAINTS:
        customer = people[who]
        start = now - dt.timedelta(days=days)
        complaint = services.create_complaint(
            actor=handler if channel == "phone" else customer, data={
                "organization": customer.profile.organization, "requester": customer,
                "channel": channel, "title": title, "description": text,
                "remedy_sought": remedy, "received_at": start})
        statuses = [(start, complaint.status)]
        stamps: dict[str, Any] = {"created_at": start, "updated_at": start}
        for hours, name, by_customer, values, comment in _steps(level, stage, score,
                                                                CAUSES.get(title)):
            if name == "evaluate":
                values = {**values, "assignee": handler}
            complaint = core_services.transition_record(
                complaint, name, actor=customer if by_customer else handler, values=values,
                comment=comment)
            moment = start + dt.timedelta(hours=hours)
            statuses.append((moment, complaint.status))
            stamp = complaint.workflow.get(name).stamp
            stamps["updated_at"] = moment
            if stamp:
                stamps[stamp] = moment
        # The steps happened over the past weeks: their times, and the clocks from them.
        Complaint.objects.filter(pk=complaint.pk).update(**stamps)
        complaint.refresh_from_db()
        recompute_clocks(complaint, statuses=statuses)
        if complaint.status == "closed" and complaint.cause_category_id:
            closed_with_cause.append(complaint)
    response_late = [c for c in closed_with_cause if c.cause_category.name == "响应超时"]
    if response_late:
        services.open_improvement_action(response_late, actor=None, data={
            "requester": handler, "title": "缩短报修响应时间",
            "measure": "高峰时段增加两名坐席；报修超过 2 小时未响应自动升级到组长。"})


def _steps(level: str, stage: str, score: int | None, cause: str | None) -> list[tuple]:
    if stage == "received":
        return []
    found = CauseCategory.objects.filter(provider=None, name=cause or "其他原因").first()
    steps = [(1, "evaluate", False, {"level": level, "assessment": "经核实情况属实。"}, ""),
             (2, "respond", False, {}, "您好，已收到您的投诉，我们正在核实处理，今天内给您答复。")]
    if stage == "responded":
        return steps
    steps += [(3, "start", False, {}, ""),
              (6, "propose", False, {"resolution": "已处理完毕并回访确认。",
                                     "cause_category": found}, "")]
    if stage == "rejected_then_closed":
        steps += [(20, "reject", True, {}, "故障原因没有说明清楚。"),
                  (26, "propose", False, {"resolution": "已提交故障分析报告，减免当月服务费10%。",
                                          "compensation": "减免当月服务费10%",
                                          "cause_category": found}, "")]
    if stage in ("closed", "rejected_then_closed"):
        steps.append((30, "accept", True, {"satisfaction_score": score}, ""))
    return steps
