"""Demo data of controlled documents (DOC-1..4, REQ-5): the nine default categories with
their codes, two templates, ten documents across categories, importance and
confidentiality — published (one with a PDF, one with a diagram), one superseded by its
new edition, one in review waiting for management, one checked out, one secret — a
requirement document analysed from a demo service request (waiting for the requester's
confirmation), a loan out and one overdue, and a secret clearance for management.

Everything goes through the documents' services. Loaded once (nothing when the provider
has documents)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from itsm.core import directory, objects
from itsm.core import services as records
from itsm.core.models import Department, Organization
from itsm.documents import loans, requirements, services
from itsm.documents.models import ControlledDocument, DocumentCategory, DocumentLoan
from itsm.servicedesk.models import ServiceRequest

#: (key, code, title, importance, confidentiality, author, body, how far it gets)
DOCUMENTS = [
    ("switch-old", "FA", "核心交换机升级方案（2025 版）", "important", "internal", "engineer",
     "## 背景\n核心交换机运行五年，需升级固件。\n\n## 方案\n分两个窗口滚动升级。", "published"),
    ("switch", "FA", "核心交换机升级方案", "important", "internal", "engineer",
     "## 背景\n核心交换机固件存在高危漏洞。\n\n## 方案\n夜间窗口双机热备切换后升级。\n\n"
     "## 回退计划\n保留旧固件，10 分钟内回切。", "published"),
    ("patrol", "YW", "机房日常巡检手册", "ordinary", "public", "lead",
     "## 巡检项目\n1. 温湿度\n2. UPS 与配电\n3. 空调告警\n4. 门禁记录", "published"),
    ("mes-upgrade", "SS", "MES 数据库升级实施方案", "major", "confidential", "engineer",
     "## 实施步骤\n1. 全量备份\n2. 停应用\n3. 升级数据库\n4. 验证扫码交易\n\n"
     "## 停机窗口\n周六 22:00–次日 02:00", "in_review"),
    ("perf-test", "CS", "财务系统性能测试报告", "ordinary", "internal", "engineer",
     "## 测试范围\n登录、凭证录入、报表查询。\n\n## 结论\n待补充。", "checked_out"),
    ("acceptance", "YS", "华东制造 MES 运维项目验收报告", "important", "internal", "lead",
     "## 验收结论\n各项服务级别指标均达标，同意验收。", "published_customer"),
    ("training", "PX", "新员工服务台培训教材", "ordinary", "public", "lead",
     "## 课程\n1. 服务台流程\n2. 事件分级\n3. 沟通规范", "published"),
    ("contract", "HT", "西部能源运维服务合同（续签）", "major", "secret", "management",
     "## 合同要点\n服务期三年，年费与考核条款见附件。", "draft"),
    ("q1-report", "BG", "2026 年第一季度服务报告", "ordinary", "internal", "quality",
     "## 概况\n本季度共受理服务请求 412 件，满意度 4.6。", "archived"),
]

TEMPLATES = [
    ("SN", "需求说明书模板", "## 功能需求\n\n## 性能需求\n\n## 接口需求\n\n## 数据需求\n"),
    ("FA", "技术方案模板", "## 背景\n\n## 目标\n\n## 方案\n\n## 风险与回退计划\n\n## 实施计划\n"),
]


def load(provider: Organization, people: dict[str, Any]) -> None:
    """Load the documents' demo once."""
    services.ensure_default_categories(provider)
    if ControlledDocument.objects.filter(organization__in=Organization.objects.filter(
            Q(pk=provider.pk) | Q(provider=provider))).exists():
        return
    admin = people["admin"]
    for code, name, body in TEMPLATES:
        services.save_template(None, actor=admin, data={
            "category": _category(provider, code), "name": name, "body": body})
    department = _operations_department(provider, people)
    services.save_clearance(None, actor=people["security"], data={
        "user": people["management"], "level": "secret",
        "reason": "审批涉密合同与并购文档"})
    made = {}
    for key, code, title, importance, level, author, body, stage in DOCUMENTS:
        made[key] = _document(provider, people, code=code, title=title, body=body,
                              importance=importance, confidentiality=level, stage=stage,
                              author=people[author], department=department,
                              supersedes=made.get("switch-old") if key == "switch" else None)
    _files(people, made)
    _loans(people, made)
    _requirement(people)


def _category(provider: Organization, code: str) -> DocumentCategory:
    return DocumentCategory.objects.get(provider=provider, code=code)


def _operations_department(provider: Organization, people: dict[str, Any]) -> Department:
    """运维部, headed by 运维部经理 (who approves important documents)."""
    department = Department.objects.get(organization=provider, name="运维部")
    if department.head_id is None:
        department = directory.update_object(department, actor=None,
                                             changes={"head": people["opshead"]})
    return department


