"""The report mechanism (core.reports) with a report of the test's own: the catalogue,
the page, PDF/XLSX/JSON downloads, who may see what (403 for staff the report is not
for, 404 for customers and other providers), subscriptions over the API and the pages,
and the hourly job mailing a subscription's PDF through a real SMTP sink once per
period, archived with its SHA-256."""

# covers: SLM-5 (reports as PDF, on a schedule), QA-2, GEN-3 (scoping), GEN-API

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms
from django.urls import reverse
from openpyxl import load_workbook

from itsm.conftest import is_postgres, race
from itsm.core.choices import Role
from itsm.core.models import ArchivedReport, AuditEntry, ReportSubscription
from itsm.core.registry import role_predicate
from itsm.core.reports import bar_chart, line_chart, register_report, unregister_report
from itsm.core.reports import services as report_services
from itsm.core.reports.periods import last_complete_period, next_send_time, period_value

KEY = "test-tickets"
SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = dt.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI)
NOVEMBER_FIRST = dt.datetime(2026, 11, 1, 8, 0, tzinfo=SHANGHAI)


class TicketCountForm(forms.Form):
    """``month`` (YYYY-MM, the period) and ``label`` (free text; "bad" is refused)."""

    month = forms.CharField(required=False, max_length=7)
    label = forms.CharField(required=False, max_length=20)

    def __init__(self, data, *, user) -> None:
        super().__init__(data)
        self.user = user

    def clean_month(self) -> str:
        month = self.cleaned_data.get("month") or "2026-09"
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month):
            raise forms.ValidationError("Enter a month as YYYY-MM.")
        return month

    def clean_label(self) -> str:
        if self.cleaned_data.get("label") == "bad":
            raise forms.ValidationError("Not this label.")
        return self.cleaned_data.get("label") or ""


def build(params: dict, user) -> dict:
    rows = [("邮件服务", 3), ("网络", 5)] if params["label"] != "空" else []
    return {"period_label": params["month"], "subtitle": params["label"], "rows": rows,
            "chart": bar_chart([n for n, _c in rows], {"工单": [c for _n, c in rows]})}


@pytest.fixture
def report():
    """The test's report: administrators and team leads see it, agents do not."""
    registered = register_report(
        KEY, "工单月报", form=TicketCountForm, build=build,
        template="example_register/report.html",
        xlsx=lambda context: _xlsx(context), data=lambda context: {"rows": context["rows"]},
        visible=role_predicate(Role.ADMINISTRATOR, Role.TEAM_LEAD))
    yield registered
    unregister_report(KEY)


def _xlsx(context: dict) -> bytes:
    from itsm.core.reports import Sheet, workbook

    return workbook([Sheet("工单", ["服务", "数量"], context["rows"])])


def get(world, identity, name, *args, **params):
    return world.client(identity).get(reverse(name, args=args), params)


