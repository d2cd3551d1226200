"""``itsm demo``: a provider, two customers, teams, one user per role, example records."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from itsm.core import directory, services
from itsm.core.audit import audit_context
from itsm.core.choices import AuditSource, OrganizationKind, Priority, Role
from itsm.core.models import Department, Organization, Team

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
    ("quality", "杨", "帆", "nebula", "质量管理部", [Role.QUALITY_MANAGER], "质量经理"),
    ("security", "黄", "磊", "nebula", "运维部", [Role.SECURITY_OFFICER], "安全主管"),
    ("hr", "周", "敏", "nebula", "质量管理部", [Role.HR], "人力资源专员"),
    ("auditor", "吴", "刚", "nebula", "质量管理部", [Role.AUDITOR], "审计员"),
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


class Command(BaseCommand):
    help = "Load demo data (organizations, teams, one user per role, example records)."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Only load when the database has no organization yet.")

    def handle(self, *args, **options):
        if options["if_empty"] and Organization.objects.exists():
            self.stdout.write("Demo data already loaded.")
        else:
            with audit_context(source=AuditSource.CLI), transaction.atomic():
                self.load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.print_logins()

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
        people = {}
        for username, family, given, org_code, dept, roles, title in PEOPLE:
            org = orgs[org_code]
            people[username] = directory.create_person(actor=None, data={
                "username": username, "first_name": given, "last_name": family,
                "email": f"{username}@{org_code}.example.cn", "password": DEMO_PASSWORD,
                "is_staff": Role.ADMINISTRATOR in roles,
                "is_superuser": Role.ADMINISTRATOR in roles,
                "roles": roles,
                "profile": {"organization": org,
                            "department": Department.objects.get(organization=org, name=dept),
                            "job_title": title, "phone": "138" + f"{len(people):08d}"},
            })
        teams = {}
        for name, description, members, lead in TEAMS:
            teams[name] = directory.create_object(Team, actor=None, data={
                "organization": orgs["nebula"], "name": name, "description": description,
                "lead": people[lead], "members": [people[m] for m in members],
            })
        catalogue = self.load_catalogue(orgs, teams)
        agent, team = people["agent"], teams["一线服务台"]
        values = {"assign": {"assignee_team": team}, "start": {"assignee": agent},
                  "resolve": {"resolution": "已远程处理完毕，请确认。"}}
        comments = {"ask_customer": "请提供出差所在城市和网络环境。", "cancel": "重复提交，取消。"}
        from itsm.servicedesk.models import Incident, ServiceRequest

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

    def load_catalogue(self, orgs, teams) -> dict:
        """Services with support hours and SLA policies (the manuals' default targets)."""
        from itsm.catalog.choices import DEFAULT_TARGETS
        from itsm.catalog.models import Service, SLAPolicy, SLATarget
        from itsm.core.models import BusinessCalendar

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
