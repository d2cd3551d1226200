"""The indicator pages: every indicator for a period beside the period before, one
indicator split by a dimension with a row narrowing to it, and the records behind the
value; staff only, bad input a form error."""

# covers: QA-1, QA-2

from __future__ import annotations

import html
import re

import pytest

from .test_indicators import PERIOD, data  # noqa: F401 - the hand-built data set

pytestmark = pytest.mark.django_db


def page(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, html.unescape(response.content.decode())


def test_the_list_shows_each_indicator_and_its_trend(world, data):  # noqa: F811
    status, body = page(world.client("agent"), f"/quality/indicators/?{PERIOD}")
    assert status == 200 and "质量指标" in body
    row = body.split('data-key="sla-response"')[1].split("</tr>")[0]
    assert "66.67 %" in row
    assert "首次响应及时率" in row or "First response on time" in row
    assert '<a href="/quality/indicators/sla-response/?' in body


def test_one_indicator_splits_narrows_and_lists_its_records(world, data):  # noqa: F811
    client = world.client("agent")
    status, body = page(client, f"/quality/indicators/sla-response/?{PERIOD}&by=customer")
    assert status == 200
    split = body.split('id="indicator-split"')[1].split("</table>")[0]
    assert "华东制造" in split and "50.00 %" in split and "100.00 %" in split
    a = world.orgs["A"].pk
    narrow = re.search(rf'<a href="(\?[^"]*customer={a}[^"]*)">华东制造', split).group(1)
    status, body = page(client, f"/quality/indicators/sla-response/{narrow}")
    assert status == 200 and 'id="indicator-narrowed"' in body
    records = body.split('id="indicator-records"')[1].split("</ul>")[0]
    assert data["t1"].number in records and data["t3"].number in records
    assert data["t2"].number not in records  # customer B's


def test_indicator_pages_are_staff_only_and_refuse_bad_input(world, data):  # noqa: F811
    assert world.client("requester_a").get("/quality/indicators/").status_code == 404
    assert world.client("requester_a").get(
        "/quality/indicators/sla-response/").status_code == 404
    assert world.client("agent").get("/quality/indicators/no-such/").status_code == 404
    status, body = page(world.client("agent"),
                        "/quality/indicators/sla-response/?start=2026-12-01&end=2026-11-01")
    assert status == 400 and 'id="indicator-errors"' in body
    status, body = page(world.client("agent"),
                        f"/quality/indicators/?{PERIOD}&customer={world.orgs['C'].pk}")
    assert status == 400 and 'id="indicator-errors"' in body
