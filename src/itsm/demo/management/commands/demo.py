"""``itsm demo``: a provider, two customers, teams, one user per role, example records,
three months of ticket history (``demo.history``: SLA outcomes, ratings) and change
management (board, templates, a freeze window, changes in several statuses).

Idempotent: once the demo provider exists it loads nothing again, except the change
management part on a database loaded before it existed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone, translation

from itsm.catalog.choices import DEFAULT_TARGETS
from itsm.catalog.models import Service, SLAPolicy, SLATarget
from itsm.changes import approvals
from itsm.changes import services as change_services
from itsm.changes.models import Change, ChangeBoard, ChangeTemplate
from itsm.cmdb import services as cmdb_services
from itsm.cmdb.models import CIType, ConfigurationItem
from itsm.core import directory, services, templating
from itsm.core.audit import audit_context
from itsm.core.choices import (
    AuditSource,
    Language,
    NotificationEvent,
    OrganizationKind,
    Priority,
    Role,
)
from itsm.core.models import BusinessCalendar, Department, NotificationTemplate, Organization, Team
from itsm.servicedesk.models import Incident, ServiceRequest

from ... import catalogue as catalogue_demo
from ... import complaints as complaints_demo
from ... import documents as documents_demo
from ... import knowledge as knowledge_demo
from ... import quality as quality_demo
from ... import surveys as surveys_demo
from ...history import load_history, load_operations

User = get_user_model()
DEMO_PASSWORD = "ITSM-demo-2026!"  # noqa: S105 - printed on purpose: demo data only

#: (username, family name, given name, organization code, department, roles, job title)
PEOPLE = [
    ("admin", "王", "建国", "nebula", "质量管理部", [Role.ADMINISTRATOR], "系统管理员"),
    ("agent", "李", "娜", "nebula", "服务台", [Role.AGENT], "服务台坐席"),
    ("engineer", "赵", "强", "nebula", "运维部", [Role.AGENT], "运维工程师"),
    ("lead", "张", "伟", "nebula", "服务台", [Role.TEAM_LEAD, Role.AGENT], "服务台组长"),
    ("change", "刘", "洋", "nebula", "运维部", [Role.CHANGE_MANAGER], "变更经理"),
    ("cab", "陈", "静", "nebula", "运维部", [Role.CAB_MEMBER], "变更委员会委员"),
    ("cab2", "郑", "涛", "nebula", "服务台", [Role.CAB_MEMBER], "变更委员会委员"),
    ("cab3", "林", "芳", "nebula", "质量管理部", [Role.CAB_MEMBER], "变更委员会委员"),
    ("opshead", "钱", "勇", "nebula", "运维部", [Role.TEAM_LEAD, Role.AGENT], "运维部经理"),
    ("quality", "杨", "帆", "nebula", "质量管理部", [Role.QUALITY_MANAGER], "质量经理"),
    ("security", "黄", "磊", "nebula", "运维部", [Role.SECURITY_OFFICER], "安全主管"),
    ("hr", "周", "敏", "nebula", "质量管理部", [Role.HR], "人力资源专员"),
    ("auditor", "吴", "刚", "nebula", "质量管理部", [Role.AUDITOR], "审计员"),
    ("complaints", "李", "芳", "nebula", "服务台", [Role.COMPLAINT_HANDLER], "投诉处理专员"),
    ("management", "钱", "总", "nebula", "质量管理部", [Role.MANAGEMENT], "服务总监"),
    ("requester", "孙", "丽", "hdmfg", "财务部", [Role.REQUESTER], "会计"),
    ("custadmin", "马", "超", "hdmfg", "信息中心", [Role.CUSTOMER_ADMIN, Role.REQUESTER],
     "信息中心主任"),
    ("requester_b", "朱", "琳", "xbenergy", "信息部", [Role.REQUESTER], "工程师"),
    ("custadmin_b", "胡", "军", "xbenergy", "信息部", [Role.CUSTOMER_ADMIN, Role.REQUESTER],
     "信息部经理"),
]

ORGANIZATIONS = [
    ("nebula", "星云信息技术服务有限公司", OrganizationKind.PROVIDER,
     ["服务台", "运维部", "质量管理部"]),
    ("hdmfg", "华东制造集团", OrganizationKind.CUSTOMER, ["信息中心", "财务部", "生产部"]),
    ("xbenergy", "西部能源股份有限公司", OrganizationKind.CUSTOMER, ["信息部", "调度中心"]),
]

TEAMS = [
    ("一线服务台", "受理与一线处理", ["agent", "lead"], "lead"),
    ("二线技术支持", "服务器、数据库与应用支持", ["engineer", "lead"], "lead"),
    ("网络与安全组", "网络设备与安全事件", ["security", "engineer"], "security"),
]

#: (requester, title, description, priority, path of transitions)
REQUESTS = [
    ("requester", "财务系统登录报错",
     "今天上午开始登录财务系统提示“会话已过期”，清除缓存后仍然无法登录。", Priority.IMPORTANT, []),
    ("requester", "申请新员工邮箱账号", "财务部新入职员工两名，需要开通邮箱和VPN账号。",
     Priority.GENERAL, ["assign"]),
    ("custadmin", "打印机卡纸", "三楼财务部打印机频繁卡纸，已经影响报销单据打印。",
     Priority.GENERAL, ["assign", "start"]),
    ("requester", "VPN 连接速度慢", "出差期间使用 VPN 访问 ERP 速度很慢，页面经常超时。",
     Priority.IMPORTANT, ["assign", "start", "ask_customer"]),
    ("custadmin", "生产系统数据库宕机", "MES 数据库无法连接，生产线扫码全部失败。",
     Priority.URGENT, ["assign", "start", "resolve"]),
    ("requester", "安装 Office 软件", "新电脑需要安装 Office 2021 和 PDF 阅读器。",
     Priority.NOT_IMPORTANT, ["assign", "start", "resolve", "close"]),
    ("requester", "更换显示器", "显示器出现花屏，申请更换。", Priority.GENERAL, ["cancel"]),
    ("requester_b", "调度中心大屏无信号", "调度中心大屏从昨晚起显示无信号。",
     Priority.URGENT, ["assign"]),
    ("custadmin_b", "申请开通共享盘权限", "信息部新项目组需要共享盘读写权限。",
     Priority.GENERAL, []),
]


#: The provider every demo object belongs to; its presence means "already loaded".
PROVIDER_CODE = "nebula"
#: The provider's default change board (IT service management committee).
BOARD_NAME = "IT服务管理委员会"
BOARD_MEMBERS = ["cab", "cab2", "cab3"]

#: Standard change templates (name, description, implementation, back-out, test plan).
CHANGE_TEMPLATES = [
    ("数据库参数调整", "在已批准的参数范围内调整数据库连接池、缓存等参数。",
     "1. 备份当前参数文件\n2. 按变更单修改参数\n3. 滚动重载数据库配置",
     "恢复备份的参数文件并重载配置", "检查连接数、慢查询和应用日志"),
    ("服务器操作系统安全补丁", "按月度补丁基线为服务器安装操作系统安全补丁。",
     "1. 创建虚拟机快照\n2. 安装补丁并重启\n3. 检查服务自启动",
     "回滚到补丁前快照", "检查业务系统登录、核心交易和监控告警"),
]

#: Configuration items the demo changes touch (organization, name, type, service,
#: attributes).
DEMO_ITEMS = [
    ("hdmfg", "MES 生产数据库", "database", "mes",
     {"engine": "PostgreSQL", "version": "14.11", "host": "10.10.20.11"}),
    ("hdmfg", "MES 应用服务器", "server", "mes",
     {"ip_address": "10.10.20.21", "os": "银河麒麟 V10", "location": "华东制造 A 栋机房"}),
    ("nebula", "核心交换机", "network", "network",
     {"ip_address": "10.0.0.1", "model": "华为 CE6881", "location": "星云 1 号机房"}),
]

ASSESSMENT_LOW = {"likelihood": 1, "impact": 2, "impact_business": "夜间窗口实施，业务无感知",
                  "impact_technology": "单台服务器重启约 5 分钟", "impact_security": "修复已知漏洞",
                  "impact_cost": "值班工程师 1 人"}
ASSESSMENT_HIGH = {"likelihood": 3, "impact": 3,
                   "impact_business": "MES 停机约 30 分钟，需与生产部协调停线",
                   "impact_technology": "数据库大版本升级，需同步升级驱动",
                   "impact_security": "新版本修复多个高危漏洞",
                   "impact_cost": "厂商驻场支持 1 天"}


#: The demo provider's notification template for "resolved" (zh-hans).
RESOLVED_TEMPLATE = {
    "subject_template": "【{{ organization }}】{{ number }} 已解决：{{ title|truncate(40) }}",
    "body_template": (
        "{{ requester }}，您好：\n\n"
        "您提交的 {{ number }}「{{ title }}」已由{{ assignee or '服务台' }}处理完毕"
        "（优先级：{{ priority }}）。\n\n"
        "{{ default_body }}\n\n"
        "如问题仍未解决，请直接回复本邮件，我们会重新处理。\n"
        "星云 IT 服务台"),
}


def spring_festival(year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of China's Spring Festival holiday (eve included)."""
    days = [day for day, name in holidays.China(years=[year], language="zh_CN").items()
            if "春节" in name or "除夕" in name]
    if not days:  # not expected; the lunar new year falls between 21 Jan and 20 Feb
        return dt.date(year, 1, 28), dt.date(year, 2, 4)
    return min(days), max(days)


