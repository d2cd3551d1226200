"""Exports of the ticket lists (GEN-9): XLSX with date cells in the reader's time, columns
as wide as their text, the sheet named after the list, choices and yes/no in the reader's
language, the SLA due times and states; CSV with the same cells as text."""

# covers: GEN-9, SLM-7

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from itsm.core import services
from itsm.core.exports import MAX_COLUMN_WIDTH, display_width, sheet_title
from itsm.servicedesk.models import Incident
from itsm.servicedesk.resources import IncidentResource

from .test_sla import STANDARD, at, policy

TITLE = "财务系统无法登录"                     # 8 Chinese characters: 16 places wide
LONG_TITLE = "打印机卡纸" * 30                  # 150 Chinese characters


def speak(world, language: str, username: str = "agent") -> None:
    profile = world.users[username].profile
    profile.language = language
    profile.save()


def raise_incident(world, when: str, **data) -> Incident:
    with time_machine.travel(at(when), tick=False):
        return services.create_record(Incident, actor=world.agent, data={
            "organization": world.orgs["A"], "requester": world.requester_a, "title": TITLE,
            "priority": 3, "channel": "phone", **data})


def export(world, file_format: str, when: str, url: str = "servicedesk:incident-export",
           username: str = "agent"):
    with time_machine.travel(at(when), tick=False):
        response = world.client(username).get(reverse(url), {"file_format": file_format})
    assert response.status_code == 200
    return response


def sheet_of(response):
    return load_workbook(io.BytesIO(response.content)).active


#: The incident export's columns, in order (their headings are in the reader's language).
COLUMNS = list(IncidentResource._meta.export_order)


def row(sheet, number: str) -> dict:
    for cells in sheet.iter_rows(min_row=2):
        if cells[0].value == number:
            return dict(zip(COLUMNS, cells, strict=True))
    raise AssertionError(number)


@pytest.fixture
def incident(world) -> Incident:
    """Raised on Monday 2025-09-22 09:00 on 09:00–18:00: response (1 h) due 10:00,
    resolution (4 h) due 13:00; exported at 10:30 the response target is breached."""
    policy(world, STANDARD, response=60, resolution=240)
    return raise_incident(world, "2025-09-22 09:00")


def test_xlsx_in_chinese_has_dates_numbers_widths_and_the_lists_name(world, incident):
    long = raise_incident(world, "2025-09-22 09:05", title=LONG_TITLE)
    sheet = sheet_of(export(world, "xlsx", "2025-09-22 10:30"))
    assert sheet.title == "事件"
    assert sheet.freeze_panes == "A2"
    headings = [cell.value for cell in sheet[1]]
    assert len(headings) == len(COLUMNS)
    assert headings[COLUMNS.index("organization")] == "组织"
    cells = row(sheet, incident.number)
    created = cells["created_at"]
    assert created.is_date and created.value == dt.datetime(2025, 9, 22, 9, 0)  # Shanghai
    assert created.number_format == "yyyy-mm-dd hh:mm"
    assert cells["response_due"].value == dt.datetime(2025, 9, 22, 10, 0)
    assert cells["resolution_due"].value == dt.datetime(2025, 9, 22, 13, 0)
    assert cells["response_sla"].value == "已超时"
    assert cells["resolution_sla"].value == "计时中"
    assert cells["is_major"].value == "否"
    assert cells["channel"].value == "电话"
    assert cells["priority"].value == "一般"
    assert cells["first_response_at"].value is None

    def width(name: str) -> float:
        return sheet.column_dimensions[get_column_letter(COLUMNS.index(name) + 1)].width

    assert width("title") == MAX_COLUMN_WIDTH                # the long title: capped
    assert width("created_at") == 18                          # yyyy-mm-dd hh:mm + margin
    assert width("number") == len(incident.number) + 2
    assert width("organization") == display_width("华东制造") + 2 == 10
    assert row(sheet, long.number)["title"].value == LONG_TITLE


def test_xlsx_in_english(world, incident):
    speak(world, "en")
    sheet = sheet_of(export(world, "xlsx", "2025-09-22 10:30", "api:incident-export"))
    assert sheet.title == "Incidents"
    assert sheet[1][COLUMNS.index("organization")].value == "organization"
    cells = row(sheet, incident.number)
    assert cells["is_major"].value == "No"
    assert cells["channel"].value == "Phone"
    assert cells["priority"].value == "General"
    assert (cells["response_sla"].value, cells["resolution_sla"].value) == ("breached",
                                                                           "running")
    assert cells["created_at"].value == dt.datetime(2025, 9, 22, 9, 0)
    assert sheet.column_dimensions[get_column_letter(
        COLUMNS.index("title") + 1)].width == display_width(TITLE) + 2 == 18


def test_a_resolved_ticket_has_met_clocks_and_its_times(world, incident):
    with time_machine.travel(at("2025-09-22 09:20"), tick=False):
        services.transition_record(incident, "start", actor=world.agent,
                                   values={"assignee": world.agent})
    with time_machine.travel(at("2025-09-22 11:00"), tick=False):
        services.transition_record(Incident.objects.get(pk=incident.pk), "resolve",
                                   actor=world.agent, values={"resolution": "已重置密码"})
    cells = row(sheet_of(export(world, "xlsx", "2025-09-23 10:00")), incident.number)
    assert (cells["response_sla"].value, cells["resolution_sla"].value) == ("已达标", "已达标")
    assert cells["first_response_at"].value == dt.datetime(2025, 9, 22, 9, 20)
    assert cells["resolved_at"].value == dt.datetime(2025, 9, 22, 11, 0)


def test_csv_has_the_same_cells_as_text(world, incident):
    response = export(world, "csv", "2025-09-22 10:30")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = dict(zip(COLUMNS, rows[1], strict=True))
    assert cells["created_at"] == "2025-09-22 09:00"
    assert cells["resolution_due"] == "2025-09-22 13:00"
    assert (cells["is_major"], cells["channel"], cells["response_sla"]) == ("否", "电话",
                                                                            "已超时")
    assert cells["first_response_at"] == ""


def test_an_export_reads_the_clocks_without_a_query_per_ticket(world, incident):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export(world, "xlsx", "2025-09-22 10:30")
        return len(captured)

    queries()  # caches of the first request
    few = queries()
    for minute in range(10):
        raise_incident(world, f"2025-09-22 09:{10 + minute}")
    assert queries() == few


def test_sheet_names_excel_accepts():
    assert sheet_title("变更[紧急]: 网络/机房?*\\") == "变更紧急 网络机房"
    assert len(sheet_title("x" * 40)) == 31
    assert sheet_title("'引号'") == "引号"
    assert sheet_title("[]") == "Sheet1"


def test_display_width_counts_wide_characters_twice():
    assert display_width("REQ-2025-000001") == 15
    assert display_width("打印机abc") == 9
    assert display_width("（全角）") == 8
    assert display_width("第一行\nlonger line") == 11
