"""The reports the quality app registers with ``core.reports`` (``register``, called by
``registrations``):

- ``service-level``: the monthly service-level report of one customer (SLM-5), whose
  page and JSON API stay this app's own (``views``, ``api.views``); ``core.reports``
  adds its PDF, subscriptions and archive. The PDF has a chart of SLA attainment per
  service.
- ``quarterly-quality``: the quarterly quality report (``quarterly``), page, PDF, XLSX
  and JSON from ``core.reports``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core.choices import Role
from itsm.core.registry import role_predicate
from itsm.core.reports import Sheet, bar_chart, line_chart, register_report, workbook
from itsm.servicedesk.choices import ClockKind

from . import quarterly, reports, resources
from .forms import ServiceLevelReportForm
from .report_forms import QuarterlyReportForm
from .reports import percent

#: Breaches listed in the PDF (the XLSX has all of them).
PDF_BREACH_ROWS = 50
#: Customers drawn in the comparison chart (the table has all of them).
CHART_CUSTOMERS = 12
#: The fixed scale of a trend chart per unit (others fit their values).
SCALES = {"%": 100, "score": 5}
#: Who reads the quarterly quality report.
QUALITY_REPORT_ROLES = (Role.QUALITY_MANAGER, Role.MANAGEMENT, Role.TEAM_LEAD,
                        Role.ADMINISTRATOR, Role.AUDITOR)


# --- The monthly service-level report ---------------------------------------------------


def attainment_per_service(report: reports.ServiceLevelReport
                           ) -> tuple[list[str], dict[str, list[float | None]]]:
    """Services and their response and resolution attainment (%) in the month."""
    counts: dict[str, dict[str, list[int]]] = {}
    for row in report.slo:
        met_clocks = counts.setdefault(row.service, {}).setdefault(row.kind, [0, 0])
        met_clocks[0] += row.met
        met_clocks[1] += row.clocks
    services = sorted(counts)
    return services, {
        str(label): [percent(*counts[s].get(kind, [0, 0])) for s in services]
        for kind, label in ((ClockKind.RESPONSE, _("Response")),
                            (ClockKind.RESOLUTION, _("Resolution")))}


def build_service_level(params: dict[str, Any], user) -> dict[str, Any]:
    report = reports.service_level_report(
        params["organization"], params["year"], params["month"], service=params["service"],
        user=user)
    services, series = attainment_per_service(report)
    subtitle = report.organization.name + (f" · {report.service.name}" if report.service
                                           else "")
    return {"report": report, "period_label": report.period.label, "subtitle": subtitle,
            "attainment_chart": bar_chart(services, series, unit="%", max_value=100),
            "breaches": report.breaches[:PDF_BREACH_ROWS],
            "breaches_cut": max(0, len(report.breaches) - PDF_BREACH_ROWS)}


# --- The quarterly quality report -------------------------------------------------------


def build_quarterly(params: dict[str, Any], user) -> dict[str, Any]:
    report = quarterly.quarterly_report(
        params["provider"], params["year"], params["quarter_number"], params["start"],
        params["end"], customer=params["customer"])
    months = [m.label for m in report.months]
    for trend in report.trends:
        series = {trend.name: trend.values}
        if trend.target is not None and any(v is not None for v in trend.values):
            series[str(_("Target"))] = [trend.target] * len(months)
        trend.chart = line_chart(months, series, unit=chart_unit(trend.unit),
                                 max_value=SCALES.get(trend.unit), title=trend.name)
    shown = report.customers[:CHART_CUSTOMERS]
    return {
        "quality": report, "period_label": report.label,
        "subtitle": report.customer.name if report.customer else "",
        "customer_chart": bar_chart(
            [r.name for r in shown],
            {str(_("First response on time")): [r.response for r in shown],
             str(_("Resolution on time")): [r.resolution for r in shown]},
            unit="%", max_value=100, title=_("SLA attainment per customer"))
        if report.customer is None else "",
        "survey_chart": bar_chart([d for d, _v, _n in report.surveys],
                                  {str(_("Survey score")): [v for _d, v, _n in report.surveys]},
                                  max_value=5, title=_("Survey score per dimension")),
    }


def chart_unit(unit: str) -> str:
    """The unit written after a chart's values (percentages and per-thousands)."""
    return unit if unit in ("%", "‰") else ""


def quarterly_workbook(context: dict[str, Any]) -> bytes:
    report: quarterly.QuarterlyReport = context["quality"]
    customer_headers = [_("Customer"), _("First response on time (%)"),
                        _("Resolution on time (%)"), _("Satisfaction"), _("Ratings"),
                        _("Tickets raised"), _("Complaints received"),
                        _("Complaint rate (‰)")]

    def customer_row(r: quarterly.CustomerRow) -> list:
        return [r.name, r.response, r.resolution, r.satisfaction, r.ratings, r.tickets,
                r.complaints, r.complaint_rate]

    months = [m.label for m in report.months]
    return workbook([
        Sheet(_("Quality targets"), [_("Indicator"), _("Scope"), _("Evaluation period"),
                                     _("Target value"), _("Actual value"), _("State"),
                                     _("Computed now")],
              [[r.name, r.scope, r.period_kind, float(r.target.target), r.value,
                r.state_label, r.live] for r in report.targets]),
        Sheet(_("Indicator trends"), [_("Indicator"), _("Unit"), *months, _("Target")],
              [[t.name, t.unit, *t.values, t.target] for t in report.trends]),
        Sheet(_("Customer comparison"), customer_headers,
              [customer_row(r) for r in [*report.customers, report.totals]]),
        Sheet(_("Survey scores"), [_("Dimension"), _("Mean score"), _("Answers")],
              [list(row) for row in report.surveys]),
    ])


def register() -> None:
    """Declare the quality app's reports."""
    register_report(
        "service-level", gettext_lazy("Service-level report"),
        form=ServiceLevelReportForm, build=build_service_level,
        template="quality/reports/service_level.html",
        xlsx=lambda context: resources.report_workbook(context["report"]),
        visible=reports.may_see_reports, periods=("month",), period_field="month",
        page_url_name="quality:service-level", order=10,
        description=gettext_lazy("One customer's month: SLO attainment per service and "
                                 "priority, breaches with their reasons, availability and "
                                 "satisfaction."))
    register_report(
        "quarterly-quality", gettext_lazy("Quarterly quality report"),
        form=QuarterlyReportForm, build=build_quarterly,
        template="quality/reports/quarterly.html", xlsx=quarterly_workbook,
        data=lambda context: quarterly.as_json(context["quality"]),
        visible=role_predicate(*QUALITY_REPORT_ROLES), periods=("quarter",),
        period_field="quarter", order=20,
        description=gettext_lazy("A quarter of the provider or one customer: quality "
                                 "targets against actual values, indicator trends, "
                                 "complaints, survey scores and a comparison of the "
                                 "customers."))
