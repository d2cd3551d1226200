"""Quality targets split down to teams (QA-1), evaluated per period with alerts once per
threshold crossing (QA-2): validation, inheritance, the periodic evaluation, the alerts
(email, bell, robot) sent exactly once, the API and the pages with their permissions."""

# covers: QA-1, QA-2

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from itsm.conftest import is_postgres, race
from itsm.core import directory, services
from itsm.core.choices import Role
from itsm.core.models import Notification, Team
from itsm.core.notifications import channels
from itsm.quality import services as target_services
from itsm.quality import targets
from itsm.quality.models import QualityTarget, TargetEvaluation
from itsm.servicedesk.models import ServiceRequest, SLAClock

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SH)


def morning_after(year: int, month: int) -> dt.datetime:
    """06:10 on the 2nd of the month: the job's run after the previous month ended."""
    return at(year, month, 2, 6) + dt.timedelta(minutes=10)


@pytest.fixture
def qw(world):
    """The world with a quality manager ``qm`` of P, a second team of P (二线支持, led by
    the engineer) and a robot channel of P."""
    world.users["qm"] = directory.create_person(actor=None, data={
        "username": "qm", "first_name": "qm", "last_name": "", "email": "qm@example.cn",
        "password": "x" * 12, "roles": [Role.QUALITY_MANAGER],
        "profile": {"organization": world.orgs["P"]}})
    world.teams["second"] = directory.create_object(Team, actor=None, data={
        "organization": world.orgs["P"], "name": "二线支持",
        "members": [world.users["engineer"]], "lead": world.users["engineer"]})
    world.robot = channels.create_channel(actor=None, data={
        "organization": world.orgs["P"], "name": "质量钉钉群", "kind": "dingtalk",
        "target": "https://oapi.dingtalk.com/robot/send?access_token=t"})
    return world


def resolved(world, team: str, month: int, met: bool, year: int = 2026) -> ServiceRequest:
    """A ticket of customer A resolved in the month by ``team``, on time or late."""
    user = world.users["requester_a"]
    record = services.create_record(ServiceRequest, actor=user, data={
        "organization": world.orgs["A"], "requester": user, "title": "打印机卡纸",
        "description": "三楼打印机卡纸"})
    ServiceRequest.objects.filter(pk=record.pk).update(
        created_at=at(year, month, 3), resolved_at=at(year, month, 5),
        assignee_team=world.teams[team])
    SLAClock.objects.filter(record_type=ContentType.objects.get_for_model(ServiceRequest),
                            record_id=record.pk, kind="resolution").update(
        stopped_at=at(year, month, 5), met=met)
    return record


def provider_target(world, **data) -> QualityTarget:
    return target_services.save_target(None, actor=world.users["qm"], data={
        "indicator": "sla-resolution", "period_kind": "month", "target": Decimal("90"),
        "warning": Decimal("80"), "critical": Decimal("60"),
        "owners": [world.users["qm"]], **data})


# --- Validation ------------------------------------------------------------------------------

def test_thresholds_on_the_wrong_side_of_the_target_are_field_errors(qw):
    with pytest.raises(ValidationError) as up:  # more is better: thresholds below
        provider_target(qw, target=Decimal("90"), warning=Decimal("95"),
                        critical=Decimal("96"))
    assert set(up.value.message_dict) == {"warning", "critical"}
    with pytest.raises(ValidationError) as down:  # less is better: thresholds above
        provider_target(qw, indicator="handling-time", target=Decimal("8"),
                        warning=Decimal("6"), critical=Decimal("12"))
    assert set(down.value.message_dict) == {"warning"}
    ok = provider_target(qw, indicator="handling-time", target=Decimal("8"),
                         warning=Decimal("12"), critical=Decimal("24"))
    assert ok.provider == qw.orgs["P"]


def test_unknown_indicator_foreign_team_and_duplicate_are_refused(qw):
    with pytest.raises(ValidationError) as unknown:
        provider_target(qw, indicator="no-such-indicator")
    assert "indicator" in unknown.value.message_dict
    with pytest.raises(ValidationError) as foreign:
        provider_target(qw, team=qw.teams["q_desk"])
    assert "team" in foreign.value.message_dict
    provider_target(qw)
    with pytest.raises(ValidationError) as twice:
        provider_target(qw)
    assert "indicator" in twice.value.message_dict
    assert QualityTarget.objects.count() == 1