def _document(provider: Organization, people: dict[str, Any], *, code: str, title: str,
              body: str, importance: str, confidentiality: str, stage: str, author,
              department: Department, supersedes: ControlledDocument | None
              ) -> ControlledDocument:
    data: dict[str, Any] = {"title": title, "document_category": _category(provider, code),
                            "importance": importance, "confidentiality": confidentiality,
                            "department": department, "supersedes": supersedes,
                            "description": title}
    if stage == "published_customer":  # of the customer administrator's organization
        data.update(organization=people["custadmin"].profile.organization,
                    requester=people["custadmin"])
    document = services.create_document(actor=author, data=data, text=body)
    if stage == "checked_out":
        services.check_out(document, actor=author)
        return document
    if stage == "draft":
        return document
    records.transition_record(document, "submit", actor=author)
    if stage == "in_review":
        return document
    reviewer = {"ordinary": people["lead"], "important": people["opshead"]}.get(
        importance, people["management"])
    if reviewer.pk == author.pk:
        reviewer = people["management"]
    services.decide_review(document, actor=reviewer, approve=True, comment="同意发布。")
    if stage == "archived":
        records.transition_record(document, "archive", actor=people["management"])
    records.reload(document)
    for person in ("agent", "engineer", "lead"):
        services.log_access(document, user=people[person], action="view")
    return document


def _files(people: dict[str, Any], made: dict[str, ControlledDocument]) -> None:
    """The patrol handbook's floor plan (PNG) and the switch plan as a PDF, as versions
    of drafts revised for them and published again."""
    for key, name, content, summary in (
            ("patrol", "机房平面图.png", _floor_plan(), "增加机房平面图"),
            ("switch", "核心交换机升级方案.pdf", _pdf(made["switch"]), "定稿 PDF")):
        document = made[key]
        author = document.created_by
        records.transition_record(document, "revise", actor=author)
        services.add_version(document, actor=author, change_summary=summary,
                             upload=SimpleUploadedFile(name, content))
        records.transition_record(document, "submit", actor=author)
        reviewer = people["opshead"] if document.importance == "important" else people["lead"]
        if reviewer.pk == author.pk:
            reviewer = people["management"]
        services.decide_review(document, actor=reviewer, approve=True)
        services.log_access(document, user=people["agent"], action="download",
                            version=document.versions.first())


def _floor_plan() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 620, 380), outline="black", width=3)
    for x in range(60, 560, 100):  # rows of racks
        draw.rectangle((x, 80, x + 60, 300), outline="#0d6efd", width=2, fill="#e7f1ff")
    draw.rectangle((540, 320, 610, 370), outline="#dc3545", width=2, fill="#f8d7da")  # UPS
    draw.text((30, 30), "DC-1  racks A-E  UPS", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf(document: ControlledDocument) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    body = "".join(f"<p>{line}</p>" for line in document.current_version.text.splitlines()
                   if line.strip())
    html = (f"<html><head><meta charset='utf-8'><style>body{{font-family:'Noto Sans CJK SC',"
            f"sans-serif}}</style></head><body><h1>{document.number} {document.title}</h1>"
            f"{body}</body></html>")
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


def _loans(people: dict[str, Any], made: dict[str, ControlledDocument]) -> None:
    """The agent has the switch plan out for ten more days; the engineer kept the
    training material past its return date."""
    today = timezone.localdate()
    out = loans.request_loan(made["switch"], actor=people["agent"], purpose="夜间变更值守参考",
                             due_date=today + dt.timedelta(days=10))
    loans.decide_loan(out, actor=people["engineer"], approve=True)
    loans.lend(out, actor=people["engineer"])
    late = loans.request_loan(made["training"], actor=people["engineer"],
                              purpose="给新同事授课", due_date=today + dt.timedelta(days=1))
    loans.decide_loan(late, actor=people["lead"], approve=True)
    loans.lend(late, actor=people["lead"])
    late = DocumentLoan.objects.get(pk=late.pk)
    objects.save_object(late, actor=None, organization_id=late.organization_id, data={
        "due_date": today - dt.timedelta(days=4),
        "lent_at": timezone.now() - dt.timedelta(days=18)})
    loans.mark_overdue(today)


def _requirement(people: dict[str, Any]) -> None:
    """The new employees' accounts request analysed into a requirement document, waiting
    for the requester to confirm it."""
    request = ServiceRequest.objects.filter(title="申请新员工邮箱账号").first()
    if request is None:
        return
    requirements.create_requirement_document(
        request, actor=people["agent"], title="新员工账号开通需求", sections={
            "functional": "为财务部两名新员工开通邮箱、VPN 与 ERP 只读账号。",
            "performance": "入职当日 10:00 前可用。",
            "interface": "账号信息同步至统一身份认证平台。",
            "data": "账号申请单保存 3 年。"})
