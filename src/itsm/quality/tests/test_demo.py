"""The quality demo data: targets through the service layer, evaluated for the last
months (once), so the dashboard shows lights; loading twice adds nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from itsm.demo import quality as demo
from itsm.quality.models import (
    ImprovementPlan,
    ImprovementSuggestion,
    QualityReview,
    QualityTarget,
    TargetEvaluation,
)

from .test_targets import at, qw, resolved  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_demo_targets_load_once_and_fill_the_dashboard(qw, time_machine):  # noqa: F811
    time_machine.move_to("2026-12-07 10:00+08:00")
    resolved(qw, "desk", 11, True)
    resolved(qw, "desk", 11, False)
    people = {"quality": qw.users["qm"], "lead": qw.lead, "engineer": qw.users["engineer"],
              "agent": qw.users["agent"], "management": qw.users["lead"]}
    demo.load(qw.orgs["P"], people)
    assert QualityTarget.objects.count() == len(demo.TARGETS) - 1  # no team 二线技术支持
    november = TargetEvaluation.objects.filter(target__indicator="sla-resolution",
                                               target__period_kind="month", scope_key="",
                                               period_start=at(2026, 11, 1, 0))
    assert [(e.value, e.state) for e in november] == [(50.0, "critical")]
    evaluations = TargetEvaluation.objects.count()
    assert evaluations >= demo.MONTHS * 5
    plan = ImprovementPlan.objects.get()  # no complaints here: no baseline, not started
    assert (plan.status, plan.indicator) == ("plan", "complaint-rate")
    assert plan.measures.filter(done_at__isnull=False).count() == 1
    assert ImprovementSuggestion.objects.count() == 1
    assert QualityReview.objects.get().status == "concluded"
    demo.load(qw.orgs["P"], people)
    assert TargetEvaluation.objects.count() == evaluations
    assert ImprovementPlan.objects.count() == 1
    response = qw.client("qm").get(reverse("quality:dashboard"))
    assert response.status_code == 200 and "state-critical" in response.content.decode()
