"""The service-level report over HTTP: the page, the XLSX download and the API; who may
see which organization's report; bad parameters (SLM-5, GEN-3)."""

# covers: SLM-5, GEN-3 (scoping), GEN-9 (XLSX export), GEN-API

from __future__ import annotations

import io
import json

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from itsm.core.models import AuditEntry
from itsm.quality.api.serializers import BreachRowSerializer
from itsm.quality.reports import service_level_report

from .data import at, catalogue, rating, step, ticket

PAGE = "quality:service-level"
EXPORT = "quality:service-level-export"
API = "api:service-level-report"
NOVEMBER = at("2026-11-15 12:00")


@pytest.fixture
def services(world):
    return catalogue(world)


@pytest.fixture
def october(world, services):
    """A met ticket, a late incident whose title is a formula, a rating."""
    erp = services["erp"]
    met = ticket(world, "2026-10-05 09:00", service=erp)
    step(world, met, "2026-10-05 09:30", "start")
    step(world, met, "2026-10-05 10:00", "resolve")
    late = ticket(world, "2026-10-06 09:00", service=erp, title='=HYPERLINK("http://x")')
    step(world, late, "2026-10-06 10:30", "start")
    step(world, late, "2026-10-06 14:00", "resolve")
    rating(world, met, "2026-10-06 12:00", 4)
    return {"met": met, "late": late}


@pytest.fixture(autouse=True)
def mid_november():
    with time_machine.travel(NOVEMBER, tick=False):
        yield


def get(world, identity: str | None, route: str, **params):
    query = {k: v for k, v in params.items() if v is not None}
    return world.client(identity).get(reverse(route), query)


def test_api_returns_the_sections(world, october):
    response = get(world, "agent", API, organization=world.orgs["A"].pk, month="2026-10")
    assert response.status_code == 200
    data = response.json()
    assert (data["organization"], data["period"]["label"]) == (world.orgs["A"].pk, "2026-10")
    assert data["period"]["start"] == "2026-10-01T00:00:00+08:00"
    assert (data["summary"]["clocks"], data["summary"]["met"]) == (4, 2)
    assert data["summary"]["attainment"] == 50.0
    assert [(r["kind"], r["clocks"], r["breached"], r["attainment"]) for r in data["slo"]] == [
        ("response", 2, 1, 50.0), ("resolution", 2, 1, 50.0)]
    [response_breach, resolution_breach] = data["breaches"]
    assert response_breach["number"] == october["late"].number
    assert (response_breach["kind"], response_breach["overrun_minutes"]) == ("response", 30)
    assert response_breach["due_at"] == "2026-10-06T10:00:00+08:00"
    assert resolution_breach["overrun_minutes"] == 60
    assert resolution_breach["reasons"] == ["首次响应也已超时"]  # zh-Hans, the default
    assert resolution_breach["reason"] == "首次响应也已超时"
    # The fast breach rows say exactly what the documented serializer says
    report = service_level_report(world.orgs["A"], 2026, 10)
    assert data["breaches"] == json.loads(json.dumps(
        BreachRowSerializer(report.breaches, many=True).data))
    assert {r["service"] for r in data["availability"]} == {"ERP", "MAIL"}
    assert data["satisfaction_total"]["ratings"] == 1
    assert data["satisfaction_total"]["mean"] == 4.0


def test_api_defaults_to_the_previous_month_and_a_customer_admins_own_organization(
        world, october):
    response = get(world, "custadmin_a", API)
    assert response.status_code == 200
    data = response.json()
    assert (data["organization"], data["period"]["label"]) == (world.orgs["A"].pk, "2026-10")
    assert data["summary"]["clocks"] == 4


