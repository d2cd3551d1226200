"""The quality dashboard (QA-2): targets against actuals with traffic lights and trends
from the stored evaluations, narrowed to a team, and the drill-down from a target to its
teams and from a team's period to the records behind the value; permissions."""

# covers: QA-2

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from itsm.quality import targets

from .test_targets import morning_after, provider_target, qw, resolved  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(qw):  # noqa: F811
    """The provider's SLA-resolution target (90 / 80 / 60) and 二线支持's own (70 / 50 /
    40), evaluated for October and November 2026: 一线服务台 100 % then 50 %, 二线支持
    50 % in November."""
    qw.provider_target = provider_target(qw)
    qw.second_target = provider_target(qw, team=qw.teams["second"], target=Decimal("70"),
                                       warning=Decimal("50"), critical=Decimal("40"))
    resolved(qw, "desk", 10, True)
    qw.late = resolved(qw, "desk", 11, False)
    resolved(qw, "desk", 11, True)
    resolved(qw, "second", 11, True)
    resolved(qw, "second", 11, False)
    targets.evaluate(morning_after(2026, 11))
    targets.evaluate(morning_after(2026, 12))
    return qw


def page(client, *args, **query):
    name = "quality:dashboard-target" if args else "quality:dashboard"
    return client.get(reverse(name, args=args), query, HTTP_ACCEPT_LANGUAGE="en")


def chart(response, chart_id: str) -> dict:
    found = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)
    return json.loads(found.group(1))


def test_targets_against_actuals_with_lights_trend_and_counts(evaluated, time_machine,
                                                              django_assert_max_num_queries):
    time_machine.move_to(morning_after(2026, 12))
    client = evaluated.client("qm")
    page(client)  # the session's first request writes it
    with django_assert_max_num_queries(8):
        response = page(client)
    assert response.status_code == 200
    html = response.content.decode()
    provider_row = html.split(f'id="dashboard-target-{evaluated.provider_target.pk}"')[1]
    provider_row = provider_row.split("</tr>")[0]
    # November, the provider as a whole: 2 of 4 on time = 50 % < 60: critical, worse
    # than October's 100 %.
    assert "state-critical" in provider_row and ">50<" in provider_row
    assert "2026-11" in provider_row, provider_row
    assert "trend-worse" in provider_row and "▼" in provider_row
    assert "一线服务台 50" in provider_row  # the team held to the provider's target
    spark = chart(response, f"spark-{evaluated.provider_target.pk}")
    assert spark["xAxis"]["data"][-2:] == ["2026-10", "2026-11"]
    assert spark["series"][0]["data"][-2:] == [100.0, 50.0]
    assert spark["series"][0]["markLine"]["data"] == [{"yAxis": 90.0}]
    counts = dict(re.findall(r'data-state="(\w+)">(\d+)<', html))
    # provider critical, 一线服务台 critical, 二线支持 (own target) 50 = its warning → met
    assert counts == {"critical": "2", "warning": "0", "met": "1", "no_data": "0"}
    # The worst first: the provider's target before 二线支持's.
    assert html.index(f"dashboard-target-{evaluated.provider_target.pk}") < html.index(
        f"dashboard-target-{evaluated.second_target.pk}")


def test_narrowed_to_a_team_and_a_foreign_team_is_a_field_error(evaluated, time_machine):
    time_machine.move_to(morning_after(2026, 12))
    client = evaluated.client("qm")
    response = page(client, team=evaluated.teams["desk"].pk)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"dashboard-target-{evaluated.provider_target.pk}" in html
    assert f"dashboard-target-{evaluated.second_target.pk}" not in html
    assert re.findall(r'data-state="critical">(\d+)<', html) == ["1"]
    refused = page(client, team=evaluated.teams["q_desk"].pk)
    assert refused.status_code == 400
    assert "不属于您所在的服务商" in refused.content.decode()
    assert page(client, period="fortnight").status_code == 400


def test_a_lead_sees_the_providers_values_and_their_own_teams(evaluated, time_machine):
    time_machine.move_to(morning_after(2026, 12))
    html = page(evaluated.client("lead")).content.decode()
    assert f"dashboard-target-{evaluated.provider_target.pk}" in html
    assert "一线服务台 50" in html
    assert f"dashboard-target-{evaluated.second_target.pk}" not in html  # 二线支持's


def test_drill_down_from_a_target_to_its_teams_and_to_the_records(evaluated, time_machine):
    time_machine.move_to(morning_after(2026, 12))
    client = evaluated.client("qm")
    response = page(client, evaluated.provider_target.pk)
    assert response.status_code == 200
    trend = chart(response, "target-trend")
    assert [s["name"] for s in trend["series"]] == ["整个服务提供方", "一线服务台"]
    assert trend["series"][1]["data"][-2:] == [100.0, 50.0]
    html = response.content.decode()
    desk_row = html.split(f'data-scope="team:{evaluated.teams["desk"].pk}"')[1].split("</tr>")[0]
    links = re.findall(r'href="([^"]+)"[^>]*>50<', desk_row)
    assert len(links) == 1
    url = links[0].replace("&amp;", "&")
    assert "start=2026-11-01" in url and "end=2026-12-01" in url
    assert f"team={evaluated.teams['desk'].pk}" in url
    records = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert records.status_code == 200
    assert evaluated.late.number in records.content.decode()


def test_customers_and_another_provider_get_404(evaluated):
    for name in ("requester_a", "custadmin_a"):
        assert page(evaluated.client(name)).status_code == 404
        assert page(evaluated.client(name), evaluated.provider_target.pk).status_code == 404
    assert page(evaluated.client("agent_q"), evaluated.provider_target.pk).status_code == 404
    assert page(evaluated.client("agent_q")).status_code == 200  # its own, empty
    assert page(evaluated.client(None)).status_code == 302


def test_the_page_in_chinese_and_without_evaluations(qw, time_machine):  # noqa: F811
    time_machine.move_to(morning_after(2026, 12))
    provider_target(qw)
    with translation.override("zh-hans"):
        response = qw.client("qm").get(reverse("quality:dashboard"),
                                       HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 200 and "质量看板" in html
    assert 'id="dashboard-empty"' in html
