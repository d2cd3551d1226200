"""Quality reviews (QA-2): quarterly, half-yearly or ad hoc, over a period, with
participants and conclusions (required to conclude); the review shows the stored
target evaluations of its period (targets against actual values, their state) read in
one query, and opens improvement plans as its follow-up actions."""

# covers: QA-2, QA-3

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from itsm.core.tests.bases import RecordTypeTests
from itsm.quality import improvement
from itsm.quality import services as target_services
from itsm.quality.models import ImprovementPlan, QualityReview, TargetEvaluation

from .improvement_data import add_people, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world):
    return add_people(world)


class TestReviews(RecordTypeTests):
    model = QualityReview
    staff = "qm"
    transition = ("conclude", {"conclusions": "各项指标基本达标"})
    create_data = {"kind": "quarterly", "period_start": "2026-10-01",
                   "period_end": "2026-12-31"}

    def make(self, world, requester: str = "requester_a", **data):
        return super().make(world, requester, period_start="2026-10-01",
                            period_end="2026-12-31", **data)


def api(name: str, *args) -> str:
    return reverse(f"api:qualityreview-{name}", args=args)


def evaluations(world) -> dict[str, TargetEvaluation]:
    """Monthly evaluations of a target of P: September (outside Q4), October met,
    November critical for the desk team; and one of Q's target in October."""
    def target(provider: str, indicator: str):
        return target_services.save_target(None, actor=None, data={
            "provider": world.orgs[provider], "indicator": indicator, "period_kind": "month",
            "target": Decimal("90"), "warning": Decimal("80"), "critical": Decimal("60")})

    def row(target, month: int, value: float, state: str, team=None):
        return TargetEvaluation.objects.create(
            target=target, scope_key=f"team:{team.pk}" if team else "", team=team,
            period_start=at(f"2026-{month:02d}-01 00:00"),
            period_end=at(f"2026-{month + 1:02d}-01 00:00"), value=value, state=state,
            target_value=90, warning=80, critical=60, computed_at=timezone.now())

    ours, theirs = target("P", "sla-resolution"), target("Q", "sla-resolution")
    return {"september": row(ours, 9, 95.0, "met"), "october": row(ours, 10, 91.5, "met"),
            "november": row(ours, 11, 55.25, "critical", world.teams["desk"]),
            "other": row(theirs, 10, 12.0, "critical")}


def create(world, **data) -> dict:
    response = world.client("qm").post(api("list"), {
        "title": "2026 年第四季度质量评审", "kind": "quarterly", "period_start": "2026-10-01",
        "period_end": "2026-12-31", "participants": [world.users["qm"].pk, world.lead.pk],
        **data}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_review_is_created_and_concluded_only_with_conclusions(world):
    body = create(world)
    assert body["number"].startswith("QRV-") and body["status"] == "draft"
    assert sorted(body["participants"]) == sorted([world.users["qm"].pk, world.lead.pk])
    qm = world.client("qm")
    refused = qm.post(api("transition", body["id"]), {"transition": "conclude"},
                      format="json")
    assert refused.status_code == 400 and refused.json()["conclusions"]
    concluded = qm.post(api("transition", body["id"]), {
        "transition": "conclude", "values": {"conclusions": "响应时效达标，解决率需改进"}},
        format="json")
    assert concluded.status_code == 200 and concluded.json()["status"] == "concluded"
    assert concluded.json()["concluded_at"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"period_start": None}, "period_start"),
    ({"period_end": "2026-09-01"}, "period_end"),
    ({"participants": ["requester"]}, "participants"),
])
def test_bad_reviews_are_400_with_a_field_message(world, changes, field):
    if changes.get("participants"):
        changes = {"participants": [world.requester_a.pk]}
    response = world.client("qm").post(api("list"), {
        "title": "评审", "kind": "ad_hoc", "period_start": "2026-10-01",
        "period_end": "2026-12-31", **changes}, format="json")
    assert response.status_code == 400 and response.json()[field], response.json()
    assert not QualityReview.objects.exists()


def test_an_agent_may_not_hold_a_review(world):
    response = world.client("agent").post(api("list"), {
        "title": "评审", "period_start": "2026-10-01", "period_end": "2026-12-31"},
        format="json")
    assert response.status_code == 403


def test_the_review_shows_its_periods_target_evaluations(world, django_assert_num_queries):
    rows = evaluations(world)
    review = QualityReview.objects.select_related("organization").get(pk=create(world)["id"])
    with django_assert_num_queries(1):
        found = improvement.review_evaluations(review)
    assert [e.pk for e in found] == [rows["october"].pk, rows["november"].pk]
    response = world.client("agent").get(api("evaluations", review.pk))
    assert [(r["period_start"][:10], r["value"], r["state"]) for r in response.json()] == [
        ("2026-10-01", 91.5, "met"), ("2026-11-01", 55.25, "critical")]
    page = world.client("qm").get(review.get_absolute_url()).content.decode()
    table = page.split('id="review-evaluations"')[1].split("</table>")[0]
    assert table.count('class="review-evaluation"') == 2
    assert "55.25" in table and "91.5" in table and "95" not in table
    assert 'data-state="critical"' in table and "一线服务台" in table
    # Its follow-up actions are improvement plans opened from it.
    link = page.split('id="review-open-plan" href="')[1].split('"')[0]
    assert link == f"{reverse('quality:plan-create')}?review={review.pk}"
    response = world.client("qm").post(link, {
        "title": "提升解决率", "source_kind": "quality_review", "source_review": review.pk,
        "priority": "3", "window_days": "30"})
    assert response.status_code == 302
    plan = ImprovementPlan.objects.get()
    assert plan.source_review == review
    page = world.client("qm").get(review.get_absolute_url()).content.decode()
    assert plan.number in page.split('id="review-follow-ups"')[1][:1500]
    assert world.client("qm").get(api("detail", review.pk)).json()["plans"] == [plan.pk]


def test_customers_and_another_provider_never_see_a_review(world):
    review = QualityReview.objects.get(pk=create(world)["id"])
    for identity in ("requester_a", "custadmin_a", "agent_q"):
        client = world.client(identity)
        assert client.get(api("detail", review.pk)).status_code == 404
        assert client.get(api("evaluations", review.pk)).status_code == 404
        assert client.get(review.get_absolute_url()).status_code == 404
