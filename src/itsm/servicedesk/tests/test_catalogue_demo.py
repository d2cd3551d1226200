"""The catalogue demo: request types of the demo services with their fields, approvals
and tasks, the customer's department heads, and two requests of a type; once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from itsm.catalog.models import BusinessCalendar, RequestType, Service
from itsm.core.models import Department
from itsm.demo import catalogue as demo
from itsm.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db


def test_the_demo_catalogue_loads_once(world):
    provider, customer = world.orgs["P"], world.orgs["A"]
    calendar = BusinessCalendar.objects.create(name="demo 7x24", always_on=True)
    for code in ("desktop", "network"):
        Service.objects.create(provider=provider, code=code, name=code,
                               calendar=calendar).customers.add(customer)
    Department.objects.create(organization=customer, name="财务部")
    for username in ("requester_a", "custadmin_a"):
        profile = world.users[username].profile
        profile.department = Department.objects.get(name="财务部")
        profile.save()
    people = {"requester": world.requester_a, "custadmin": world.custadmin_a,
              "agent": world.agent}
    assert world.teams["desk"].name == "一线服务台"  # the agent's team does the tasks

    demo.load(provider, people)
    demo.load(provider, people)  # once

    assert RequestType.objects.count() == len(demo.TYPES["desktop"]) + 1
    laptop = RequestType.objects.get(name="笔记本电脑申领")
    assert laptop.fields.count() == 4 and laptop.approval_steps.count() == 1
    waiting, installed = ServiceRequest.objects.order_by("pk")
    assert waiting.status == "pending_approval"
    assert list(waiting.approvals.get().approvers.all()) == [world.custadmin_a]
    assert installed.status == "resolved"
    page = world.client("requester_a").get(reverse("servicedesk:portal")).content.decode()
    assert "笔记本电脑申领" in page and "VPN 账号开通" in page
    inbox = world.client("custadmin_a").get(reverse("inbox")).content.decode()
    assert "新同事入职笔记本" in inbox