def pdf_text(content: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is missing: scripts/test.sh installs it")
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


# --- Periods and charts ---------------------------------------------------------------------


def test_periods_follow_the_providers_time_zone():
    late_october = dt.datetime(2026, 10, 31, 17, 0, tzinfo=dt.UTC)  # 1 Nov 01:00 Shanghai
    assert last_complete_period("month", late_october, SHANGHAI) == (
        dt.datetime(2026, 10, 1, tzinfo=SHANGHAI), dt.datetime(2026, 11, 1, tzinfo=SHANGHAI))
    start, _end = last_complete_period("quarter", late_october, SHANGHAI)
    assert period_value("quarter", start) == "2026-Q3"
    # Sent at 07:00 on the first day: later on that day, the next period's first day
    assert next_send_time("month", late_october, SHANGHAI) == dt.datetime(
        2026, 11, 1, 7, tzinfo=SHANGHAI)
    assert next_send_time("quarter", NOVEMBER_FIRST, SHANGHAI) == dt.datetime(
        2027, 1, 1, 7, tzinfo=SHANGHAI)


def test_charts_are_svg_with_escaped_chinese_labels_or_nothing_without_data():
    svg = bar_chart(["邮件服务", "<script>x</script>"], {"达成率": [95.5, None]}, unit="%")
    assert svg.startswith("<svg") and "邮件服务" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert line_chart(["2026-10", "2026-11"], {"满意度": [None, None]}) == ""
    assert bar_chart([], {}) == ""


# --- Catalogue, page, downloads, visibility ------------------------------------------------


def test_catalogue_lists_the_reports_one_may_see(world, report):
    url = reverse("report", args=[KEY])
    assert f'href="{url}"'.encode() in get(world, "admin", "report-catalogue").content
    agents = get(world, "agent", "report-catalogue")
    assert agents.status_code == 200 and url.encode() not in agents.content
    assert get(world, "requester_a", "report-catalogue").status_code == 404
    menu = world.client("admin").get(reverse("home")).content
    assert f'href="{reverse("report-catalogue")}"'.encode() in menu


def test_page_shows_the_report_its_chart_and_downloads(world, report):
    response = get(world, "lead", "report", KEY, month="2026-10", label="华东")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="test-report-rows"' in html and "邮件服务" in html
    assert '<svg' in html.split('id="test-chart"')[1][:200]
    pdf = reverse("report-download", args=[KEY]) + "?month=2026-10&amp;label=%E5%8D%8E%E4%B8%9C"
    assert pdf + "&amp;format=pdf" in html and "format=xlsx" in html
    assert 'id="report-subscribe"' in html
    # A first visit shows the form's defaults
    first = get(world, "lead", "report", KEY)
    assert first.status_code == 200 and "2026-09" in first.content.decode()


@pytest.mark.parametrize("route", ["report", "report-download", "api:report-detail"])
def test_bad_parameters_are_400_with_field_errors(world, report, route):
    response = get(world, "admin", route, KEY, month="2026-13", label="bad")
    assert response.status_code == 400
    if route.startswith("api:"):
        assert set(response.json()) == {"month", "label"}
    else:
        html = response.content.decode()
        assert "Enter a month as YYYY-MM." in html and "Not this label." in html


@pytest.mark.parametrize("route", ["report", "report-download", "api:report-detail"])
@pytest.mark.parametrize(("identity", "status"), [
    ("agent", 403), ("auditor", 403), ("custadmin_a", 404), ("requester_a", 404)])
def test_who_may_see_the_report(world, report, route, identity, status):
    response = get(world, identity, route, KEY, month="2026-10")
    assert response.status_code == status
    assert "邮件服务".encode() not in response.content


def test_unknown_report_is_404(world, report):
    assert get(world, "admin", "report-catalogue").status_code == 200
    response = world.client("admin").get("/reports/no-such-report/")
    assert response.status_code == 404
    assert world.client("admin").get("/api/reports/no-such-report/").status_code == 404


def test_pdf_xlsx_and_json_downloads(world, report, tmp_path):
    client = world.client("admin")
    url = reverse("api:report-detail", args=[KEY])
    pdf = client.get(url, {"month": "2026-10", "label": "华东", "format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # The Chinese file name, encoded for mail clients and browsers alike
    assert "filename*=utf-8''%E5%B7%A5%E5%8D%95%E6%9C%88%E6%8A%A5-%E5%8D%8E%E4%B8%9C-2026-10.pdf" \
        in pdf["Content-Disposition"]
    text = pdf_text(pdf.content, tmp_path)
    assert "工单统计" in text and "邮件服务" in text and "2026-10" in text
    assert re.search(r"\b1\s*/\s*1\b", text)  # the page number in the footer
    entry = AuditEntry.objects.filter(object_type="core.report").latest("id")
    assert (entry.actor_id, entry.object_id) == (world.admin.pk, KEY)
    xlsx = client.get(url, {"month": "2026-10", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert list(sheet.iter_rows(values_only=True)) == [("服务", "数量"), ("邮件服务", 3),
                                                       ("网络", 5)]
    data = client.get(url, {"month": "2026-10"})
    assert data.json() == {"rows": [["邮件服务", 3], ["网络", 5]]}
    wrong = client.get(url, {"month": "2026-10", "format": "docx"})
    assert wrong.status_code == 400 and "format" in wrong.json()


def test_api_lists_reports_with_their_parameters(world, report):
    listed = get(world, "lead", "api:report-list").json()
    mine = next(r for r in listed if r["key"] == KEY)
    assert mine["formats"] == ["pdf", "xlsx"] and mine["period_parameter"] == "month"
    assert [p["name"] for p in mine["parameters"]] == ["month", "label"]
    assert KEY not in [r["key"] for r in get(world, "agent", "api:report-list").json()]


# --- Subscriptions -------------------------------------------------------------------------


def subscription_body(world, **data) -> dict:
    return {"report": KEY, "parameters": {"label": "华东"}, "frequency": "month",
            "format": "pdf", "people": [world.agent.pk], "roles": [Role.TEAM_LEAD], **data}


@pytest.mark.parametrize(("change", "field"), [
    ({"parameters": {"label": "bad"}}, "parameters"),
    ({"parameters": {"month": "2026-10"}}, "parameters"),  # the period is the schedule's
    ({"parameters": {"colour": "red"}}, "parameters"),
    ({"frequency": "quarter"}, "frequency"),
    ({"report": "no-such-report"}, "report"),
    ({"roles": ["requester"]}, "roles"),
    ({"people": [], "roles": []}, "people"),
])
def test_subscription_api_refuses_bad_values(world, report, change, field):
    response = world.client("admin").post(reverse("api:reportsubscription-list"),
                                          subscription_body(world, **change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    if change.get("parameters") == {"label": "bad"}:
        assert response.json()["parameters"] == {"label": ["Not this label."]}


def test_recipients_must_be_own_staff(world, report):
    for stranger in ("agent_q", "requester_a"):
        response = world.client("admin").post(
            reverse("api:reportsubscription-list"),
            subscription_body(world, people=[world.users[stranger].pk]), format="json")
        assert response.status_code == 400 and "people" in response.json()


def test_subscription_api_scoping_and_ownership(world, report):
    with time_machine.travel(OCTOBER, tick=False):
        created = world.client("admin").post(reverse("api:reportsubscription-list"),
                                             subscription_body(world), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["owner"] == world.admin.pk and body["report_title"] == "工单月报"
    assert dt.datetime.fromisoformat(body["next_run"]) == dt.datetime(
        2026, 11, 1, 7, tzinfo=SHANGHAI)
    detail = reverse("api:reportsubscription-detail", args=[body["id"]])
    assert world.client("lead").get(detail).status_code == 200
    # Not its owner nor an administrator: may read, not change
    assert world.client("lead").patch(detail, {"format": "xlsx"},
                                      format="json").status_code == 403
    assert world.client("lead").delete(detail).status_code == 403
    # The report is not for agents nor auditors; other providers and customers do not see it at all
    assert world.client("agent").get(detail).status_code == 404
    assert world.client("auditor").delete(detail).status_code == 404
    for identity in ("agent_q", "custadmin_a", "requester_a"):
        assert world.client(identity).get(detail).status_code == 404
        assert world.client(identity).delete(detail).status_code == 404
    assert get(world, "agent_q", "api:reportsubscription-list").json()["results"] == []
    assert get(world, "custadmin_a", "api:reportsubscription-list").status_code == 404
    changed = world.client("admin").patch(detail, {"format": "xlsx"}, format="json")
    assert changed.status_code == 200 and changed.json()["format"] == "xlsx"
    assert world.client("admin").delete(detail).status_code == 204


def test_subscription_pages(world, report):
    client = world.client("admin")
    form = client.get(reverse("report-subscription-create"), {"report": KEY, "p-label": "华东"})
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="p-label"' in html and 'value="华东"' in html and 'name="p-month"' not in html
    post = {"report": KEY, "p-label": "bad", "frequency": "month", "format": "pdf",
            "people": [world.agent.pk], "roles": [Role.TEAM_LEAD], "is_active": "on"}
    refused = client.post(reverse("report-subscription-create"), post)
    assert refused.status_code == 400 and "Not this label." in refused.content.decode()
    saved = client.post(reverse("report-subscription-create"), {**post, "p-label": "华东"})
    assert saved.status_code == 302
    subscription = ReportSubscription.objects.get()
    assert subscription.parameters == {"label": "华东"}
    assert list(subscription.people.all()) == [world.agent]
    listed = client.get(reverse("report-subscription-list")).content.decode()
    assert f'id="subscription-{subscription.pk}"' in listed and "工单月报" in listed
    edit = reverse("report-subscription-edit", args=[subscription.pk])
    assert 'value="华东"' in client.get(edit).content.decode()
    assert world.client("lead").get(edit).status_code == 403
    for identity in ("agent_q", "custadmin_a"):
        assert world.client(identity).get(edit).status_code == 404
    assert world.client("custadmin_a").get(reverse("report-subscription-list")).status_code \
        == 404


# --- The job: mailed once per period, archived ---------------------------------------------


@pytest.fixture
def smtp_mail(settings, smtp):
    """Django sends through the SMTP sink of ``core/tests/conftest.py``."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return smtp


def subscribe(world, **data) -> ReportSubscription:
    with time_machine.travel(OCTOBER, tick=False):
        return report_services.save_subscription(None, actor=world.admin, data={
            "report": KEY, "parameters": {"label": "华东"}, "frequency": "month",
            "format": "pdf", "people": [world.agent], "roles": [Role.TEAM_LEAD], **data})


def received_since(sink, before: int) -> list[dict]:
    with sink.lock:
        return list(sink.received[before:])


def test_subscription_mails_the_pdf_once_per_period_and_archives_it(
        world, report, smtp_mail, tmp_path):
    subscription = subscribe(world)
    before = smtp_mail.count()
    with time_machine.travel(OCTOBER + dt.timedelta(days=10), tick=False):
        assert report_services.send_due() == 0  # not due before 1 November 07:00
    with time_machine.travel(NOVEMBER_FIRST, tick=False):
        assert report_services.send_due() == 1
        assert report_services.send_due() == 0
    mails = received_since(smtp_mail, before)
    assert sorted(r for m in mails for r in m["to"]) == ["agent@example.cn", "lead@example.cn"]
    archived = ArchivedReport.objects.get()
    assert (archived.subscription_id, archived.period_label) == (subscription.pk, "2026-10")
    assert sorted(archived.recipients) == ["agent@example.cn", "lead@example.cn"]
    for mail in mails:
        assert "2026-10" in mail["subject"]
        (attachment,) = list(mail["message"].iter_attachments())
        assert attachment.get_filename() == "工单月报-华东-2026-10.pdf"
        content = attachment.get_payload(decode=True)
        assert hashlib.sha256(content).hexdigest() == archived.sha256
        assert archived.size == len(content)
    assert "工单统计" in pdf_text(content, tmp_path)
    subscription.refresh_from_db()
    assert subscription.next_run == dt.datetime(2026, 12, 1, 7, tzinfo=SHANGHAI)
    assert subscription.last_sent == NOVEMBER_FIRST
    # The archive: listed and downloadable by the provider's staff who see the report
    listed = get(world, "lead", "api:archivedreport-list").json()["results"]
    assert [r["sha256"] for r in listed] == [archived.sha256]
    download = world.client("lead").get(reverse("api:archivedreport-download",
                                                args=[archived.pk]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == archived.sha256
    page = get(world, "lead", "report-archive").content.decode()
    assert reverse("report-archive-download", args=[archived.pk]) in page
    for identity in ("agent_q", "custadmin_a", "agent"):
        assert world.client(identity).get(reverse(
            "report-archive-download", args=[archived.pk])).status_code == 404
        assert world.client(identity).get(reverse(
            "api:archivedreport-download", args=[archived.pk])).status_code == 404
    # Kept: no way to delete it
    detail = reverse("api:archivedreport-detail", args=[archived.pk])
    assert world.client("admin").delete(detail).status_code == 405
    # A deleted subscription leaves its reports in the archive
    report_services.delete_subscription(subscription, actor=world.admin)
    assert ArchivedReport.objects.filter(pk=archived.pk).exists()


def test_a_subscription_whose_owner_may_no_longer_see_the_report_sends_nothing(
        world, report, mailoutbox):
    subscription = subscribe(world)
    world.admin.is_active = False
    world.admin.save()
    with time_machine.travel(NOVEMBER_FIRST, tick=False):
        assert report_services.send_due() == 0
    assert mailoutbox == [] and not ArchivedReport.objects.exists()
    subscription.refresh_from_db()
    assert subscription.next_run > NOVEMBER_FIRST  # tried again next month, not every hour


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_a_period_once(world, report, mailoutbox):
    if not is_postgres():
        pytest.skip("concurrent writers need PostgreSQL")
    subscribe(world)
    with time_machine.travel(NOVEMBER_FIRST, tick=False):
        results = race(report_services.send_due, 2)
    assert sorted(results) == [0, 1]
    assert ArchivedReport.objects.count() == 1
    assert sorted(m.to[0] for m in mailoutbox) == ["agent@example.cn", "lead@example.cn"]
