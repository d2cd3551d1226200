"""The service-level report as an XLSX workbook: one sheet per section (SLM-5).

Text goes through ``core.exports.spreadsheet_text`` (the formula-injection guard of
every export); times are local to the organization, without a time zone (Excel has
none); percentages are numbers.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from itsm.core.exports import spreadsheet_text

from .reports import ServiceLevelReport

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
#: Characters Excel refuses in sheet titles.
SHEET_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})

Column = tuple[str, Callable[[Any], Any]]
BOLD = Font(bold=True)


def _cell(value: Any, tz: ZoneInfo) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        return spreadsheet_text(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value


def _sheet(book: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Any],
           tz: ZoneInfo) -> None:
    """One sheet, streamed (write-only: thousands of breach rows stay fast)."""
    sheet = book.create_sheet(spreadsheet_text(title.translate(SHEET_TITLE_FORBIDDEN))[:31])
    sheet.freeze_panes = "A2"
    header = []
    for name, _value in columns:
        cell = WriteOnlyCell(sheet, value=spreadsheet_text(str(name)))
        cell.font = BOLD
        header.append(cell)
    sheet.append(header)
    for row in rows:
        values = []
        for _name, value in columns:
            value = _cell(value(row), tz)
            if isinstance(value, dt.datetime):
                value = WriteOnlyCell(sheet, value=value)
                value.number_format = DATETIME_FORMAT
            values.append(value)
        sheet.append(values)


def _summary_rows(report: ServiceLevelReport) -> list[tuple[str, Any]]:
    s, period = report.summary, report.period
    return [
        (_("Organization"), report.organization.name),
        (_("Month"), period.label),
        (_("Service"), report.service.name if report.service else _("All services")),
        (_("Time zone"), period.time_zone),
        (_("Measured until"), period.until),
        (_("Tickets opened"), s.opened),
        (_("Tickets resolved"), s.resolved),
        (_("Tickets still open at the end"), s.open_at_end),
        (_("SLA clocks"), s.clocks),
        (_("Met"), s.met),
        (_("Breached"), s.breached),
        (_("SLA attainment (%)"), s.attainment),
        (_("Response attainment (%)"), s.response_attainment),
        (_("Resolution attainment (%)"), s.resolution_attainment),
        (_("Satisfaction ratings"), report.satisfaction_total.ratings),
        (_("Mean satisfaction score"), report.satisfaction_total.mean),
        (_("Generated"), report.generated_at),
    ]


def report_workbook(report: ServiceLevelReport) -> bytes:
    """The report as XLSX bytes."""
    tz = ZoneInfo(report.period.time_zone)
    book = Workbook(write_only=True)
    _sheet(book, _("Summary"), [(_("Figure"), lambda r: r[0]), (_("Value"), lambda r: r[1])],
           _summary_rows(report), tz)
    _sheet(book, _("SLO attainment"), [
        (_("Service"), lambda r: r.service),
        (_("Priority"), lambda r: r.priority_label),
        (_("Clock"), lambda r: r.kind_label),
        (_("Target (working minutes)"), lambda r: r.target_minutes),
        (_("Clocks"), lambda r: r.clocks),
        (_("Met"), lambda r: r.met),
        (_("Breached"), lambda r: r.breached),
        (_("Of which still open"), lambda r: r.still_open),
        (_("Attainment (%)"), lambda r: r.attainment),
    ], report.slo, tz)
    _sheet(book, _("Breaches"), [
        (_("Number"), lambda r: r.number),
        (_("Title"), lambda r: r.title),
        (_("Service"), lambda r: r.service),
        (_("Priority"), lambda r: r.priority_label),
        (_("Clock"), lambda r: r.kind_label),
        (_("Target (working minutes)"), lambda r: r.target_minutes),
        (_("Due"), lambda r: r.due_at),
        (_("Stopped"), lambda r: r.stopped_at or _("still open")),
        (_("Overrun (minutes)"), lambda r: r.overrun_minutes),
        (_("Escalated to management"), lambda r: r.escalated_at),
        (_("Reason"), lambda r: r.reason),
    ], report.breaches, tz)
    _sheet(book, _("Availability"), [
        (_("Service"), lambda r: r.service),
        (_("Minutes in the period"), lambda r: r.period_minutes),
        (_("Outage minutes"), lambda r: r.outage_minutes),
        (_("Outages"), lambda r: r.outages),
        (_("Longest outage (minutes)"), lambda r: r.longest_outage_minutes),
        (_("Availability (%)"), lambda r: r.availability),
        (_("Target (%)"), lambda r: r.target),
        (_("Target met"), lambda r: r.met),
        (_("Max interruption (minutes)"), lambda r: r.max_interruption_minutes),
        (_("Interruption target met"), lambda r: r.interruption_met),
    ], report.availability, tz)
    _sheet(book, _("Satisfaction"), [
        (_("Service"), lambda r: r.service),
        (_("Ratings"), lambda r: r.ratings),
        (_("Mean score"), lambda r: r.mean),
        (_("Rated 4–5"), lambda r: r.satisfied),
        (_("Rated 4–5 (%)"), lambda r: r.satisfied_percent),
    ], [*report.satisfaction, report.satisfaction_total], tz)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report_filename(report: ServiceLevelReport) -> str:
    service = f"-{report.service.code}" if report.service else ""
    return f"service-level-{report.organization.code}-{report.period.label}{service}.xlsx"
