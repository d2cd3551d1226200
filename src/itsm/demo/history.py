"""Demo data behind the home pages' numbers. ``load_history``: three months of requests
and incidents raised on working days, taken, solved and confirmed through the service
layer (so they carry audit entries, timelines and SLA clocks), then placed back in
time — their SLA clocks derived from that back-dated history on the business calendar,
so attainment, breaches and trends are what the calendar says — and rated by most
requesters; deterministic (the same seed gives the same months). ``load_operations``:
a major incident with its reports, its problem, an emergency plan and a drill.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from itsm.core import links, services
from itsm.core.choices import Priority
from itsm.problems.models import Problem
from itsm.security import services as security_services
from itsm.servicedesk import major as major_incidents
from itsm.servicedesk import satisfaction, sla
from itsm.servicedesk.choices import TicketStatus
from itsm.servicedesk.models import Incident, SatisfactionRating, ServiceRequest
from itsm.servicedesk.sla import TicketHistory

#: Days of history, and the tickets raised on a working day (at most).
DAYS = 90
PER_DAY = 2

SUBJECTS = [
    ("邮箱无法接收外部邮件", "从昨天下午起收不到客户发来的邮件，内部邮件正常。"),
    ("ERP 报表导出超时", "月底导出应收账款明细时页面超时。"),
    ("会议室投影仪无信号", "二楼大会议室投影仪连接笔记本后无信号。"),
    ("申请 VPN 账号", "新入职员工出差需要开通 VPN。"),
    ("MES 扫码枪无法连接", "二号产线扫码枪连接不上 MES，影响报工。"),
    ("共享盘访问缓慢", "打开共享盘文件夹需要一分钟以上。"),
    ("电脑蓝屏重启", "财务部笔记本电脑频繁蓝屏。"),
    ("打印机卡纸", "行政部打印机反复卡纸。"),
    ("OA 流程审批报错", "提交报销流程时提示系统错误。"),
    ("无线网络频繁掉线", "三楼办公区无线网络每隔几分钟掉线一次。"),
]
COMMENTS = ["处理及时，谢谢！", "问题已解决。", "响应有点慢。", "工程师很专业。", ""]


def _working_moment(rng: random.Random, day: dt.date, tz) -> dt.datetime | None:
    """A time on a working day between 09:00 and 17:00 (None at weekends)."""
    if day.weekday() >= 5:
        return None
    minute = rng.randrange(9 * 60, 17 * 60)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)


def load_history(people: dict[str, Any], catalogue: dict[str, Any], team) -> int:
    """Create the history; returns the number of tickets."""
    rng = random.Random(2026)  # nosec B311 - demo data, not security
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    requesters = [people[u] for u in ("requester", "custadmin", "requester_b", "custadmin_b")]
    agents = [people[u] for u in ("agent", "engineer", "lead")]
    count = 0
    for back in range(DAYS, 1, -1):
        day = today - dt.timedelta(days=back)
        for _ in range(rng.randint(0, PER_DAY)):
            created = _working_moment(rng, day, tz)
            if created is None:
                continue
            _one(rng, created, rng.choice(requesters), rng.choice(agents), catalogue, team)
            count += 1
    return count


def _one(rng: random.Random, created: dt.datetime, requester, agent, catalogue, team) -> None:
    title, description = rng.choice(SUBJECTS)
    model = Incident if rng.random() < 0.4 else ServiceRequest
    priority = rng.choices(list(Priority), weights=[1, 3, 8, 3])[0]
    service = catalogue["mes"] if "MES" in title else catalogue["desktop"]
    record = services.create_record(model, actor=requester, data={
        "organization": requester.profile.organization, "title": title,
        "description": description, "requester": requester, "service": service})
    if record.priority != priority:
        record = services.update_record(record, actor=agent, changes={"priority": priority})
    # How long each step took, in hours; one ticket in five waits long.
    slow = rng.random() < 0.2
    taken = created + dt.timedelta(minutes=rng.randint(5, 240 if slow else 45))
    started = taken + dt.timedelta(minutes=rng.randint(5, 60))
    resolved = started + dt.timedelta(hours=rng.uniform(0.5, 40 if slow else 6))
    closed = resolved + dt.timedelta(hours=rng.uniform(1, 30))
    now = timezone.now()
    steps = [("assign", taken, {"assignee_team": team}), ("start", started, {"assignee": agent}),
             ("resolve", resolved, {"resolution": "已处理，请确认。"}), ("close", closed, None)]
    statuses = [(created, TicketStatus.NEW)]
    for name, moment, values in steps:
        if moment >= now:
            break
        actor = requester if name == "close" else agent
        record = services.transition_record(record, name, actor=actor, values=values)
        statuses.append((moment, record.status))
    last = statuses[-1][0]
    stamps = {"created_at": created, "updated_at": last}
    if record.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        stamps["resolved_at"] = resolved
    if record.status == TicketStatus.CLOSED:
        stamps["closed_at"] = closed
    model.objects.filter(pk=record.pk).update(**stamps)
    record.refresh_from_db()
    sla.recompute_clocks(record, history=TicketHistory(
        created_at=created, statuses=statuses,
        first_response_at=taken if len(statuses) > 1 else None))
    if record.status == TicketStatus.CLOSED and rng.random() < 0.7:
        score = rng.choices([5, 4, 3, 2, 1], weights=[10, 6, 2, 1, 1 if slow else 0])[0]
        rating = satisfaction.rate_ticket(record, actor=requester, score=score,
                                          comment=rng.choice(COMMENTS))
        SatisfactionRating.objects.filter(pk=rating.pk).update(
            created_at=closed + dt.timedelta(minutes=rng.randint(5, 600)))


def load_operations(provider, people: dict[str, Any], catalogue: dict[str, Any]) -> None:
    """What the quality and security home pages and the problem list show: a major
    incident with its reports, the problem behind it, an approved emergency plan for
    the MES service and a drill of it with findings."""
    engineer, lead, security = people["engineer"], people["lead"], people["security"]
    customer = people["custadmin"]
    outage = services.create_record(Incident, actor=engineer, data={
        "organization": customer.profile.organization, "requester": customer,
        "title": "MES 数据库主库宕机，产线停工", "service": catalogue["mes"],
        "description": "05:40 起 MES 数据库主库无响应，二号、三号产线扫码报工全部失败。"})
    major = major_incidents.declare_major_incident(
        outage, actor=lead, reason="核心生产系统中断，影响两条产线。")
    services.update_record(major, actor=lead, changes={
        "impact_scope": "华东制造二号、三号产线；MES 报工与质检数据录入。",
        "event_report": "05:40 监控告警主库无响应；06:05 切换至备库；06:30 业务恢复。",
        "analysis_report": "主库磁盘阵列控制器故障导致 I/O 挂起；备库切换脚本需人工确认，"
                           "延长了恢复时间。改进：切换脚本自动化，季度演练。"})
    problem = services.create_record(Problem, actor=engineer, data={
        "organization": provider, "requester": engineer, "service": catalogue["mes"],
        "title": "MES 主库磁盘阵列控制器反复故障",
        "description": "三个月内两次因阵列控制器故障导致主库 I/O 挂起。",
        "affected_system": "MES 生产数据库"})
    links.link_records(problem, outage, actor=engineer)
    plan = security_services.save_plan(None, actor=security, data={
        "title": "MES 生产系统中断应急预案", "service": catalogue["mes"],
        "customer": customer.profile.organization,
        "scope": "MES 数据库、应用服务器与产线扫码终端。",
        "steps": "1. 确认故障范围\n2. 切换备库\n3. 通知生产部\n4. 验证报工\n5. 复盘",
        "response": "值班工程师 15 分钟内到场，组长 30 分钟内向客户通报。"})
    security_services.save_drill(None, actor=security, data={
        "plan": plan, "date": timezone.localdate() - dt.timedelta(days=20),
        "participants": [engineer, lead, security],
        "scenario": "模拟主库宕机，演练备库切换与客户通报。",
        "findings": "切换用时 18 分钟，超出目标 3 分钟；通报模板缺少影响范围。",
        "evaluation": "adequate", "evaluation_notes": "流程可行，切换脚本需自动化。"})