def test_a_team_target_is_owned_by_the_teams_lead_by_default(qw):
    own = provider_target(qw, team=qw.teams["second"], owners=[])
    assert list(own.owners.all()) == [qw.engineer]


# --- Inheritance -------------------------------------------------------------------------------

def test_a_team_without_its_own_target_is_held_to_the_providers(qw):
    provider = provider_target(qw)
    own = provider_target(qw, team=qw.teams["second"], target=Decimal("70"),
                          warning=Decimal("50"), critical=Decimal("40"))
    assert targets.target_for("sla-resolution", "month", team=qw.teams["desk"]) == provider
    assert targets.target_for("sla-resolution", "month", team=qw.teams["second"]) == own
    assert targets.target_for("sla-resolution", "month",
                              provider=qw.orgs["P"]) == provider
    assert targets.target_for("sla-resolution", "quarter", team=qw.teams["desk"]) is None
    own.is_active = False
    own.save()
    assert targets.target_for("sla-resolution", "month", team=qw.teams["second"]) == provider


# --- Evaluation and alerts ---------------------------------------------------------------------

def lead_notifications(world) -> list[Notification]:
    return list(Notification.objects.filter(user=world.lead))


def test_a_team_crossing_its_critical_threshold_alerts_its_lead_once(
        qw, mailoutbox, django_capture_on_commit_callbacks):
    provider_target(qw)
    provider_target(qw, team=qw.teams["second"], target=Decimal("70"),
                    warning=Decimal("50"), critical=Decimal("40"))
    # November: 一线服务台 1 of 2 on time (50 % < 60: critical under the provider's
    # target); 二线支持 1 of 2 (50 %: met under its own target).
    for team, met in (("desk", True), ("desk", False), ("second", True), ("second", False)):
        resolved(qw, team, 11, met)
    with django_capture_on_commit_callbacks(execute=True):
        written = targets.evaluate(morning_after(2026, 12))
    rows = {(e.target.team_id, e.scope_key): e for e in written}
    desk = rows[(None, f"team:{qw.teams['desk'].pk}")]
    assert (desk.value, desk.numerator, desk.denominator, desk.state) == (50, 1, 2, "critical")
    assert desk.period_start == at(2026, 11, 1, 0) and desk.period_end == at(2026, 12, 1, 0)
    second = rows[(qw.teams["second"].pk, "")]
    assert (second.value, second.state) == (50, "met")
    assert rows[(None, "")].state == "critical"  # the provider as a whole: 2 of 4
    assert len(written) == 3  # 二线支持 is not evaluated under the provider's target

    lead_mail = [m for m in mailoutbox if m.to == ["lead@example.cn"]]
    assert len(lead_mail) == 1
    assert "一线服务台" in lead_mail[0].subject and "2026-11" in lead_mail[0].subject
    assert "50" in lead_mail[0].body and "60" in lead_mail[0].body
    assert len(lead_notifications(qw)) == 1
    assert not [m for m in mailoutbox if m.to == ["engineer@example.cn"]]
    robot = Notification.objects.filter(channel=qw.robot, subject__contains="一线服务台")
    assert robot.count() == 1

    # Re-running (the next morning, or the same one) writes and sends nothing more.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert targets.evaluate(morning_after(2026, 12)) == []
        assert targets.evaluate(morning_after(2026, 12) + dt.timedelta(days=1)) == []
    assert mailoutbox == [] and len(lead_notifications(qw)) == 1
    assert TargetEvaluation.objects.count() == 3

    # December back to met: no alert; January critical again: alerted again.
    resolved(qw, "desk", 12, True)
    with django_capture_on_commit_callbacks(execute=True):
        targets.evaluate(morning_after(2027, 1))
    assert TargetEvaluation.objects.get(
        scope_key=f"team:{qw.teams['desk'].pk}", period_start=at(2026, 12, 1, 0)).state == "met"
    assert not [m for m in mailoutbox if m.to == ["lead@example.cn"]]
    resolved(qw, "desk", 1, False, year=2027)
    with django_capture_on_commit_callbacks(execute=True):
        targets.evaluate(morning_after(2027, 2))
    assert len([m for m in mailoutbox if m.to == ["lead@example.cn"]]) == 1
    assert len(lead_notifications(qw)) == 2


