"""Improvement plans in the API (QA-3): the record-type base (CRUD, a transition,
filters, export, query counts, scope), field messages for bad input, who may open and
manage plans (quality managers, management, team leads, administrators) and who only
reads them (other staff), measures completed by their owner, the effect check on
demand; customers and another provider's staff never see a plan."""

# covers: QA-3, GEN-ACCESS

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from itsm.core.tests.bases import RecordTypeTests
from itsm.quality.api.improvement import ImprovementPlanViewSet
from itsm.quality.improvement_filtersets import ImprovementPlanFilterSet
from itsm.quality.improvement_views import PLAN_VIEWS
from itsm.quality.models import ImprovementMeasure, ImprovementPlan

from .improvement_data import add_people, at, cause, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    """The ``world`` with the improvement people (``qm``, ``boss``, ``qm_q``)."""
    return add_people(world)


class TestImprovementPlans(RecordTypeTests):
    model = ImprovementPlan
    staff = "qm"
    transition = ("cancel", {})
    create_data = {"source_kind": "other", "root_cause": "交接不清"}


def api(name: str, *args) -> str:
    return reverse(f"api:improvementplan-{name}", args=args)


def body(**data) -> dict:
    return {"title": "降低投诉率", "source_kind": "complaint_cause",
            "source_cause": cause().pk, "indicator": "complaint-rate", "target_value": "2.5",
            "evaluation_date": "2030-01-31", **data}


