"""Demo data of the service catalogue in the portal (SLM-1): icons for the services, the
request types customers ask for (with their own fields, approvals and fulfilment
tasks), the customer's department heads who approve, and two requests of a type — one
waiting for 马超's approval, one fulfilled by its task and waiting for the requester to
confirm."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from itsm.catalog.choices import ApproverKind, FieldKind
from itsm.catalog.models import (
    RequestType,
    RequestTypeApproval,
    RequestTypeField,
    RequestTypeTask,
    Service,
)
from itsm.core import services as core_services
from itsm.core.choices import Role
from itsm.core.models import Department, Organization, Team
from itsm.servicedesk import fulfilment
from itsm.servicedesk.models import ServiceRequest

ICONS = {"desktop": "laptop", "mes": "server", "network": "wifi"}

#: service code → [(name, icon, description, fields, approvals, tasks)]; a field is
#: (key, label, kind, required, choices); an approval a role or None (department head);
#: a task (title, team).
TYPES: dict[str, list[tuple[str, str, str, list, list, list]]] = {
    "desktop": [
        ("笔记本电脑申领", "laptop",
         "新员工入职或电脑老旧更换：部门负责人审批后由服务台备机、装机并交付。",
         [("model", "机型", FieldKind.CHOICE, True, ["标准办公本", "高性能开发本", "轻薄本"]),
          ("user", "使用人", FieldKind.PERSON, True, []),
          ("needed_by", "需要日期", FieldKind.DATE, True, []),
          ("reason", "用途说明", FieldKind.TEXTAREA, False, [])],
         [None], [("备机出库与登记", "一线服务台"), ("安装标准软件并交付", "一线服务台")]),
        ("打印机安装", "printer", "新打印机上架或搬迁后安装驱动、共享队列。",
         [("location", "打印机位置", FieldKind.TEXT, True, []),
          ("model", "打印机型号", FieldKind.TEXT, False, [])],
         [], [("上门安装驱动并测试打印", "一线服务台")]),
        ("软件安装申请", "box-seam", "安装标准软件目录之外的软件，需部门负责人审批。",
         [("software", "软件名称", FieldKind.TEXT, True, []),
          ("version", "版本", FieldKind.TEXT, False, []),
          ("license", "许可证明", FieldKind.ATTACHMENT, False, [])],
         [None], [("核实许可并远程安装", "一线服务台")]),
        ("邮箱容量扩容", "envelope", "邮箱接近满额时申请扩容。",
         [("current", "当前容量 (GB)", FieldKind.NUMBER, False, []),
          ("wanted", "期望容量 (GB)", FieldKind.NUMBER, True, [])],
         [], [("调整邮箱配额", "一线服务台")]),
    ],
    "network": [
        ("VPN 账号开通", "shield-lock",
         "出差或居家办公需要远程接入内网：部门负责人与安全主管审批。",
         [("kind", "账号类型", FieldKind.CHOICE, True, ["个人", "共享"]),
          ("until", "有效期至", FieldKind.DATE, True, []),
          ("reason", "申请理由", FieldKind.TEXTAREA, True, [])],
         [None, Role.SECURITY_OFFICER], [("开通账号并下发证书", "网络与安全组")]),
    ],
    "mes": [
        ("MES 账号权限申请", "person-badge", "生产系统新增账号或调整角色权限。",
         [("role", "权限角色", FieldKind.CHOICE, True, ["操作员", "班组长", "计划员"]),
          ("from", "生效日期", FieldKind.DATE, True, [])],
         [None], [("配置 MES 账号与角色", "二线技术支持")]),
    ],
}


def load(provider: Organization, people: dict[str, Any]) -> None:
    """Load the catalogue demo once (nothing when the provider has request types)."""
    if RequestType.objects.filter(provider=provider).exists():
        return
    services = {s.code: s for s in Service.objects.filter(provider=provider)}
    teams = {t.name: t for t in Team.objects.filter(organization=provider)}
    for code, icon in ICONS.items():
        Service.objects.filter(provider=provider, code=code).update(icon=icon)
    types = {}
    for code, rows in TYPES.items():
        if code not in services:
            continue
        for order, (name, icon, description, fields, approvals, tasks) in enumerate(rows, 1):
            request_type = RequestType.objects.create(
                provider=provider, service=services[code], name=name, icon=icon,
                description=description, order=order)
            for position, (key, label, kind, required, choices) in enumerate(fields, 1):
                RequestTypeField.objects.create(request_type=request_type, key=key,
                                                label=label, kind=kind, required=required,
                                                choices=choices, order=position)
            for position, role in enumerate(approvals, 1):
                RequestTypeApproval.objects.create(
                    request_type=request_type, order=position,
                    kind=ApproverKind.ROLE if role else ApproverKind.DEPARTMENT_HEAD,
                    role=role or "")
            for position, (title, team) in enumerate(tasks, 1):
                if team in teams:
                    RequestTypeTask.objects.create(request_type=request_type, order=position,
                                                   title=title, team=teams[team])
            types[name] = request_type
    # The customers' department heads approve their people's requests.
    head = people.get("custadmin")
    if head is not None:
        Department.objects.filter(organization=head.profile.organization).update(head=head)
    head_b = people.get("custadmin_b")
    if head_b is not None:
        Department.objects.filter(organization=head_b.profile.organization).update(head=head_b)
    load_requests(people, types)


def load_requests(people: dict[str, Any], types: dict[str, RequestType]) -> None:
    requester = people.get("requester")
    laptop, printer = types.get("笔记本电脑申领"), types.get("打印机安装")
    if requester is None or laptop is None or printer is None:
        return
    org = requester.profile.organization
    needed = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    core_services.create_record(ServiceRequest, actor=requester, data={
        "organization": org, "title": "新同事入职笔记本", "request_type": laptop,
        "description": "财务部下周一新同事入职，需要一台办公笔记本。",
        "custom_fields": {"model": "标准办公本", "user": requester.pk, "needed_by": needed,
                          "reason": "日常财务办公"}})
    request = core_services.create_record(ServiceRequest, actor=requester, data={
        "organization": org, "title": "三楼财务室打印机安装", "request_type": printer,
        "description": "新到一台 HP LaserJet，放在财务室门口。",
        "custom_fields": {"location": "三楼财务室", "model": "HP LaserJet M406"}})
    agent = people.get("agent")
    task = request.tasks.first()
    if agent is not None and task is not None:
        fulfilment.complete_task(task, actor=agent, note="驱动已安装，测试页打印正常。")
