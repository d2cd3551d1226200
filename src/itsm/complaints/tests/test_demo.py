"""The complaints' demo data loads through the service layer, once, with consistent clocks."""

from __future__ import annotations

from itsm.complaints.clocks import clocks_of
from itsm.complaints.models import Complaint, ImprovementAction
from itsm.demo import complaints as demo


def test_the_demo_complaints_load_once(world):
    people = {"requester": world.requester_a, "custadmin": world.custadmin_a,
              "requester_b": world.requester_b}
    demo.load(world.orgs["P"], people)
    assert Complaint.objects.count() == len(demo.COMPLAINTS)
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {"received", "responded", "proposed", "closed"} <= statuses
    rejected = Complaint.objects.get(title="邮件系统频繁中断")
    assert rejected.rejection_count == 1 and rejected.satisfaction_score == 4
    assert clocks_of(rejected)["response"].met is True
    assert ImprovementAction.objects.count() == 1
    demo.load(world.orgs["P"], people)
    assert Complaint.objects.count() == len(demo.COMPLAINTS)