@pytest.mark.parametrize(("params", "field"), [
    ({"month": "2026-13"}, "month"),
    ({"month": "2026-1"}, "month"),
    ({"month": "October"}, "month"),
    ({"month": "1999-12"}, "month"),
    ({"month": "2027-01"}, "month"),  # has not started
    ({"month": "9999-12"}, "month"),
    ({"month": "２０２６-１０"}, "month"),  # full-width digits
    ({"month": "2026-10\x00"}, "month"),
    ({"organization": "abc"}, "organization"),
    ({"organization": "99999999999999999999999"}, "organization"),
    ({"organization": "-1"}, "organization"),
    ({"service": "x"}, "service"),
    ({"service": "99999999999999999999999"}, "service"),
    ({"service": "QAPP"}, "service"),  # another provider's service
    ({"service": "MISSING"}, "service"),  # no such service
])
def test_api_bad_parameters_are_400_with_field_messages(world, services, params, field):
    params = {"organization": world.orgs["A"].pk, **params}
    if params.get("service") == "QAPP":
        params["service"] = services["qapp"].pk
    elif params.get("service") == "MISSING":
        params["service"] = services["qapp"].pk + 1000
    response = get(world, "agent", API, **params)
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert response.json()[field][0]


def test_api_staff_must_choose_an_organization(world):
    response = get(world, "agent", API)
    assert response.status_code == 400
    assert list(response.json()) == ["organization"]


def test_a_service_not_serving_the_organization_is_400(world, services):
    # MAIL serves A and B, ERP only A: ERP is not a service of B
    ok = get(world, "agent", API, organization=world.orgs["B"].pk, service=services["mail"].pk)
    assert ok.status_code == 200
    response = get(world, "agent", API, organization=world.orgs["B"].pk,
                   service=services["erp"].pk)
    assert response.status_code == 400
    assert list(response.json()) == ["service"]


# --- Who may see what ---------------------------------------------------------------------

ALLOWED = [("agent", "A"), ("agent", "B"), ("lead", "A"), ("auditor", "A"), ("admin", "B"),
           ("custadmin_a", "A"), ("custadmin_b", "B"), ("agent_q", "C")]
#: Organizations outside the person's scope: 404, as if they did not exist.
HIDDEN = [("agent", "C"), ("agent", "Q"), ("auditor", "C"), ("agent_q", "A"),
          ("custadmin_a", "B"), ("custadmin_a", "P"), ("custadmin_b", "A")]


@pytest.mark.parametrize("route", [PAGE, EXPORT, API])
@pytest.mark.parametrize(("identity", "org"), ALLOWED)
def test_allowed(world, october, route, identity, org):
    response = get(world, identity, route, organization=world.orgs[org].pk, month="2026-10")
    assert response.status_code == 200


@pytest.mark.parametrize("route", [PAGE, EXPORT, API])
@pytest.mark.parametrize(("identity", "org"), HIDDEN)
def test_other_organizations_are_404(world, october, route, identity, org, sentinel):
    response = get(world, identity, route, organization=world.orgs[org].pk, month="2026-10")
    assert response.status_code == 404
    if world.users[identity].profile.organization != world.orgs["B"]:
        assert sentinel.encode() not in response.content
    # and an id that does not exist at all answers the same
    missing = get(world, identity, route, organization=10**9, month="2026-10")
    assert missing.status_code == 404


@pytest.mark.parametrize("route", [PAGE, EXPORT, API])
@pytest.mark.parametrize("identity", ["requester_a", "requester_b", "requester_c"])
def test_requesters_are_refused(world, october, route, identity):
    own = world.users[identity].profile.organization
    response = get(world, identity, route, organization=own.pk, month="2026-10")
    assert response.status_code == 403


@pytest.mark.parametrize(("route", "expected"), [(PAGE, 302), (EXPORT, 302), (API, 403)])
def test_anonymous(world, route, expected):
    response = get(world, None, route, organization=world.orgs["A"].pk)
    assert response.status_code in ({expected} if expected == 302 else {401, 403})
    if expected == 302:
        assert "/accounts/login/" in response["Location"]


# --- The page and the workbook -----------------------------------------------------------


