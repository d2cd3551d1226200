"""The monthly complaint report for management (CPL-4): counts by level, cause, service
and organization; first responses and resolutions on time; satisfaction; six months of
trend (ECharts options). A page, an XLSX workbook, and a monthly job that mails the
workbook to each provider's management.

``monthly_report`` runs a fixed number of grouped queries whatever the number of
complaints (``bench/complaints.py`` measures it).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db.models import Avg, Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from itsm.catalog.models import Service
from itsm.core.choices import OrganizationKind, Role
from itsm.core.exports import spreadsheet_text
from itsm.core.models import Organization
from itsm.servicedesk.models import SLAClock

from .choices import ClockKind, ComplaintLevel
from .models import CauseCategory, Complaint
from .periods import Period

logger = logging.getLogger(__name__)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TREND_MONTHS = 6


@dataclass
class ComplaintReport:
    provider: Organization
    period: Period
    total: int = 0
    by_level: list[tuple[str, int]] = field(default_factory=list)
    by_cause: list[tuple[str, str, int]] = field(default_factory=list)
    by_service: list[tuple[str, int]] = field(default_factory=list)
    by_organization: list[tuple[str, int]] = field(default_factory=list)
    #: kind label → (met, measured, percent)
    on_time: list[tuple[str, int, int, float | None]] = field(default_factory=list)
    satisfaction: float | None = None
    scored: int = 0
    closed: int = 0
    trend: dict[str, Any] = field(default_factory=dict)
    on_time_trend: dict[str, Any] = field(default_factory=dict)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def provider_complaints(provider: Organization):
    """Complaints of the provider's customers (and of the provider itself)."""
    return Complaint.objects.filter(Q(organization__provider_id=provider.pk)
                                    | Q(organization_id=provider.pk))


def monthly_report(provider: Organization, period: Period) -> ComplaintReport:
    """The report of complaints received (counts) and handled (clocks, scores) in the
    period, for the provider's customers."""
    report = ComplaintReport(provider=provider, period=period)
    base = provider_complaints(provider)
    received = base.filter(created_at__gte=period.start, created_at__lt=period.end).order_by()
    levels = dict(ComplaintLevel.choices)
    counts = {row["level"]: row["n"] for row in received.values("level").annotate(n=Count("pk"))}
    report.total = sum(counts.values())
    report.by_level = [(str(label), counts.get(value, 0)) for value, label in levels.items()]
    if counts.get(""):
        report.by_level.append((_("Not evaluated yet"), counts[""]))
    causes = {c.pk: c for c in CauseCategory.objects.select_related("parent")}
    report.by_cause = sorted(
        ((causes[r["cause_category"]].parent.name if causes[r["cause_category"]].parent_id
          else causes[r["cause_category"]].name,
          causes[r["cause_category"]].name, r["n"]) if r["cause_category"] in causes
         else (_("Not analysed yet"), "", r["n"])
         for r in received.values("cause_category").annotate(n=Count("pk"))),
        key=lambda row: (-row[2], row[0], row[1]))
    services = dict(Service.objects.filter(provider_id=provider.pk).values_list("pk", "name"))
    report.by_service = sorted(
        ((services.get(r["service"], _("No service")), r["n"])
         for r in received.values("service").annotate(n=Count("pk"))),
        key=lambda row: (-row[1], row[0]))
    report.by_organization = sorted(
        ((r["organization__name"], r["n"])
         for r in received.values("organization__name").annotate(n=Count("pk"))),
        key=lambda row: (-row[1], row[0]))
    clocks = _clock_counts(provider, [period])
    report.on_time = [(str(label), *clocks.get((period.label, kind), (0, 0)),
                       _percent(*clocks.get((period.label, kind), (0, 0))))
                      for kind, label in ClockKind.choices]
    closed = base.filter(closed_at__gte=period.start, closed_at__lt=period.end).aggregate(
        n=Count("pk"), scored=Count("satisfaction_score"), avg=Avg("satisfaction_score"))
    report.closed, report.scored = closed["n"], closed["scored"]
    report.satisfaction = round(closed["avg"], 2) if closed["avg"] is not None else None
    report.trend, report.on_time_trend = _trends(provider, period, base)
    return report


def _clock_counts(provider: Organization, periods: list[Period]
                  ) -> dict[tuple[str, str], tuple[int, int]]:
    """(met, measured) of the complaint clocks stopped in each period, by kind: one query."""
    complaint_type = ContentType.objects.get_for_model(Complaint)
    orgs = Organization.objects.filter(Q(provider_id=provider.pk) | Q(pk=provider.pk))
    aggregates = {}
    for p in periods:
        for kind in ClockKind.values:
            within = Q(kind=kind, stopped_at__gte=p.start, stopped_at__lt=p.end,
                       met__isnull=False)
            aggregates[f"{p.label}|{kind}|n"] = Count("pk", filter=within)
            aggregates[f"{p.label}|{kind}|met"] = Count("pk", filter=within & Q(met=True))
    values = SLAClock.objects.filter(
        record_type=complaint_type, organization_id__in=orgs.values("pk"),
        stopped_at__gte=periods[0].start, stopped_at__lt=periods[-1].end,
    ).aggregate(**aggregates)
    return {(p.label, kind): (values[f"{p.label}|{kind}|met"], values[f"{p.label}|{kind}|n"])
            for p in periods for kind in ClockKind.values}


