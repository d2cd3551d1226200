"""Change management's reactions to the core write path (imported by
``ChangesConfig.ready``; ``core.reactions`` declares the order of the steps): what follows
a change's transitions — approval rounds, standard pre-approval and the retrospective
review of emergency changes."""

from __future__ import annotations

from itsm.core import services as core_services
from itsm.core import signals
from itsm.core.reactions import reaction

from . import approvals
from .choices import ChangeType
from .models import Change


@reaction(signals.record_transitioned, "approvals", sender=Change)
def follow_transition(sender, record: Change, actor, transition: str, **kwargs) -> None:
    if transition == "submit" and record.change_type == ChangeType.STANDARD:
        # A standard change follows a pre-approved template: no assessment, no votes.
        core_services.transition_record(record, "approve", actor=actor, on_decision=True)
    elif transition == "assess":
        approvals.open_round(record, actor=actor)
    elif transition in {"complete", "back_out"} and record.is_emergency:
        approvals.open_retrospective(record, actor=actor)
    elif transition == "cancel":
        approvals.cancel_pending(record)
