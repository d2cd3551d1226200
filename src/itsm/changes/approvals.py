"""Tiered approval of changes (CHG-3): rounds of stages, votes, quorum and majority.

Assessing a change opens an approval round: the stages its scale needs
(``ITSM_CHANGE_APPROVAL_TIERS``; an emergency change needs only its emergency
approver), opened one after the other. A single approver (department head, senior
management, emergency approver) decides with the first approve or reject; a board
(CAB, retrospective review) decides once its quorum has voted and the majority of
approve over reject votes can no longer change. The last approved stage approves the
change; a rejected stage returns it to the requester (draft) and cancels the rest of
the round. Every vote is audited and on the change's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core import access, audit
from itsm.core import services as core_services
from itsm.core.choices import AuditAction, NotificationEvent, Role, TimelineKind
from itsm.servicedesk import notify

from .choices import BOARD_STAGES, ApprovalStatus, ChangeStatus, ChangeType, Stage, VoteDecision
from .models import Approval, Change, ChangeBoard, Vote
from .services import chairs_or_manages

User = get_user_model()


def board_for(change: Change) -> ChangeBoard | None:
    """The change's board, else its provider's default active board."""
    if change.board_id:
        return change.board
    return ChangeBoard.objects.filter(provider_id=change.provider_id,
                                      is_default=True, is_active=True).first()


def stages_for(change: Change) -> list[str]:
    if change.change_type == ChangeType.EMERGENCY:
        return [Stage.EMERGENCY]
    return list(settings.ITSM_CHANGE_APPROVAL_TIERS[change.scale])


def _department_head(change: Change):
    department = getattr(getattr(change.requester, "profile", None), "department", None)
    while department is not None:
        if department.head_id and department.head.is_active:
            return department.head
        department = department.parent
    return None


def approvers_for(change: Change, stage: str, board: ChangeBoard | None) -> list:
    """Who votes on ``stage`` of ``change``; a ValidationError names what is missing."""
    provider_id = change.provider_id
    if stage == Stage.DEPARTMENT_HEAD:
        head = _department_head(change)
        if head is None:
            raise ValidationError({"scale": _(
                "The requester's department has no head to approve an ordinary change. "
                "An administrator can set one, or choose a larger scale.")})
        return [head]
    if stage in BOARD_STAGES:
        members = list(board.members.filter(is_active=True)) if board else []
        if not members:
            raise ValidationError({"board": _(
                "No change board with members reviews this change. An administrator can "
                "set up the provider's default board.")})
        return members
    if stage == Stage.SENIOR_MANAGEMENT:
        people = notify.management_of(change)
        if not people:
            raise ValidationError({"scale": _("Nobody of senior management can approve "
                                              "this change.")})
        return people
    # Emergency: the board's emergency approvers, else the provider's change managers.
    people = list(board.emergency_approvers.filter(is_active=True)) if board else []
    if not people:
        people = list(User.objects.filter(
            is_active=True, profile__organization_id=provider_id,
            groups__name=Role.CHANGE_MANAGER).distinct())
    if not people:
        raise ValidationError({"board": _("No emergency approver is set up.")})
    return people


def _open(approval: Approval, *, actor) -> None:
    change = approval.change
    board = approval.board
    people = approvers_for(change, approval.stage, board)
    approval.approvers.set(people)
    approval.quorum = (min(board.effective_quorum(len(people)), len(people))
                       if approval.stage in BOARD_STAGES else 1)
    approval.opened_at = timezone.now()
    approval.save(update_fields=["quorum", "opened_at"])
    core_services.add_timeline_event(change, TimelineKind.UPDATED, actor=actor,
                                     approval_opened=approval.stage, round=approval.round)
    audit.log(action=AuditAction.UPDATE, instance=change, actor=actor,
              changes={"approval": [None, f"{approval.stage} #{approval.round}"],
                       "approvers": [None, sorted(p.get_username() for p in people)]})
    stage_label = Stage(approval.stage).label
    notify.tell(NotificationEvent.APPROVAL_REQUESTED, change, people, actor,
                lambda: (_("Approval requested: %(stage)s") % {"stage": stage_label},
                         _("Please review and vote on this change.")),
                dedupe=f"approval:{approval.pk}")


def open_round(change: Change, *, actor, stages: list[str] | None = None) -> list[Approval]:
    """Create the approval steps of a new round and open the first one."""
    stages = stages or stages_for(change)
    board = board_for(change)
    last = change.approvals.aggregate(n=Max("round"))["n"] or 0
    cancel_pending(change, keep_stage=Stage.RETROSPECTIVE)
    steps = [Approval.objects.create(change=change, round=last + 1, position=i, stage=stage,
                                     board=board if stage in BOARD_STAGES else None)
             for i, stage in enumerate(stages)]
    _open(steps[0], actor=actor)
    return steps


def open_retrospective(change: Change, *, actor) -> Approval:
    """An emergency change, once implemented, is reviewed by the board after the fact."""
    last = change.approvals.aggregate(n=Max("round"))["n"] or 0
    step = Approval.objects.create(change=change, round=last + 1, position=0,
                                   stage=Stage.RETROSPECTIVE, board=board_for(change))
    _open(step, actor=actor)
    return step


def cancel_pending(change: Change, *, keep_stage: str | None = None) -> None:
    pending = change.approvals.filter(status=ApprovalStatus.PENDING)
    if keep_stage:
        pending = pending.exclude(stage=keep_stage)
    pending.update(status=ApprovalStatus.CANCELLED, decided_at=timezone.now())


def current_approval(change: Change) -> Approval | None:
    """The open step that waits for votes, if any."""
    return (change.approvals.filter(status=ApprovalStatus.PENDING, opened_at__isnull=False)
            .order_by("round", "position").first())


@dataclass(frozen=True)
class Tally:
    approve: int
    reject: int
    abstain: int
    eligible: int
    quorum: int

    @property
    def cast(self) -> int:
        return self.approve + self.reject + self.abstain

    @property
    def remaining(self) -> int:
        return max(self.eligible - self.cast, 0)

    def outcome(self, *, final: bool = False) -> str | None:
        """APPROVED / REJECTED once decided, else None. ``final``: voting is closed,
        decide on the votes cast (the quorum must still be met)."""
        if self.cast < self.quorum:
            return None
        if self.approve > self.reject + (0 if final else self.remaining):
            return ApprovalStatus.APPROVED
        if final or self.approve + self.remaining <= self.reject:
            return ApprovalStatus.REJECTED
        return None


def tally(approval: Approval) -> Tally:
    """The votes of a step (uses prefetched ``votes`` and ``approvers`` when there)."""
    counts = {d: 0 for d in VoteDecision.values}
    for vote in approval.votes.all():
        counts[vote.decision] += 1
    return Tally(approve=counts[VoteDecision.APPROVE], reject=counts[VoteDecision.REJECT],
                 abstain=counts[VoteDecision.ABSTAIN], eligible=len(approval.approvers.all()),
                 quorum=approval.quorum)


def may_vote(user, approval: Approval) -> bool:
    return (approval.is_open and user is not None and access.is_staff_writer(user)
            and any(p.pk == user.pk for p in approval.approvers.all())
            and not any(v.voter_id == user.pk for v in approval.votes.all()))


NO_VOTE = gettext_lazy("You are not an approver of this step, or you have voted already.")


@transaction.atomic
def cast_vote(approval: Approval, *, voter, decision: str, comment: str = "") -> Vote:
    """``voter`` approves, rejects or abstains; a rejection needs a reason."""
    change = Change.objects.select_for_update().get(pk=approval.change_id)
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    if decision not in VoteDecision.values:
        raise ValidationError({"decision": _("Choose approve, reject or abstain.")})
    comment = (comment or "").strip()
    if decision == VoteDecision.REJECT and not comment:
        raise ValidationError({"comment": _("Please give a reason for rejecting.")})
    if not approval.is_open:
        raise core_services.WorkflowError(_("This approval step is not open for votes."))
    if not may_vote(voter, approval):
        raise PermissionDenied(str(NO_VOTE))
    vote = Vote.objects.create(approval=approval, voter=voter, decision=decision,
                               comment=comment)
    audit.log(action=AuditAction.CREATE, instance=vote, actor=voter,
              changes={"change": change.number, "stage": approval.stage,
                       "round": approval.round, "decision": decision, "comment": comment},
              organization_id=change.organization_id)
    core_services.add_timeline_event(change, TimelineKind.UPDATED, actor=voter,
                                     vote=decision, stage=approval.stage,
                                     round=approval.round, reason=comment)
    _settle(change, approval, tally(approval).outcome(), actor=voter)
    return vote


@transaction.atomic
def close_voting(approval: Approval, *, actor) -> str:
    """The chair or a change manager closes a board's voting once the quorum has voted;
    the votes cast decide."""
    change = Change.objects.select_for_update().get(pk=approval.change_id)
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    if not chairs_or_manages(actor, approval.board):
        raise PermissionDenied(_("Only the chair or a change manager may close the voting."))
    if not approval.is_open or approval.stage not in BOARD_STAGES:
        raise core_services.WorkflowError(_("This approval step is not open for votes."))
    counts = tally(approval)
    outcome = counts.outcome(final=True)
    if outcome is None:
        raise ValidationError({"quorum": _("%(cast)d of the %(quorum)d votes needed for a "
                                           "quorum have been cast.")
                               % {"cast": counts.cast, "quorum": counts.quorum}})
    _settle(change, approval, outcome, actor=actor)
    return outcome


def _settle(change: Change, approval: Approval, outcome: str | None, *, actor) -> None:
    """Record a decided step and move the change on."""
    if outcome is None:
        return
    approval.status, approval.decided_at = outcome, timezone.now()
    approval.save(update_fields=["status", "decided_at"])
    audit.log(action=AuditAction.UPDATE, instance=change, actor=actor,
              changes={"approval": [f"{approval.stage} #{approval.round}", outcome]})
    core_services.add_timeline_event(change, TimelineKind.UPDATED, actor=actor,
                                     approval_decided=approval.stage, round=approval.round,
                                     outcome=outcome)
    stage_label = Stage(approval.stage).label
    outcome_label = ApprovalStatus(outcome).label
    notify.tell(NotificationEvent.APPROVAL_DECIDED, change,
                [change.requester, change.owner, change.assignee], actor,
                lambda: (_("%(stage)s: %(outcome)s") % {"stage": stage_label,
                                                        "outcome": outcome_label},
                         _("The approval step “%(stage)s” was decided: %(outcome)s.")
                         % {"stage": stage_label, "outcome": outcome_label}),
                dedupe=f"approval-decided:{approval.pk}")
    if approval.stage == Stage.RETROSPECTIVE:
        return  # after the fact: recorded, the change goes on to its review
    if outcome == ApprovalStatus.REJECTED:
        cancel_pending(change)
        core_services.transition_record(change, "reject", actor=actor, on_decision=True)
        return
    following = (change.approvals.filter(round=approval.round, position__gt=approval.position,
                                         status=ApprovalStatus.PENDING)
                 .order_by("position").first())
    if following is not None:
        _open(following, actor=actor)
    elif change.status == ChangeStatus.APPROVAL:
        core_services.transition_record(change, "approve", actor=actor, on_decision=True)