def test_page_shows_the_tables_and_the_download_link(world, october):
    response = get(world, "agent", PAGE, organization=world.orgs["A"].pk, month="2026-10")
    assert response.status_code == 200
    html = response.content.decode()
    for table in ("report-slo", "report-breaches", "report-availability",
                  "report-satisfaction"):
        assert f'id="{table}"' in html
    late = october["late"]
    assert f'href="{late.get_absolute_url()}"' in html
    assert html.count(f'data-number="{late.number}"') == 2
    assert 'id="summary-attainment">50.00 %' in html
    export = reverse(EXPORT) + f"?organization={world.orgs['A'].pk}&amp;month=2026-10"
    assert export in html


def test_page_first_visit_and_bad_month(world):
    first = get(world, "agent", PAGE)
    assert first.status_code == 200
    assert 'id="report-prompt"' in first.content.decode()
    bad = get(world, "agent", PAGE, organization=world.orgs["A"].pk, month="2026-13")
    assert bad.status_code == 400
    assert 'id="report-errors"' in bad.content.decode()


def test_customer_admin_page_defaults_to_own_organization(world, october):
    response = get(world, "custadmin_a", PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="report-slo"' in html and "2026-10" in html
    # Their organization select offers their own organization only
    assert world.orgs["B"].name not in html


def test_navigation_link(world):
    link = reverse(PAGE)
    for identity, shown in [("agent", True), ("auditor", True), ("custadmin_a", True),
                            ("requester_a", False)]:
        html = world.client(identity).get(reverse("servicedesk:request-list")).content
        assert (f'href="{link}"'.encode() in html) is shown, identity


def test_xlsx_has_one_sheet_per_section_and_guards_formulas(world, october):
    response = get(world, "agent", EXPORT, organization=world.orgs["A"].pk, month="2026-10")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="service-level-a-2026-10.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 5
    summary, slo, breaches, availability, satisfaction = (book[n] for n in book.sheetnames)
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert world.orgs["A"].name in figures.values() and "2026-10" in figures.values()
    assert 50.0 in figures.values()
    slo_rows = list(slo.iter_rows(min_row=2, values_only=True))
    assert [row[3:9] for row in slo_rows] == [(60, 2, 1, 1, 0, 50.0), (240, 2, 1, 1, 0, 50.0)]
    breach_rows = list(breaches.iter_rows(min_row=2, values_only=True))
    assert len(breach_rows) == 2
    number, title = breach_rows[0][0], breach_rows[0][1]
    assert number == october["late"].number
    assert title == "'" + '=HYPERLINK("http://x")'  # kept as text, never a formula
    assert all(cell.data_type != "f" for row in breaches.iter_rows() for cell in row)
    assert breach_rows[0][6] == at("2026-10-06 10:00").replace(tzinfo=None)  # due, local
    assert breach_rows[0][8] == 30 and breach_rows[1][8] == 60  # overrun minutes
    services = {row[0]: row for row in availability.iter_rows(min_row=2, values_only=True)}
    assert services["ERP"][2] == 0 and services["ERP"][5] == 100.0
    ratings = list(satisfaction.iter_rows(min_row=2, values_only=True))
    assert ratings[-1][1:3] == (1, 4.0)
    # The download is audited (who read which organization's report)
    entry = AuditEntry.objects.filter(object_type="quality.servicelevelreport").get()
    assert (entry.actor_id, entry.object_id) == (world.agent.pk, str(world.orgs["A"].pk))


def test_service_filter_over_http(world, services, october):
    mail = ticket(world, "2026-10-02 09:00", service=services["mail"])
    step(world, mail, "2026-10-02 09:20", "start")
    response = get(world, "custadmin_a", API, service=services["mail"].pk, month="2026-10")
    assert response.status_code == 200
    data = response.json()
    assert data["service"] == services["mail"].pk
    assert [(r["service"], r["kind"]) for r in data["slo"]] == [("MAIL", "response"),
                                                               ("MAIL", "resolution")]
