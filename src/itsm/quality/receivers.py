"""The reactions of continual improvement to the record write path (``core.reactions``
orders them).

- ``record_transitioned``, ``approvals`` (what the application does in consequence of a
  move): an improvement plan entering "do" gets its baseline; an adopted suggestion
  becomes an improvement plan.
- ``record_transitioned``, ``notifications``: the submitter of a suggestion hears of the
  decision.
"""

from __future__ import annotations

from itsm.core import signals
from itsm.core.reactions import reaction

from . import improvement
from .models import ImprovementPlan, ImprovementSuggestion


@reaction(signals.record_transitioned, "approvals", sender=ImprovementPlan)
def baseline_on_start(sender, record, actor=None, transition="", **kwargs) -> None:
    if transition == "start":
        improvement.capture_baseline(record)


@reaction(signals.record_transitioned, "approvals", sender=ImprovementSuggestion)
def plan_on_adoption(sender, record, actor=None, transition="", **kwargs) -> None:
    if transition == "adopt":
        improvement.plan_from_suggestion(record, actor)


@reaction(signals.record_transitioned, "notifications", sender=ImprovementSuggestion)
def tell_of_the_decision(sender, record, actor=None, transition="", **kwargs) -> None:
    if transition in ("adopt", "decline"):
        improvement.tell_submitter(record, actor)
