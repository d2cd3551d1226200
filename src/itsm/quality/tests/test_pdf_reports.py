"""The quality app's reports as PDF (SLM-5, QA-2): the monthly service-level report and
the quarterly quality report, on hand-built data. The PDFs are read back with poppler:
``pdftotext`` for the Chinese headings and the figures, ``pdftoppm`` for the charts
(drawn in their series colours, absent for a quarter without data, which says 无数据
instead). Also the quarterly report's page, JSON, XLSX and who may see it."""

# covers: SLM-5, QA-1, QA-2, GEN-3 (scoping), GEN-API

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from openpyxl import load_workbook

from itsm.complaints import services as complaint_services
from itsm.complaints.models import Complaint
from itsm.core import directory, services
from itsm.core.choices import Role
from itsm.core.reports.charts import COLOURS
from itsm.quality import services as target_services
from itsm.quality import targets
from itsm.servicedesk.models import SatisfactionRating, ServiceRequest, SLAClock

from .data import SH, catalogue, rating, step, ticket

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 15, 12, 0, tzinfo=SH)
QUARTERLY = "quarterly-quality"


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (poppler-utils) is missing: scripts/test.sh installs it")
    return path


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run([poppler("pdftotext"), "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def chart_pixels(content: bytes, tmp_path: Path) -> int:
    """Pixels of the pages (rendered at 50 dpi) in the charts' series colours: the bars
    and lines (nothing else in a report is drawn in them)."""
    from PIL import Image

    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    subprocess.run([poppler("pdftoppm"), "-png", "-r", "50", str(path),
                    str(tmp_path / "page")], check=True)
    colours = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in COLOURS[:2]]
    count = 0
    for page in sorted(tmp_path.glob("page*.png")):
        with Image.open(page) as image:
            for pixels, rgb in image.convert("RGB").getcolors(maxcolors=1 << 24):
                if any(all(abs(a - b) <= 40 for a, b in zip(rgb, colour, strict=True))
                       for colour in colours):
                    count += pixels
    return count


@pytest.fixture(autouse=True)
def mid_november():
    with time_machine.travel(TODAY, tick=False):
        yield


# --- The monthly service-level report ------------------------------------------------------


@pytest.fixture
def october(world):
    """ERP: one ticket on time, one late (both clocks breached); a rating of 4."""
    erp = catalogue(world)["erp"]
    met = ticket(world, "2026-10-05 09:00", service=erp)
    step(world, met, "2026-10-05 09:30", "start")
    step(world, met, "2026-10-05 10:00", "resolve")
    late = ticket(world, "2026-10-06 09:00", service=erp, title="邮件服务器无法登录")
    step(world, late, "2026-10-06 10:30", "start")
    step(world, late, "2026-10-06 14:00", "resolve")
    rating(world, met, "2026-10-06 12:00", 4)
    return {"met": met, "late": late}


def test_service_level_pdf_has_chinese_headings_figures_and_a_chart(world, october, tmp_path):
    query = {"organization": world.orgs["A"].pk, "month": "2026-10", "format": "pdf"}
    response = world.client("agent").get(reverse("report-download", args=["service-level"]),
                                         query)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    for heading in ("服务级别报告", "服务级别目标 (SLO) 达成情况", "可用性", "满意度"):
        assert heading in text, heading
    assert "星云服务商" in text and "华东制造" in text and "2026-10" in text
    assert "50.00 %" in text  # 2 of 4 clocks met
    assert october["late"].number in text and "邮件服务器" in text  # a breach
    assert chart_pixels(response.content, tmp_path) > 300
    # The page links to it; the API gives it too (its own JSON API, ?format=pdf)
    page = world.client("agent").get(reverse("quality:service-level"),
                                     {"organization": world.orgs["A"].pk, "month": "2026-10"})
    assert 'id="report-pdf"' in page.content.decode()
    api = world.client("custadmin_a").get(reverse("api:service-level-report"),
                                          {"month": "2026-10", "format": "pdf"})
    assert api.status_code == 200 and api.content.startswith(b"%PDF")
    assert world.client("custadmin_a").get(reverse("api:service-level-report"),
                                           {"month": "2026-10"}).json()["organization"]


@pytest.fixture
def smtp_sink(settings):
    """Django sends through a real SMTP server in this process (aiosmtpd)."""
    from itsm.core.tests.processes import SmtpSink

    sink = SmtpSink()
    sink.controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        sink.controller.stop()


def test_a_subscription_mails_the_monthly_service_level_pdf(world, october, smtp_sink,
                                                            tmp_path):
    from itsm.core.models import ArchivedReport
    from itsm.core.reports import services as report_services

    world.users["qm"] = directory.create_person(actor=None, data={
        "username": "qm", "first_name": "杨", "last_name": "帆", "email": "qm@example.cn",
        "password": "x" * 12, "roles": [Role.QUALITY_MANAGER],
        "profile": {"organization": world.orgs["P"]}})
    with time_machine.travel(dt.datetime(2026, 10, 20, 12, tzinfo=SH), tick=False):
        report_services.save_subscription(None, actor=world.lead, data={
            "report": "service-level", "parameters": {"organization": world.orgs["A"].pk},
            "frequency": "month", "format": "pdf", "people": [world.agent],
            "roles": [Role.QUALITY_MANAGER]})
    with time_machine.travel(dt.datetime(2026, 11, 1, 7, 5, tzinfo=SH), tick=False):
        assert report_services.send_due() == 1
        assert report_services.send_due() == 0  # once per period
    with smtp_sink.lock:
        mails = list(smtp_sink.received)
    assert sorted(r for m in mails for r in m["to"]) == ["agent@example.cn", "qm@example.cn"]
    archived = ArchivedReport.objects.get()
    assert archived.period_label == "2026-10"
    for mail in mails:
        (attachment,) = list(mail["message"].iter_attachments())
        assert attachment.get_filename().endswith("2026-10.pdf")
        content = attachment.get_payload(decode=True)
        text = pdf_text(content, tmp_path)
        assert "服务级别报告" in text and "华东制造" in text and "50.00 %" in text
    assert chart_pixels(content, tmp_path) > 300


@pytest.mark.parametrize(("identity", "org", "page", "api"), [
    ("custadmin_a", "B", 404, 404), ("agent_q", "A", 404, 404),
    # A requester may see no report: nothing to download (404); the report's own API
    # answers as it always did (403)
    ("requester_a", "A", 404, 403)])
def test_service_level_pdf_of_another_organization_is_refused(world, october, identity, org,
                                                              page, api):
    for url, status in ((reverse("report-download", args=["service-level"]), page),
                        (reverse("api:service-level-report"), api)):
        response = world.client(identity).get(url, {"organization": world.orgs[org].pk,
                                                    "month": "2026-10", "format": "pdf"})
        assert response.status_code == status
        assert not response.content.startswith(b"%PDF")


# --- The quarterly quality report ----------------------------------------------------------


def resolved(world, org: str, month: int, met: bool) -> ServiceRequest:
    """A ticket of ``org`` raised on the 3rd and resolved on the 5th of ``month`` 2026,
    its resolution clock met or not."""
    user = world.users[{"A": "requester_a", "B": "requester_b"}[org]]
    record = services.create_record(ServiceRequest, actor=user, data={
        "organization": world.orgs[org], "requester": user, "title": "打印机卡纸",
        "description": "三楼打印机卡纸"})
    ServiceRequest.objects.filter(pk=record.pk).update(
        created_at=dt.datetime(2026, month, 3, 9, tzinfo=SH),
        resolved_at=dt.datetime(2026, month, 5, 9, tzinfo=SH))
    SLAClock.objects.filter(record_type=ContentType.objects.get_for_model(ServiceRequest),
                            record_id=record.pk, kind="resolution").update(
        stopped_at=dt.datetime(2026, month, 5, 9, tzinfo=SH), met=met)
    return record


@pytest.fixture
def quarter(world):
    """2026 Q3 of provider P. Resolution clocks: A met in July, late in July, met in August
    and September (3 of 4); B late in August, met in September (1 of 2). Ratings: A 4 and
    5, B 3. Two complaints of A in August. A quality manager ``qm``; a quarterly target of
    resolution on time (90, warning 80, critical 60) evaluated after the quarter, and a
    monthly target of satisfaction (4.5, warning 4.2, critical 3) never evaluated."""
    world.users["qm"] = directory.create_person(actor=None, data={
        "username": "qm", "first_name": "qm", "last_name": "", "email": "qm@example.cn",
        "password": "x" * 12, "roles": [Role.QUALITY_MANAGER],
        "profile": {"organization": world.orgs["P"]}})
    tickets = [resolved(world, org, month, met) for org, month, met in [
        ("A", 7, True), ("A", 7, False), ("A", 8, True), ("A", 9, True),
        ("B", 8, False), ("B", 9, True)]]
    for record, score in zip(tickets[:2] + tickets[5:], (4, 5, 3), strict=True):
        SatisfactionRating.objects.create(
            record_type=ContentType.objects.get_for_model(ServiceRequest),
            record_id=record.pk, organization_id=record.organization_id, score=score,
            created_at=dt.datetime(2026, 9, 20, 9, tzinfo=SH))
    for _ in range(2):
        complaint = complaint_services.create_complaint(actor=world.requester_a, data={
            "organization": world.orgs["A"], "requester": world.requester_a,
            "title": "故障处理太慢", "description": "报修三天无人处理"})
        Complaint.objects.filter(pk=complaint.pk).update(
            received_at=dt.datetime(2026, 8, 10, 9, tzinfo=SH))
    quarterly = target_services.save_target(None, actor=world.users["qm"], data={
        "indicator": "sla-resolution", "period_kind": "quarter", "target": Decimal("90"),
        "warning": Decimal("80"), "critical": Decimal("60")})
    monthly = target_services.save_target(None, actor=world.users["qm"], data={
        "indicator": "ticket-satisfaction", "period_kind": "month", "target": Decimal("4.5"),
        "warning": Decimal("4.2"), "critical": Decimal("3")})
    targets.evaluate(dt.datetime(2026, 10, 2, 6, 10, tzinfo=SH), period_kind="quarter")
    return {"quarterly": quarterly, "monthly": monthly}


def quarterly_pdf(world, identity: str = "qm", **params):
    return world.client(identity).get(reverse("api:report-detail", args=[QUARTERLY]),
                                      {"quarter": "2026-Q3", "format": "pdf", **params})


def test_quarterly_figures_from_stored_evaluations_and_live_values(world, quarter):
    data = world.client("qm").get(reverse("api:report-detail", args=[QUARTERLY]),
                                  {"quarter": "2026-Q3"}).json()
    assert data["quarter"] == "2026-Q3" and data["months"] == ["2026-07", "2026-08", "2026-09"]
    rows = {r["indicator"]: r for r in data["targets"]}
    # Stored at the quarter's end: 4 of 6 resolution clocks met, between warning and critical
    assert (rows["sla-resolution"]["value"], rows["sla-resolution"]["state"],
            rows["sla-resolution"]["live"]) == (66.67, "warning", False)
    # A monthly target has no stored quarter: computed now, (4 + 5 + 3) / 3 = 4.0 < 4.2
    assert (rows["ticket-satisfaction"]["value"], rows["ticket-satisfaction"]["state"],
            rows["ticket-satisfaction"]["live"]) == (4.0, "warning", True)
    trend = next(t for t in data["trends"] if t["key"] == "sla-resolution")
    assert (trend["values"], trend["target"]) == ([50.0, 50.0, 100.0], 90.0)
    totals = data["totals"]
    assert (totals["tickets"], totals["complaints"], totals["complaint_rate"]) == (6, 2, 333.33)
    assert (totals["sla_resolution"], totals["satisfaction"]) == (66.67, 4.0)
    customers = {r["name"]: r for r in data["customers"]}
    assert (customers["华东制造"]["sla_resolution"], customers["华东制造"]["complaint_rate"],
            customers["华东制造"]["satisfaction"]) == (75.0, 500.0, 4.5)
    b = customers[world.orgs["B"].name]
    assert (b["sla_resolution"], b["complaints"], b["complaint_rate"]) == (50.0, 0, 0.0)
    # One customer: its own figures, no comparison
    one = world.client("qm").get(reverse("api:report-detail", args=[QUARTERLY]), {
        "quarter": "2026-Q3", "customer": world.orgs["A"].pk}).json()
    assert [r["name"] for r in one["customers"]] == ["华东制造"]
    assert one["totals"]["sla_resolution"] == 75.0
    assert {r["indicator"]: r["value"] for r in one["targets"]} == {
        "sla-resolution": 75.0, "ticket-satisfaction": 4.5}


def test_quarterly_pdf_has_chinese_headings_figures_and_charts(world, quarter, tmp_path):
    response = quarterly_pdf(world)
    assert response.status_code == 200, response.content[:500]
    text = pdf_text(response.content, tmp_path)
    for heading in ("季度质量报告", "质量目标达成情况", "指标趋势", "客户对比"):
        assert heading in text, heading
    assert "星云服务商" in text and "2026-Q3" in text
    for figure in ("66.67", "333.33", "500.00", "75.00 %", "4.00"):
        assert figure in text, figure
    assert "华东制造" in text and "解决及时率" in text
    assert chart_pixels(response.content, tmp_path) > 500


def test_a_quarter_without_data_says_no_data_instead_of_charts(world, quarter, tmp_path):
    response = quarterly_pdf(world, quarter="2026-Q1")
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "质量目标达成情况" in text and "无数据" in text
    assert chart_pixels(response.content, tmp_path) == 0


def test_quarterly_page_and_xlsx(world, quarter):
    page = world.client("lead").get(reverse("report", args=[QUARTERLY]), {"quarter": "2026-Q3"})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-target="{quarter["quarterly"].pk}"' in html and "state-warning" in html
    assert 'id="trend-sla-resolution"' in html and "<svg" in html
    assert f'data-customer="{world.orgs["A"].pk}"' in html
    xlsx = world.client("lead").get(reverse("report-download", args=[QUARTERLY]),
                                    {"quarter": "2026-Q3", "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    assert len(book.sheetnames) == 4
    customers = list(book[book.sheetnames[2]].iter_rows(min_row=2, values_only=True))
    assert ("华东制造", None, 75.0, 4.5, 2, 4, 2, 500.0) in customers


@pytest.mark.parametrize(("params", "field"), [
    ({"quarter": "2026-Q5"}, "quarter"), ({"quarter": "2027-Q1"}, "quarter"),
    ({"customer": "x"}, "customer")])
def test_quarterly_bad_parameters_are_400(world, quarter, params, field):
    response = world.client("qm").get(reverse("api:report-detail", args=[QUARTERLY]), params)
    assert response.status_code == 400 and field in response.json()
    page = world.client("qm").get(reverse("report", args=[QUARTERLY]), params)
    assert page.status_code == 400 and 'id="report-errors"' in page.content.decode()


def test_who_may_see_the_quarterly_report(world, quarter, sentinel):
    url = reverse("api:report-detail", args=[QUARTERLY])
    assert world.client("agent").get(url).status_code == 403  # staff, not its role
    for identity in ("custadmin_a", "requester_a"):
        assert world.client(identity).get(url).status_code == 404
        assert world.client(identity).get(reverse("report", args=[QUARTERLY])).status_code \
            == 404
    # Another provider's customer: as if it did not exist
    response = world.client("qm").get(url, {"customer": world.orgs["C"].pk})
    assert response.status_code == 404
    # Provider Q's team lead sees Q's report, nothing of P's customers
    world.users["lead_q"] = directory.create_person(actor=None, data={
        "username": "lead_q", "first_name": "lead_q", "last_name": "",
        "email": "lead_q@example.cn", "password": "x" * 12, "roles": [Role.TEAM_LEAD],
        "profile": {"organization": world.orgs["Q"]}})
    theirs = world.client("lead_q").get(url, {"quarter": "2026-Q3"}).json()
    assert theirs["customers"] == [] and theirs["targets"] == []
    assert sentinel not in str(theirs)