def test_a_warning_then_critical_alerts_twice_critical_then_critical_once(qw, mailoutbox,
        django_capture_on_commit_callbacks):
    provider_target(qw, team=qw.teams["desk"], target=Decimal("90"), warning=Decimal("80"),
                    critical=Decimal("60"))
    for met in (True, True, True, False):  # October: 75 % — warning
        resolved(qw, "desk", 10, met)
    resolved(qw, "desk", 11, False)  # November: 0 % — critical
    resolved(qw, "desk", 12, False)  # December: critical still
    with django_capture_on_commit_callbacks(execute=True):
        for month, year in ((11, 2026), (12, 2026), (1, 2027)):
            targets.evaluate(morning_after(year, month))
    states = list(TargetEvaluation.objects.order_by("period_start").values_list(
        "state", flat=True))
    assert states == ["warning", "critical", "critical"]
    assert len([m for m in mailoutbox if m.to == ["lead@example.cn"]]) == 2


def test_a_period_without_records_is_no_data_and_alerts_nobody(qw, mailoutbox):
    provider_target(qw, period_kind="quarter")
    written = targets.evaluate(morning_after(2027, 1), period_kind="quarter")
    assert [(e.state, e.period_start) for e in written] == [("no_data", at(2026, 10, 1, 0))]
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_evaluating_at_once_alert_once(world):
    if not is_postgres():
        pytest.skip("concurrent writers need PostgreSQL")
    world.users["qm"] = directory.create_person(actor=None, data={
        "username": "qm", "first_name": "qm", "last_name": "", "email": "qm@example.cn",
        "password": "x" * 12, "roles": [Role.QUALITY_MANAGER],
        "profile": {"organization": world.orgs["P"]}})
    provider_target(world)
    resolved(world, "desk", 11, False)
    results = race(lambda: len(targets.evaluate(morning_after(2026, 12))), 2)
    assert sorted(results) in ([0, 2], [1, 1])  # provider scope + 一线服务台, once each
    assert TargetEvaluation.objects.count() == 2
    assert Notification.objects.filter(user=world.lead).count() == 1
    assert Notification.objects.filter(user=world.users["qm"]).count() == 2


# --- API ---------------------------------------------------------------------------------------

def body(**data) -> dict:
    return {"indicator": "sla-resolution", "period_kind": "month", "target": "95",
            "warning": "90", "critical": "80", **data}


