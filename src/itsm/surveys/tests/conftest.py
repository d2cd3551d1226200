"""The survey world: on top of ``world``, a quality manager of P, a department per
customer of P, 15 more customer people (A: 11 people in all, B: 9 — 20 recipients) and
a draft campaign of the default questionnaire to A and B."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from itsm.core import directory
from itsm.core.choices import Role
from itsm.core.models import Department, Notification
from itsm.surveys import defaults, services
from itsm.surveys.models import Campaign, Question


@dataclass
class SurveyWorld:
    world: Any
    campaign: Campaign
    questions: dict[str, Question]

    def tokens(self) -> dict[str, str]:
        """username → the token of the link in their invitation email."""
        found = {}
        for n in Notification.objects.filter(event="satisfaction_request",
                                             user__isnull=False).select_related("user"):
            match = re.search(r"/surveys/answer/([^/\s]+)/", n.body)
            if match:
                found[n.user.username] = match.group(1)
        return found

    def answers(self, **scores: Any) -> dict[str, Any]:
        """Answer values by dimension code (``cost="na"``) → question id → value."""
        return {str(self.questions[dim].pk): value for dim, value in scores.items()}


def add_person(world, username: str, org: str, roles=(Role.REQUESTER,), department=None,
               language: str = "zh-hans"):
    world.users[username] = directory.create_person(actor=None, data={
        "username": username, "first_name": username[-2:], "last_name": "张",
        "email": f"{username}@example.cn", "password": "x" * 12, "roles": list(roles),
        "profile": {"organization": world.orgs[org], "department": department,
                    "language": language}})
    return world.users[username]


@pytest.fixture
def sw(world) -> SurveyWorld:
    add_person(world, "quality", "P", roles=(Role.QUALITY_MANAGER,))
    departments = {code: directory.create_object(Department, actor=None, data={
        "organization": world.orgs[code], "name": f"财务部 {code}"}) for code in ("A", "B")}
    for n in range(8):
        add_person(world, f"extra_a{n}", "A", department=departments["A"])
    for n in range(7):
        add_person(world, f"extra_b{n}", "B", department=departments["B"])
    questionnaire = defaults.default_questionnaire()
    campaign = services.save_campaign(None, actor=world.users["quality"], data={
        "name": "2026年下半年满意度调查", "questionnaire": questionnaire,
        "period_start": dt.date(2026, 7, 1), "period_end": dt.date(2026, 12, 31),
        "closes_at": timezone.now() + dt.timedelta(days=14), "channels": ["email"],
        "organizations": [world.orgs["A"], world.orgs["B"]]})
    questions = {q.dimension or q.kind: q for q in services.questions_of(questionnaire)}
    world.departments = departments
    return SurveyWorld(world=world, campaign=campaign, questions=questions)
