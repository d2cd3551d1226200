"""Turning a report's parameters into its context and its context into files: the PDF
(WeasyPrint, the system's Noto CJK fonts, A4 with the provider's name and the period in
the running header and page numbers in the footer) and the XLSX (the report's own
``xlsx``, often built with :func:`workbook`)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from ..exports import FORMATS, ExportTable, xlsx_workbook
from ..models import Organization
from .registry import Report

PDF_TEMPLATE = "core/reports/pdf.html"
# WeasyPrint logs each step of each PDF at INFO: not worth a line in the server's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
CONTENT_TYPES = {"pdf": "application/pdf", "xlsx": FORMATS["xlsx"]}
#: Characters left out of file names (path separators, quotes, controls).
UNSAFE_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


@dataclass(frozen=True)
class ReportFile:
    """A produced report: its bytes, its name and type, and the period it covers."""

    content: bytes
    file_name: str
    content_type: str
    period_label: str
    title: str


def build_context(report: Report, params: dict[str, Any], user, *,
                  provider: Organization | None) -> dict[str, Any]:
    """The report's context from its form's ``cleaned_data``, with what every report
    template and the PDF frame read: ``report_type`` (the registration),
    ``report_title``, ``provider``, ``generated_at`` (the build's own keys stay)."""
    context = dict(report.build(params, user))
    context.setdefault("period_label", "")
    context.setdefault("subtitle", "")
    context.update(report_type=report, report_title=str(report.title), provider=provider,
                   generated_at=timezone.now())
    return context


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The report body ``template`` in the PDF frame, as PDF bytes. Nothing is fetched
    from the network or the disk (only ``data:`` URLs): the charts are inline SVG and the
    fonts come from the system (fontconfig)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_to_string(PDF_TEMPLATE, {**context, "body_template": template,
                                           "pdf": True})
    fetcher = URLFetcher(allowed_protocols=("data",))
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def file_name(context: dict[str, Any], fmt: str) -> str:
    """``服务级别报告-华东制造-2026-10.pdf``: title, subtitle and period, without
    characters a file system or a mail client would choke on."""
    parts = [context["report_title"], context.get("subtitle"), context.get("period_label")]
    stem = "-".join(UNSAFE_FILE_NAME.sub("_", str(p)).strip("_") for p in parts if p)
    return f"{stem[:150] or 'report'}.{fmt}"


def produce(report: Report, context: dict[str, Any], fmt: str) -> ReportFile:
    """The report as a PDF or XLSX file (``fmt``; ValueError for a format it lacks)."""
    if fmt == "pdf":
        content = render_pdf(report.template, context)
    elif fmt == "xlsx" and report.xlsx is not None:
        content = report.xlsx(context)
    else:
        raise ValueError(f"{report.key} has no {fmt} format")
    return ReportFile(content=content, file_name=file_name(context, fmt),
                      content_type=CONTENT_TYPES[fmt],
                      period_label=str(context.get("period_label") or ""),
                      title=str(report.title))


#: One sheet of a report's workbook: a title, the column headings and the rows.
Sheet = ExportTable
#: A report's XLSX workbook, one sheet per table (``core.exports``).
workbook = xlsx_workbook