class Command(BaseCommand):
    help = "Load demo data (organizations, teams, one user per role, example records)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Only load when the database has no organization yet.")

    def handle(self, *args, **options):
        # What the demo writes in words (resolutions, generated documents) is in the
        # language of its users, not the command line's English.
        with translation.override(settings.LANGUAGE_CODE):
            self.load_or_top_up(options)
        self.print_logins()

    def load_or_top_up(self, options) -> None:
        provider = Organization.objects.filter(code=PROVIDER_CODE).first()
        if provider is not None or (options["if_empty"] and Organization.objects.exists()):
            if provider is not None:  # loaded before change management existed?
                self.top_up(provider)
            self.stdout.write("Demo data already loaded.")
        else:
            with audit_context(source=AuditSource.CLI), transaction.atomic():
                self.load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def top_up(self, provider: Organization) -> None:
        """Add the change management, complaints and surveys demos to demo data loaded
        before they existed; a database changed since then is left alone (with a
        warning), never half-loaded."""
        try:
            with audit_context(source=AuditSource.CLI), transaction.atomic():
                people = self.load_people()
                added = self.load_changes(provider, people)
                self.load_notification_templates(provider)
                complaints_demo.load(provider, people)  # each: once
                surveys_demo.load(provider, people)
                quality_demo.load(provider, people)
                catalogue_demo.load(provider, people)
                knowledge_demo.load(provider, people)
                documents_demo.load(provider, people)
        except Exception as exc:  # demo data must not stop `make run`
            self.stderr.write(f"Demo data not topped up: {exc!r}")
            return
        if added:
            self.stdout.write("Change management demo data added.")

    def load(self) -> None:
        orgs: dict[str, Organization] = {}
        for code, name, kind, departments in ORGANIZATIONS:
            org = directory.create_object(Organization, actor=None, data={
                "code": code, "name": name, "kind": kind,
                "provider": orgs.get("nebula") if kind == OrganizationKind.CUSTOMER else None,
            })
            orgs[code] = org
            for dept in departments:
                directory.create_object(Department, actor=None,
                                        data={"organization": org, "name": dept})
        people = self.load_people()
        teams = {}
        for name, description, members, lead in TEAMS:
            teams[name] = directory.create_object(Team, actor=None, data={
                "organization": orgs["nebula"], "name": name, "description": description,
                "lead": people[lead], "members": [people[m] for m in members],
            })
        catalogue = self.load_catalogue(orgs, teams)
        self.load_notification_templates(orgs["nebula"])
        agent, team = people["agent"], teams["一线服务台"]
        values = {"assign": {"assignee_team": team}, "start": {"assignee": agent},
                  "resolve": {"resolution": "已远程处理完毕，请确认。"}}
        comments = {"ask_customer": "请提供出差所在城市和网络环境。", "cancel": "重复提交，取消。"}

        for i, (username, title, description, priority, path) in enumerate(REQUESTS):
            requester = people[username]
            model = Incident if i % 3 == 2 or "宕机" in title else ServiceRequest
            record = services.create_record(model, actor=requester, data={
                "organization": requester.profile.organization, "title": title,
                "description": description, "requester": requester,
                "service": catalogue["mes" if "MES" in description else "desktop"],
            })
            if priority != record.priority:
                record = services.update_record(record, actor=agent,
                                                changes={"priority": priority})
            for step in path:
                actor = requester if step in {"close", "cancel"} else agent
                record = services.transition_record(record, step, actor=actor,
                                                    values=values.get(step),
                                                    comment=comments.get(step, ""))
            services.add_comment(record, actor=agent, body="已收到，正在核实。", internal=False)
        load_history(people, catalogue, team)
        load_operations(orgs["nebula"], people, catalogue)
        self.load_changes(orgs["nebula"], people)
        complaints_demo.load(orgs["nebula"], people)
        surveys_demo.load(orgs["nebula"], people)
        quality_demo.load(orgs["nebula"], people)
        catalogue_demo.load(orgs["nebula"], people)
        knowledge_demo.load(orgs["nebula"], people)
        documents_demo.load(orgs["nebula"], people)

    def load_notification_templates(self, provider: Organization) -> None:
        """The provider's own Chinese text for "resolved" (sandboxed Jinja2)."""
        if NotificationTemplate.objects.filter(provider=provider).exists():
            return
        templating.save_template(None, actor=None, data={
            "provider": provider, "event": NotificationEvent.RECORD_RESOLVED,
            "language": Language.ZH_HANS, **RESOLVED_TEMPLATE})

    def load_people(self) -> dict:
        """The demo people; creates those missing (all of them on the first run)."""
        people = {}
        for index, (username, family, given, org_code, dept, roles, title) in enumerate(PEOPLE):
            existing = User.objects.filter(username=username).first()
            if existing is not None:
                people[username] = existing
                continue
            org = Organization.objects.get(code=org_code)
            people[username] = directory.create_person(actor=None, data={
                "username": username, "first_name": given, "last_name": family,
                "email": f"{username}@{org_code}.example.cn", "password": DEMO_PASSWORD,
                "is_staff": Role.ADMINISTRATOR in roles,
                "is_superuser": Role.ADMINISTRATOR in roles,
                "roles": roles,
                "profile": {"organization": org,
                            "department": Department.objects.get(organization=org, name=dept),
                            "job_title": title, "phone": "138" + f"{index:08d}"},
            })
        return people

    def load_changes(self, provider: Organization, people: dict) -> bool:
        """Change management: the board, templates, a freeze window, configuration items,
        a CAB meeting and changes in several statuses, all through the real services.
        Does nothing (False) when the board exists already."""

        if ChangeBoard.objects.filter(provider=provider, name=BOARD_NAME).exists():
            return False
        manager, head = people["change"], people["opshead"]
        ops = Department.objects.get(organization=provider, name="运维部")
        directory.update_object(ops, actor=None, changes={"head": head})
        board = change_services.save_board(None, actor=None, data={
            "provider": provider, "name": BOARD_NAME, "is_default": True, "quorum": 2,
            "description": "审议重大变更，对紧急变更进行事后评审。", "chair": manager,
            "members": [people[name] for name in BOARD_MEMBERS],
            "emergency_approvers": [manager]})
        templates = {}
        for name, description, plan, backout, test in CHANGE_TEMPLATES:
            templates[name] = (
                ChangeTemplate.objects.filter(provider=provider, name=name).first()
                or change_services.save_template(None, actor=None, data={
                    "provider": provider, "name": name, "description": description,
                    "implementation_plan": plan, "backout_plan": backout, "test_plan": test,
                    "approved_by": manager}))
        tz = ZoneInfo(provider.time_zone)
        first, last = spring_festival(timezone.localdate().year + 1)
        change_services.save_freeze(None, actor=None, data={
            "provider": provider, "name": "春节保障期",
            "reason": "春节期间保障生产系统稳定运行，除紧急变更外不安排变更。",
            "start": dt.datetime.combine(first - dt.timedelta(days=3), dt.time(0), tzinfo=tz),
            "end": dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz)})
        items = self.load_items(provider)
        self.load_change_records(provider, people, templates, items, tz)
        change_services.save_meeting(None, actor=manager, data={
            "board": board, "title": "变更委员会周例会",
            "scheduled_at": dt.datetime.combine(timezone.localdate() + dt.timedelta(days=2),
                                                dt.time(14), tzinfo=tz),
            "location": "三楼第一会议室",
            "attendees": [manager, *(people[name] for name in BOARD_MEMBERS)]})
        return True

    def load_items(self, provider: Organization) -> dict:
        items = {}
        for org_code, name, type_code, service_code, attributes in DEMO_ITEMS:
            org = Organization.objects.get(code=org_code)
            items[name] = ConfigurationItem.objects.filter(organization=org, name=name).first() \
                or cmdb_services.create_item(actor=None, data={
                    "organization": org, "name": name,
                    "ci_type": CIType.objects.get_or_create(code=type_code,
                                                            defaults={"name": type_code})[0],
                    "service": Service.objects.filter(provider=provider,
                                                      code=service_code).first(),
                    "attributes": attributes})
        cmdb_services.add_relation(items["MES 应用服务器"], items["MES 生产数据库"],
                                   kind="depends_on", actor=None)
        return items

    def load_change_records(self, provider, people, templates, items, tz) -> None:
        """Six changes: draft, awaiting the CAB (one vote cast), two scheduled in the same
        window on the same database (a conflict), an emergency change awaiting its
        retrospective review, and one closed after its post-implementation review."""

        engineer, manager, head = people["engineer"], people["change"], people["opshead"]
        catalogue = {s.code: s for s in Service.objects.filter(provider=provider)}
        today = timezone.localdate()

        def window(days: int, hour: int, hours: int = 2) -> dict:
            start = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour),
                                        tzinfo=tz)
            return {"planned_start": start, "planned_end": start + dt.timedelta(hours=hours)}

        def new(title: str, description: str, *, service: str, item: str | None, plan: dict,
                change_type: str = "normal", template=None) -> Change:
            data = {"organization": provider, "requester": engineer, "title": title,
                    "description": description, "change_type": change_type,
                    "services": [catalogue[service]] if service in catalogue else [],
                    **plan}
            if template is not None:
                data.update(template=template, reason=description,
                            implementation_plan=template.implementation_plan,
                            backout_plan=template.backout_plan, test_plan=template.test_plan)
            change = services.create_record(Change, actor=engineer, data=data)
            if item is not None:
                cmdb_services.link_record_ci(change, items[item], actor=engineer)
            return change

        def step(change: Change, name: str, actor, **values) -> Change:
            comment = values.pop("comment", "")
            return services.transition_record(change, name, actor=actor, values=values,
                                              comment=comment)

        def vote(change: Change, voter, decision: str = "approve", comment: str = "") -> None:
            approvals.cast_vote(approvals.current_approval(change), voter=voter,
                                decision=decision, comment=comment)
            change.refresh_from_db()

        request_plan = {
            "reason": "设备厂商发布安全公告，现网版本存在高危漏洞。",
            "scope": "数据中心核心网络", "expected_impact": "切换期间网络闪断约 1 分钟",
            "implementation_plan": "1. 备份配置\n2. 主备切换后升级备机\n3. 回切并升级主机",
            "backout_plan": "回退到原固件版本并恢复配置",
            "test_plan": "检查路由表、链路状态和业务访问"}
        new("核心交换机固件升级", "将核心交换机固件升级到厂商推荐的安全版本。",
            service="network", item="核心交换机", plan={**request_plan, **window(14, 23)})

        upgrade = new(
            "MES 数据库版本升级（PostgreSQL 14 → 16）", "MES 生产数据库升级到 PostgreSQL 16。",
            service="mes", item="MES 生产数据库", plan={
                "reason": "PostgreSQL 14 将停止维护，且新版本提升批量写入性能。",
                "scope": "MES 生产数据库及其应用连接", "expected_impact": "停机约 30 分钟",
                "implementation_plan": "1. 全量备份\n2. pg_upgrade 升级\n3. 应用回归测试",
                "backout_plan": "切回旧版本数据目录并恢复备份",
                "test_plan": "扫码报工、工单下达、报表查询", **window(10, 22, 3)})
        upgrade = step(step(upgrade, "submit", engineer), "assess", manager, **ASSESSMENT_HIGH)
        vote(upgrade, people["cab"], comment="回退方案充分，同意实施。")

        patch = new("MES 数据库服务器操作系统补丁", "安装 11 月操作系统安全补丁。",
                    service="mes", item="MES 生产数据库", plan={
                        "reason": "月度安全补丁基线。", "scope": "MES 数据库服务器",
                        "implementation_plan": "1. 快照\n2. 安装补丁并重启",
                        "backout_plan": "回滚到快照", "test_plan": "数据库启动与连接检查",
                        **window(7, 22)})
        patch = step(step(patch, "submit", engineer), "assess", manager, **ASSESSMENT_LOW)
        vote(patch, head, comment="同意，安排在夜间窗口实施。")
        step(patch, "schedule", manager)

        tuning = new("MES 数据库连接池参数调整", "将连接池上限从 200 调整为 300。",
                     service="mes", item="MES 生产数据库", plan=window(7, 23),
                     change_type="standard", template=templates["数据库参数调整"])
        tuning = step(tuning, "submit", engineer)  # a standard change: approved at once
        step(tuning, "schedule", manager)  # same database, overlapping window: a conflict

        disk = new("MES 数据库磁盘紧急扩容", "数据盘使用率已达 95%，需紧急扩容。",
                   service="mes", item="MES 生产数据库", change_type="emergency", plan={
                       "reason": "磁盘即将写满，生产数据写入将失败。",
                       "implementation_plan": "在线扩容数据盘并扩展文件系统",
                       "backout_plan": "扩容失败时清理归档日志释放空间",
                       **window(0, max(timezone.localtime().hour - 1, 0), 1)})
        disk = step(step(disk, "submit", engineer), "assess", manager,
                    **{**ASSESSMENT_HIGH, "impact_business": "不扩容将导致生产中断"})
        vote(disk, manager, comment="情况紧急，同意先实施后评审。")
        for name in ("schedule", "start", "complete"):
            disk = step(disk, name, manager if name == "schedule" else engineer)

        ivr = new("服务台 IVR 语音菜单调整", "新增“MES 系统故障”语音导航选项。",
                  service="desktop", item=None, plan={
                      "reason": "MES 故障来电占比上升，需要直接转接二线。",
                      "implementation_plan": "在呼叫中心平台调整 IVR 流程并发布",
                      "backout_plan": "恢复上一版本 IVR 流程", **window(-3, 20, 1)})
        ivr = step(step(ivr, "submit", engineer), "assess", manager, **ASSESSMENT_LOW)
        vote(ivr, head, comment="同意。")
        for name in ("schedule", "start", "complete"):
            ivr = step(ivr, name, manager if name == "schedule" else engineer)
        ivr = step(ivr, "verify", engineer, verification_function="语音导航选项可正常转接二线",
                   verification_performance="呼叫接通时长无变化",
                   verification_security="未开放新的外部接口", outcome="success")
        step(ivr, "close", manager, review_findings="变更按计划完成，MES 故障来电平均处理时长"
             "缩短 2 分钟；后续同类调整可纳入标准变更。")

    def load_catalogue(self, orgs, teams) -> dict:
        """Services with support hours and SLA policies (the manuals' default targets)."""

        provider = orgs["nebula"]
        customers = [orgs["hdmfg"], orgs["xbenergy"]]
        standard = BusinessCalendar.objects.get(name="中国标准工作日 09:00–18:00")
        always = BusinessCalendar.objects.get(name="7×24")
        catalogue = {}
        for code, name, team, calendar in [
            ("desktop", "桌面运维服务", "一线服务台", standard),
            ("mes", "MES 生产系统运维", "二线技术支持", always),
            ("network", "网络与安全服务", "网络与安全组", always),
        ]:
            service = Service.objects.create(provider=provider, code=code, name=name,
                                             owner_team=teams[team], calendar=calendar)
            service.customers.set(customers)
            catalogue[code] = service
        standard_policy = SLAPolicy.objects.create(provider=provider, name="标准服务级别")
        mes_policy = SLAPolicy.objects.create(provider=provider, name="MES 7×24 服务级别",
                                              service=catalogue["mes"])
        for policy in (standard_policy, mes_policy):
            for priority, (response, resolution) in DEFAULT_TARGETS.items():
                SLATarget.objects.create(policy=policy, priority=priority,
                                         response_minutes=response,
                                         resolution_minutes=resolution)
        return catalogue

    def print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for username, family, given, org_code, _dept, roles, _title in PEOPLE:
            role_names = ", ".join(str(Role(r).label) for r in roles)
            self.stdout.write(f"  {username:<12} {family}{given:<4} {org_code:<9} {role_names}")
        self.stdout.write("")