def test_quality_managers_write_targets_other_staff_read(qw):
    client = qw.client("qm")
    created = client.post(reverse("api:qualitytarget-list"),
                          body(team=qw.teams["desk"].pk), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["owners"] == [qw.lead.pk]  # the team's lead by default
    wrong = client.post(reverse("api:qualitytarget-list"), body(warning="99"), format="json")
    assert wrong.status_code == 400 and "warning" in wrong.json()
    listed = qw.client("agent").get(reverse("api:qualitytarget-list"))
    assert listed.status_code == 200 and [r["id"] for r in listed.json()["results"]] == [pk]
    denied = qw.client("agent").patch(reverse("api:qualitytarget-detail", args=[pk]),
                                      {"target": "50"}, format="json")
    assert denied.status_code == 403
    assert qw.client("agent").post(reverse("api:qualitytarget-list"), body(),
                                   format="json").status_code == 403
    assert qw.client("agent").delete(
        reverse("api:qualitytarget-detail", args=[pk])).status_code == 403
    changed = qw.client("admin").patch(reverse("api:qualitytarget-detail", args=[pk]),
                                       {"target": "97"}, format="json")
    assert changed.status_code == 200 and changed.json()["target"] == "97.00"
    assert qw.client("admin").delete(
        reverse("api:qualitytarget-detail", args=[pk])).status_code == 204
    assert not QualityTarget.objects.exists()


def test_customers_and_another_provider_get_nothing(qw):
    target = provider_target(qw)
    detail = reverse("api:qualitytarget-detail", args=[target.pk])
    assert qw.client("requester_a").get(reverse("api:qualitytarget-list")).status_code == 403
    assert qw.client("custadmin_a").get(detail).status_code in (403, 404)
    assert qw.client("agent_q").get(detail).status_code == 404
    assert qw.client("agent_q").get(
        reverse("api:qualitytarget-evaluations", args=[target.pk])).status_code == 404
    assert qw.client("agent_q").get(reverse("api:qualitytarget-list")).json()["results"] == []


def test_the_history_and_the_running_period_on_demand(qw):
    target = provider_target(qw)
    resolved(qw, "desk", 11, True)
    targets.evaluate(morning_after(2026, 12))
    history = qw.client("agent").get(reverse("api:qualitytarget-evaluations",
                                             args=[target.pk]))
    assert history.status_code == 200
    assert {(r["scope_key"], r["state"], r["value"]) for r in history.json()} == {
        ("", "met", 100.0), (f"team:{qw.teams['desk'].pk}", "met", 100.0)}
    with time_machine.travel(at(2026, 11, 20), tick=False):
        now = qw.client("agent").get(reverse("api:qualitytarget-evaluate", args=[target.pk]))
    assert now.status_code == 200
    assert now.json()["values"][0]["value"] == 100.0
    assert TargetEvaluation.objects.count() == 2  # on demand: computed, not stored


# --- Pages -------------------------------------------------------------------------------------

def test_the_list_shows_each_targets_traffic_light(qw):
    target = provider_target(qw)
    resolved(qw, "desk", 11, False)
    targets.evaluate(morning_after(2026, 12))
    page = qw.client("agent").get(reverse("quality:target-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="target-{target.pk}"' in html
    assert "text-bg-danger state-critical" in html and "一线服务台" in html
    assert "解决及时率" in html
    assert reverse("quality:target-create") not in html  # an agent reads only


def test_the_form_saves_refuses_bad_thresholds_and_deletes(qw):
    client = qw.client("qm")
    form = client.get(reverse("quality:target-create"))
    assert form.status_code == 200 and "二线支持" in form.content.decode()
    bad = client.post(reverse("quality:target-create"), {
        **body(warning="99"), "is_active": "on"})
    assert bad.status_code == 400 and not QualityTarget.objects.exists()
    good = client.post(reverse("quality:target-create"), {
        **body(team=qw.teams["second"].pk), "is_active": "on"})
    assert good.status_code == 302
    target = QualityTarget.objects.get()
    assert target.team == qw.teams["second"] and list(target.owners.all()) == [qw.engineer]
    assert client.post(reverse("quality:target-delete", args=[target.pk])).status_code == 302
    assert not QualityTarget.objects.exists()


def test_pages_deny_agents_writes_customers_and_other_providers(qw):
    target = provider_target(qw)
    edit = reverse("quality:target-edit", args=[target.pk])
    assert qw.client("agent").get(edit).status_code == 403
    assert qw.client("agent").post(reverse("quality:target-delete",
                                           args=[target.pk])).status_code == 403
    assert qw.client("requester_a").get(reverse("quality:target-list")).status_code == 404
    assert qw.client("agent_q").get(edit).status_code == 404
    assert QualityTarget.objects.filter(pk=target.pk).exists()


def test_the_home_card_shows_the_latest_states_worst_first(qw):
    """工作台 "质量目标": the latest evaluation of each target and inheriting team, worst
    first; a team lead sees the provider's rows and their own team's, not another
    team's; no card before anything was evaluated."""
    from django.test import Client

    def card(username: str) -> str | None:
        client = Client()
        client.force_login(qw.users[username])
        html = client.get("/").content.decode()
        if 'id="widget-quality-targets"' not in html:
            return None
        return html.split('id="widget-quality-targets"')[1].split("</section>")[0]

    provider_target(qw)
    assert card("qm") is None  # nothing evaluated yet
    provider_target(qw, team=qw.teams["second"], target=Decimal("70"),
                    warning=Decimal("50"), critical=Decimal("40"))
    for team, met in (("desk", True), ("desk", False), ("second", True), ("second", False)):
        resolved(qw, team, 11, met)
    targets.evaluate(morning_after(2026, 12))
    html = card("qm")
    assert html is not None and "一线服务台" in html and "二线支持" in html
    assert html.index("state-critical") < html.index("state-met")  # worst first
    lead = card("lead")  # leads 一线服务台, not 二线支持
    assert lead is not None and "一线服务台" in lead and "二线支持" not in lead
    assert card("agent") is None