@pytest.mark.parametrize(("changes", "field"), [
    ({"indicator": "no-such-indicator"}, "indicator"),
    ({"target_value": None}, "target_value"),
    ({"target_value": "abc"}, "target_value"),
    ({"evaluation_date": "2020-01-01"}, "evaluation_date"),
    ({"indicator": "sla-resolution", "target_value": "120"}, "target_value"),  # a percentage
    ({"scope_team": "team"}, "scope_team"),  # the complaint rate is not split by team
    ({"source_problem": "problem"}, "source_problem"),  # not the source chosen
    ({"indicator": "", "target_value": "3"}, "target_value"),  # no indicator to reach
])
def test_bad_input_is_400_with_a_field_message(world, changes, field):
    from itsm.core import services
    from itsm.problems.models import Problem

    values = {"team": world.teams["desk"].pk}
    if "source_problem" in changes:
        values["problem"] = services.create_record(Problem, actor=world.agent, data={
            "organization": world.orgs["A"], "requester": world.requester_a,
            "title": "反复超时"}).pk
    changes = {k: values.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    response = world.client("qm").post(api("list"), body(**changes), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json() and response.json()[field][0]
    assert not ImprovementPlan.objects.exists()


def test_an_agent_reads_plans_but_may_not_open_or_move_them(world):
    found = plan(world)
    agent = world.client("agent")
    assert agent.post(api("list"), body(), format="json").status_code == 403
    assert agent.get(api("detail", found.pk)).json()["number"] == found.number
    assert [r["number"] for r in agent.get(api("list")).json()["results"]] == [found.number]
    assert agent.patch(api("detail", found.pk), {"title": "改"},
                       format="json").status_code == 403
    assert agent.post(api("transition", found.pk), {"transition": "cancel",
                                                    "comment": "不需要"},
                      format="json").status_code == 403
    assert agent.post(api("measures", found.pk), {"title": "x", "owner": world.agent.pk},
                      format="json").status_code == 403
    assert world.client("agent").get(reverse("quality:plan-create")).status_code == 403
    for manager in ("boss", "lead", "admin"):
        response = world.client(manager).post(api("list"), body(), format="json")
        assert response.status_code == 201, (manager, response.json())


def test_customers_and_another_provider_never_see_a_plan(world):
    found = plan(world)
    for identity in ("requester_a", "custadmin_a", "agent_q", "qm_q"):
        client = world.client(identity)
        assert client.get(api("detail", found.pk)).status_code == 404, identity
        assert client.get(api("measures", found.pk)).status_code == 404, identity
        assert client.get(api("list")).json()["results"] == [], identity
        assert client.get(found.get_absolute_url()).status_code == 404, identity
    # Nor can a customer open one: the list page and the form are not theirs.
    assert world.client("requester_a").post(api("list"), body(),
                                            format="json").status_code == 403
    assert "quality:plan-list" not in world.client("requester_a").get("/").content.decode()


def test_the_system_writes_the_baseline_and_the_effect_not_the_api(world):
    found = plan(world)
    response = world.client("qm").patch(api("detail", found.pk), {
        "baseline_value": 1, "effect_met": True, "title": "改过"}, format="json")
    assert response.status_code == 200
    found.refresh_from_db()
    assert (found.title, found.baseline_value, found.effect_met) == ("改过", None, None)


def test_measures_are_completed_by_their_owner_or_a_plan_manager(world):
    found = plan(world)
    qm = world.client("qm")
    created = qm.post(api("measures", found.pk), {"title": "超时自动升级",
                                                  "owner": world.engineer.pk,
                                                  "due_date": "2030-01-10"}, format="json")
    assert created.status_code == 201, created.json()
    measure = created.json()
    assert measure["owner_name"] == "engineer" and measure["done_at"] is None
    # A customer is no owner: a field error.
    response = qm.post(api("measures", found.pk), {"title": "x",
                                                   "owner": world.requester_a.pk},
                       format="json")
    assert response.status_code == 400 and "owner" in response.json()
    detail = api("measure-detail", found.pk, measure["id"])
    assert qm.patch(detail, {"due_date": "2030-01-20"}, format="json").json()[
        "due_date"] == "2030-01-20"
    complete = api("measure-complete", found.pk, measure["id"])
    assert world.client("agent").post(complete, {}, format="json").status_code == 403
    assert world.client("auditor").post(complete, {}, format="json").status_code == 403
    done = world.client("engineer").post(complete, {"note": "已配置"}, format="json")
    assert done.status_code == 200 and done.json()["done_at"] and done.json()["note"] == "已配置"
    assert world.client("engineer").post(complete, {}, format="json").status_code == 409
    # Another plan's measure, or none, is a 404.
    other = plan(world)
    assert qm.post(api("measure-complete", other.pk, measure["id"]), {},
                   format="json").status_code == 404
    # The owner finds it in their inbox until it is done.
    second = ImprovementMeasure.objects.create(plan=found, title="复盘", owner=world.engineer)
    inbox = world.client("engineer").get(reverse("api:me-inbox")).json()
    section = next(s for s in inbox if s["key"] == "improvement-measures")
    assert [i["title"] for i in section["items"]] == [second.title]
    assert qm.delete(api("measure-detail", found.pk, second.pk)).status_code == 204
    assert list(found.measures.values_list("title", flat=True)) == ["超时自动升级"]


def test_measures_are_planned_in_plan_and_do_only(world):
    found = plan(world)
    qm = world.client("qm")
    qm.post(api("transition", found.pk), {"transition": "cancel", "comment": "合并"},
            format="json")
    response = qm.post(api("measures", found.pk), {"title": "x", "owner": world.agent.pk},
                       format="json")
    assert response.status_code == 409


def test_the_effect_is_checked_on_demand_once_the_evaluation_date_is_over(world):
    with time_machine.travel(at("2026-11-01 09:00"), tick=False):
        found = plan(world, evaluation_date=dt.date(2026, 11, 30))
        qm = world.client("qm")
        assert qm.post(api("check-effect", found.pk)).status_code == 409  # no baseline
        qm.post(api("transition", found.pk), {"transition": "start"}, format="json")
        assert qm.post(api("check-effect", found.pk)).status_code == 400
    with time_machine.travel(at("2026-12-01 00:30"), tick=False):
        assert world.client("agent").post(api("check-effect", found.pk)).status_code == 403
        response = world.client("qm").post(api("check-effect", found.pk))
        assert response.status_code == 200, response.json()
        assert response.json()["effect_checked_at"] and response.json()["effect_met"] is None
        # Checked on demand, the job leaves it alone.
        from itsm.quality import improvement

        assert improvement.check_due_effects() == 0


def test_plans_filter_by_source_indicator_and_evaluation_date(world):
    first = plan(world, evaluation_date=dt.date(2030, 1, 31))
    plan(world, source_kind="other", source_cause=None, indicator="sla-resolution",
         target_value="95", evaluation_date=dt.date(2030, 6, 30))
    client = world.client("agent")

    def numbers(**query) -> list[str]:
        response = client.get(api("list"), query)
        assert response.status_code == 200, response.json()
        return [r["number"] for r in response.json()["results"]]

    assert numbers(source_kind="complaint_cause") == [first.number]
    assert numbers(indicator="complaint-rate") == [first.number]
    assert numbers(evaluation_before="2030-02-01") == [first.number]
    assert numbers(source_cause=cause().pk) == [first.number]
    assert client.get(api("list"), {"source_kind": "nope"}).status_code == 400


def test_every_field_has_a_filter_or_is_exempt():
    filters = set(ImprovementPlanFilterSet.base_filters) | {"status", "number"}
    fields = {f.name for f in ImprovementPlan._meta.concrete_fields}
    missing = fields - filters - set(ImprovementPlanFilterSet.unfiltered_fields)
    assert missing == set()
    assert ImprovementPlanViewSet.filterset_class is PLAN_VIEWS["list"].filterset_class


def test_evaluation_date_today_is_accepted(world):
    today = timezone.localdate().isoformat()
    response = world.client("qm").post(api("list"), body(evaluation_date=today),
                                       format="json")
    assert response.status_code == 201, response.json()
