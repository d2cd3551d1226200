"""Service improvement plans through PDCA (QA-3), the acceptance of issue 18: a plan
opened from a complaint cause with the complaint-rate indicator captures its baseline
when it starts, its measures are done before it moves to check, and after the evaluation
date the daily job records the value before and after and whether the target was met —
once, telling the owner once, even with two workers.

The complaint rate is complaints received per 1,000 tickets raised in a window; the
tickets and complaints below are stamped by hand so every value is counted by hand:

- baseline window [10-02 09:00, 11-01 09:00): 8 tickets, 2 complaints → 250‰ (a
  complaint at 10-02 08:00, tickets of September and provider Q's do not count);
- after window [11-16 00:00, 12-16 00:00) for the evaluation date 12-15: 10 tickets and
  1 complaint → 100‰, target 150‰ met (the complaints at 11-15 23:50 and 12-16 00:10 fall
  outside); with 2 complaints → 200‰, not met.
"""

# covers: QA-3

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from itsm.conftest import is_postgres, race
from itsm.core import links
from itsm.core.models import AuditEntry, Notification
from itsm.quality import improvement, tasks
from itsm.quality.models import ImprovementPlan

from .improvement_data import add_people, at, cause, complaints, plan, tickets

pytestmark = pytest.mark.django_db

START = at("2026-11-01 09:00")


@pytest.fixture
def iw(world):
    return add_people(world)


def history(world, *, after_complaints: int) -> None:
    """The tickets and complaints of the module's docstring."""
    tickets(world, "2026-09-20 10:00", 3)  # before the baseline window
    tickets(world, "2026-10-10 10:00", 8)
    complaints(world, "2026-10-02 08:00", 1)  # an hour before the window
    complaints(world, "2026-10-12 10:00", 2)
    tickets(world, "2026-10-15 10:00", 2, org="C")  # provider Q's
    complaints(world, "2026-10-15 10:00", 2, org="C")
    tickets(world, "2026-11-20 10:00", 10)
    complaints(world, "2026-11-15 23:50", 1)  # before the after window
    complaints(world, "2026-12-15 23:30", after_complaints)
    complaints(world, "2026-12-16 00:10", 1)  # after the evaluation date


def api(name: str, *args) -> str:
    return reverse(f"api:improvementplan-{name}", args=args)


