"""Exports: feedback items (the record list's XLSX/CSV) and a campaign's results as an
XLSX workbook (one sheet per view of the results)."""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields
from openpyxl import Workbook
from openpyxl.styles import Font

from itsm.core import audit
from itsm.core.choices import AuditAction
from itsm.core.exports import RecordResource, spreadsheet_text

from .models import FeedbackItem
from .results import CampaignResults

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOLD = Font(bold=True)


class FeedbackItemResource(RecordResource):
    classification = fields.Field(attribute="get_classification_display",
                                  column_name=gettext_lazy("classification"))
    source = fields.Field(attribute="get_source_display", column_name=gettext_lazy("source"))

    class Meta:
        model = FeedbackItem
        fields = (*RecordResource.base_fields_order, "classification", "source", "score",
                  "source_number", "analysis", "handling", "handled_at", "confirmed_at")
        export_order = fields


def _cell(value: Any) -> Any:
    return spreadsheet_text(value) if isinstance(value, str) else value


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append([_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = BOLD
    for row in rows:
        sheet.append([_cell(v) for v in row])


def results_workbook(results: CampaignResults) -> bytes:
    """The results as XLSX: summary, dimensions, questions, organizations, departments."""
    book = Workbook()
    book.remove(book.active)
    service = results.service
    _sheet(book, _("Summary"), [_("Item"), _("Value")], [
        [_("Campaign"), results.campaign.name],
        [_("Recipients"), results.recipients], [_("Answers"), results.responses],
        [_("Response rate (%)"), results.response_rate],
        [_("Overall average"), results.overall],
        [_("SLA attainment (%)"), service.get("sla_rate")],
        [_("Average ticket rating"), service.get("rating_average")]])
    _sheet(book, _("Dimensions"), [_("Dimension"), _("Code"), _("Average"), _("Answers")],
           [[d["label"], d["code"], d["average"], d["count"]] for d in results.dimensions])
    _sheet(book, _("Questions"), [_("Question"), _("Dimension"), _("Average"), _("Answers")],
           [[q["title"], q["dimension"], q["average"], q["count"]] for q in results.questions])
    labels = [d["label"] for d in results.dimensions]
    for title, rows in ((_("Organizations"), results.organizations),
                        (_("Departments"), results.departments)):
        _sheet(book, title, [_("Name"), _("Average"), _("Answers"), *labels],
               [[r["name"], r["average"], r["count"], *r["dimensions"]] for r in rows])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def results_response(results: CampaignResults, actor) -> HttpResponse:
    """The results workbook as a download, its reading audited: one path for the page
    and the API."""
    campaign = results.campaign
    audit.log(action=AuditAction.READ, instance=campaign, actor=actor,
              changes={"export": "xlsx"}, organization_id=campaign.provider_id)
    response = HttpResponse(results_workbook(results), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="survey-{campaign.pk}.xlsx"'
    return response
