"""The quality app's home-page card: the latest evaluation of each quality target (and
of each team held to it), worst first — read from the stored evaluations, one query."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from itsm.core import access

from .choices import SEVERITY
from .dashboard import reads_all
from .models import TargetEvaluation

#: Evaluations read (newest periods first) and rows shown.
READ_ROWS, CARD_ROWS = 200, 8


def target_states(user) -> dict[str, Any] | None:
    """The latest evaluation per target and scope, worst state first; a team lead who is
    not a quality reader sees the provider-wide rows and their own teams' only. No card
    while nothing has been evaluated."""
    evaluations = (TargetEvaluation.objects.visible_to(user)
                   .filter(target__is_active=True)
                   .select_related("target", "target__team", "target__customer",
                                   "target__service", "team")
                   .order_by("-period_start", "-pk")[:READ_ROWS])
    teams = access.team_ids_of(user)
    own_only = not reads_all(user)
    latest: dict[tuple[int, str], TargetEvaluation] = {}
    for evaluation in evaluations:
        team_id = evaluation.team_id or evaluation.target.team_id
        if own_only and team_id is not None and team_id not in teams:
            continue
        latest.setdefault((evaluation.target_id, evaluation.scope_key), evaluation)
    if not latest:
        return None
    rows = sorted(latest.values(), key=lambda e: (-SEVERITY[e.state],
                                                  e.target.indicator_name, e.pk))
    return {"rows": rows[:CARD_ROWS],
            "count": len(rows), "url": reverse("quality:target-list")}