def moment(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def implement(world, found: ImprovementPlan) -> dict:
    """Two measures (the agent's and the quality manager's), start (the baseline), the
    measures done by their owners, on to check; the API's last answer."""
    qm = world.client("qm")
    for title, owner in (("超时工单自动升级", world.agent), ("每周复盘投诉", world.users["qm"])):
        response = qm.post(api("measures", found.pk), {"title": title, "owner": owner.pk,
                                                       "due_date": "2026-11-20"},
                           format="json")
        assert response.status_code == 201, response.json()
    started = qm.post(api("transition", found.pk), {"transition": "start"}, format="json")
    assert started.status_code == 200, started.json()
    body = started.json()
    assert body["status"] == "do"
    assert body["baseline_value"] == 250.0
    assert moment(body["baseline_start"]) == at("2026-10-02 09:00")
    assert moment(body["baseline_end"]) == START
    refused = qm.post(api("transition", found.pk), {"transition": "check"}, format="json")
    assert refused.status_code == 400
    with translation.override(refused["Content-Language"]):
        assert refused.json()["non_field_errors"] == [gettext(
            "Complete every measure before the plan moves to check (or remove the ones no "
            "longer needed).")]
    mine, other = (m["id"] for m in body["measures"])
    complete = api("measure-complete", found.pk, mine)
    assert world.client("engineer").post(complete, {}, format="json").status_code == 403
    assert world.client("agent").post(complete, {"note": "已上线"},
                                      format="json").status_code == 200
    assert qm.post(api("measure-complete", found.pk, other), {},
                   format="json").status_code == 200
    checked = qm.post(api("transition", found.pk), {"transition": "check"}, format="json")
    assert checked.status_code == 200, checked.json()
    assert checked.json()["status"] == "check"
    return checked.json()


def test_a_plan_opened_from_a_complaint_records_its_effect_met(iw):
    history(iw, after_complaints=1)
    complaint = complaints(iw, "2026-09-01 10:00", 1)[0]  # outside every window
    qm = iw.client("qm")
    with time_machine.travel(START, tick=False):
        # The complaint's page offers to open a plan, prefilled from its cause.
        page = qm.get(complaint.get_absolute_url()).content.decode()
        link = re.search(r'id="action-improvement-plan-from-complaint" href="([^"]+)"',
                         page).group(1)
        assert link == f"{reverse('quality:plan-create')}?complaint={complaint.pk}"
        form = qm.get(link).content.decode()
        assert '<option value="complaint-rate" selected>' in form
        assert f'<option value="{cause().pk}" selected>' in form
        response = qm.post(link, {
            "title": "降低响应超时投诉", "source_kind": "complaint_cause",
            "source_cause": cause().pk, "indicator": "complaint-rate", "target_value": "150",
            "window_days": "30", "evaluation_date": "2026-12-15", "priority": "3",
            "owner": iw.lead.pk})
        assert response.status_code == 302, response.content.decode()[:2000]
        found = ImprovementPlan.objects.get()
        assert [i.other for i in links.linked_records(found, iw.users["qm"])] == [complaint]
        implement(iw, found)
    with time_machine.travel(at("2026-12-15 20:00"), tick=False):
        assert improvement.check_due_effects() == 0  # the evaluation date is not over
        early = iw.client("qm").post(api("check-effect", found.pk), format="json")
        assert early.status_code == 400 and "evaluation_date" in early.json()
    with time_machine.travel(at("2026-12-16 06:20"), tick=False):
        assert tasks.check_improvement_effects.call_local() == 1
    found.refresh_from_db()
    assert (found.before_value, found.after_value, found.effect_met) == (250.0, 100.0, True)
    assert (found.before_start, found.before_end) == (at("2026-10-02 09:00"), START)
    assert (found.after_start, found.after_end) == (at("2026-11-16 00:00"),
                                                   at("2026-12-16 00:00"))
    assert found.effect_checked_at == at("2026-12-16 06:20")
    # In the history: the system's change, audited as the job's, and the result.
    entry = AuditEntry.objects.filter(object_type="quality.improvementplan",
                                      object_id=str(found.pk), action="update",
                                      source="job").get()
    assert entry.actor_id is None and entry.changes["effect_met"] == [None, True]
    reasons = [e.data.get("reason", "") for e in found.timeline.all()]
    assert any(r.startswith("effect check: target met") for r in reasons)
    # The owner is told once; the job's second run changes nothing and tells nobody.
    told = Notification.objects.filter(
        record_type=ContentType.objects.get_for_model(ImprovementPlan), record_id=found.pk,
        event="improvement_update")
    assert [n.user for n in told] == [iw.lead]
    with time_machine.travel(at("2026-12-17 06:20"), tick=False):
        assert tasks.check_improvement_effects.call_local() == 0
    assert told.count() == 1
    # With the check recorded the plan moves on to act and is closed.
    qm = iw.client("qm")
    for step, values in (("act", {}), ("close", {"outcome": "纳入服务台标准流程"})):
        response = qm.post(api("transition", found.pk), {"transition": step,
                                                         "values": values}, format="json")
        assert response.status_code == 200, response.json()
    assert ImprovementPlan.objects.get().status == "closed"


def test_a_plan_opened_through_the_api_records_its_effect_not_met(iw):
    history(iw, after_complaints=2)
    complaint = complaints(iw, "2026-09-01 10:00", 1)[0]
    qm = iw.client("qm")
    with time_machine.travel(START, tick=False):
        response = qm.post(api("list"), {
            "title": "降低响应超时投诉", "source_kind": "complaint_cause",
            "source_cause": cause().pk, "indicator": "complaint-rate", "target_value": "150",
            "evaluation_date": "2026-12-15", "about": [complaint.number]}, format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["number"].startswith("SIP-") and body["status"] == "plan"
        assert body["indicator_name"] and body["direction"] == "down"
        found = ImprovementPlan.objects.get(pk=body["id"])
        implement(iw, found)
    with time_machine.travel(at("2026-12-16 06:20"), tick=False):
        assert improvement.check_due_effects() == 1
    found.refresh_from_db()
    assert (found.before_value, found.after_value, found.effect_met) == (250.0, 200.0, False)
    # Nobody owns or is assigned the plan: who opened it is told.
    assert list(Notification.objects.filter(record_id=found.pk, event="improvement_update")
                .values_list("user__username", flat=True)) == ["qm"]
    page = iw.client("qm").get(found.get_absolute_url()).content.decode()
    assert 'data-met="no"' in page and "200" in page.split('id="plan-effect"')[1][:1500]


def test_starting_needs_an_indicator_target_and_a_target_better_than_the_baseline(iw):
    history(iw, after_complaints=1)
    qm = iw.client("qm")
    with time_machine.travel(START, tick=False):
        bare = plan(iw, indicator="", source_cause=None, source_kind="other",
                    target_value=None, evaluation_date=None)
        response = qm.post(api("transition", bare.pk), {"transition": "start"},
                           format="json")
        assert response.status_code == 400
        assert {"indicator", "target_value", "evaluation_date"} <= set(response.json())
        # 300‰ is no improvement on a baseline of 250‰ where less is better.
        worse = plan(iw, target_value="300")
        response = qm.post(api("transition", worse.pk), {"transition": "start"},
                           format="json")
        assert response.status_code == 400
        assert "250" in response.json()["target_value"][0]
        worse.refresh_from_db()
        assert (worse.status, worse.baseline_value) == ("plan", None)
        # Given with the move, a better target lets it start.
        response = qm.post(api("transition", worse.pk), {
            "transition": "start", "values": {"target_value": "200"}}, format="json")
        assert response.status_code == 200 and response.json()["baseline_value"] == 250.0


def test_the_plan_page_shows_the_current_value_then_the_baseline(iw):
    history(iw, after_complaints=1)
    qm = iw.client("qm")
    with time_machine.travel(START, tick=False):
        found = plan(iw)
        page = qm.get(found.get_absolute_url()).content.decode()
        assert "250" in page.split('id="plan-current"')[1][:200]
        qm.post(api("transition", found.pk), {"transition": "start"}, format="json")
        page = qm.get(found.get_absolute_url()).content.decode()
    assert 'id="plan-current"' not in page
    assert "250" in page.split('id="plan-baseline"')[1][:200]


@pytest.mark.django_db(transaction=True)
def test_two_workers_checking_at_once_record_and_tell_once(world):
    if not is_postgres():
        pytest.skip("concurrent writers need PostgreSQL")
    add_people(world)
    with time_machine.travel(START, tick=False):
        found = plan(world, owner=world.lead, evaluation_date=dt.date(2026, 12, 15))
        ImprovementPlan.objects.filter(pk=found.pk).update(
            status="do", baseline_value=250.0, baseline_start=at("2026-10-02 09:00"),
            baseline_end=START)
    results = race(lambda: improvement.check_due_effects(at("2026-12-16 06:20")), 2)
    assert sorted(results) == [0, 1]
    assert Notification.objects.filter(record_id=found.pk, event="improvement_update",
                                       user=world.lead).count() == 1
    assert AuditEntry.objects.filter(object_type="quality.improvementplan",
                                     object_id=str(found.pk), action="update").count() == 1