def _trends(provider: Organization, period: Period, base) -> tuple[dict, dict]:
    months = period.previous(TREND_MONTHS)
    aggregates = {f"{m.label}|{level}": Count("pk", filter=Q(
        created_at__gte=m.start, created_at__lt=m.end, level=level))
        for m in months for level in ComplaintLevel.values}
    counts = base.filter(created_at__gte=months[0].start, created_at__lt=period.end
                         ).aggregate(**aggregates)
    colors = {"danger": "#dc3545", "warning": "#fd7e14", "primary": "#0d6efd"}
    labels = [m.label for m in months]
    trend = {
        "legend": {"top": 0}, "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"type": "bar", "stack": "complaints", "name": str(level.label),
                    "itemStyle": {"color": colors.get(level.color, "#6c757d")},
                    "data": [counts[f"{m.label}|{level.value}"] for m in months]}
                   for level in ComplaintLevel],
    }
    clocks = _clock_counts(provider, months)
    on_time = {
        "legend": {"top": 0}, "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "min": 0, "max": 100},
        "series": [{"type": "line", "name": str(label),
                    "data": [_percent(*clocks[(m.label, kind)]) for m in months]}
                   for kind, label in ClockKind.choices],
    }
    return trend, on_time


# --- XLSX ---------------------------------------------------------------------------------


def report_workbook(report: ComplaintReport) -> bytes:
    """The report as a workbook: a summary sheet and one sheet per breakdown."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[tuple]) -> None:
        ws = book.create_sheet(title[:31])
        ws.append([_styled(ws, h, bold) for h in header])
        for row in rows:
            ws.append([spreadsheet_text(v) if isinstance(v, str) else v for v in row])

    sheet(_("Summary"), [_("Item"), _("Value")], [
        (_("Provider"), report.provider.name), (_("Month"), report.period.label),
        (_("Complaints received"), report.total), (_("Complaints closed"), report.closed),
        *[(_("%(clock)s on time (%%)") % {"clock": label}, pct)
          for label, _met, _n, pct in report.on_time],
        (_("Average satisfaction score"), report.satisfaction),
        (_("Scored complaints"), report.scored)])
    sheet(_("By level"), [_("Level"), _("Complaints")], report.by_level)
    sheet(_("By cause"), [_("Cause category"), _("Subcategory"), _("Complaints")],
          report.by_cause)
    sheet(_("By service"), [_("Service"), _("Complaints")], report.by_service)
    sheet(_("By organization"), [_("Organization"), _("Complaints")], report.by_organization)
    sheet(_("On time"), [_("Clock"), _("Met"), _("Measured"), _("On time (%)")],
          report.on_time)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _styled(ws, value: str, font: Font):
    cell = WriteOnlyCell(ws, value=spreadsheet_text(str(value)))
    cell.font = font
    return cell


def report_filename(report: ComplaintReport) -> str:
    return f"complaints-{report.provider.code}-{report.period.label}.xlsx"


# --- The monthly mail -----------------------------------------------------------------------


def management_of_provider(provider: Organization) -> list:
    roles = {Role.MANAGEMENT, *settings.ITSM_MANAGEMENT_ROLES}
    return list(get_user_model().objects.filter(
        is_active=True, profile__organization_id=provider.pk, groups__name__in=roles)
        .exclude(email="").select_related("profile").distinct())


def send_monthly_reports(now=None) -> int:
    """Last month's report to the management of every active provider (one mail per
    language, the workbook attached); the number of mails sent."""
    today = timezone.localtime(now or timezone.now()).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    sent = 0
    for provider in Organization.objects.filter(kind=OrganizationKind.PROVIDER,
                                                is_active=True):
        people = management_of_provider(provider)
        languages: dict[str, list[str]] = {}
        for person in people:
            language = getattr(person.profile, "language", None) or settings.LANGUAGE_CODE
            languages.setdefault(language, []).append(person.email)
        period = Period.month(year, month, provider.time_zone)
        for language, addresses in languages.items():
            with translation.override(language):
                report = monthly_report(provider, period)
                message = EmailMessage(
                    subject=_("Complaint report %(month)s: %(provider)s")
                    % {"month": period.label, "provider": provider.name},
                    body=_("%(total)s complaints were received in %(month)s; the report is "
                           "attached.") % {"total": report.total, "month": period.label},
                    to=addresses)
                message.attach(report_filename(report), report_workbook(report), CONTENT_TYPE)
                message.send()
                sent += 1
    return sent
