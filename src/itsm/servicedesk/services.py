"""Service desk write paths on top of ``core.services``.

- Automatic assignment (REQ-3): a new ticket without a team or assignee goes to the
  owner team of its service, and within the team to one active member, chosen by the
  ``ITSM_ASSIGNMENT_STRATEGY`` setting (``least_loaded``, ``round_robin`` or ``off``).
  Every choice is derived from the database (open tickets, latest assignments), never
  from process memory, so any number of web and job processes agree.
- Merging duplicates (INC-3): the duplicate is cancelled through the workflow, marked
  ``merged_into`` the target and linked to it (``duplicate_of``).
- Links between records of any types (related, caused by, …).

Each function is atomic, checks the actor's permission (``None`` is the system),
writes audit entries and timeline events, and goes through the core write path for
status changes so that the workflow, SLA clocks and notifications follow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from itsm.core import audit, services
from itsm.core import rules as perms
from itsm.core.choices import STAFF_WRITER_ROLES, AuditAction, LinkKind, TimelineKind
from itsm.core.exceptions import WorkflowError
from itsm.core.links import link_exists, link_records, require_staff_writer
from itsm.core.models import Team

from .choices import NOT_IN_QUEUE
from .models import Incident, ServiceRequest, Ticket

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# --- Automatic assignment (REQ-3) -------------------------------------------------------

LEAST_LOADED = "least_loaded"
ROUND_ROBIN = "round_robin"
OFF = "off"
ASSIGNMENT_STRATEGIES = (LEAST_LOADED, ROUND_ROBIN, OFF)
#: The rule that picked the team (recorded in the timeline; the only one so far).
RULE_SERVICE_OWNER_TEAM = "service_owner_team"
#: Ticket types whose open tickets make up a person's load.
TICKET_TYPES: tuple[type[Ticket], ...] = (ServiceRequest, Incident)
#: Timeline reasons, stored untranslated and translated when shown (``describe_event``).
REASONS = {
    LEAST_LOADED: gettext_noop("assigned automatically to the member of %(team)s with the "
                               "fewest open tickets (owner team of %(service)s)"),
    ROUND_ROBIN: gettext_noop("assigned automatically in turn among the members of "
                              "%(team)s (owner team of %(service)s)"),
    "no_member": gettext_noop("not assigned automatically: %(team)s (owner team of "
                              "%(service)s) has no active member"),
}


def assignment_strategy() -> str:
    """The configured strategy; an unknown value is a configuration error."""
    strategy = getattr(settings, "ITSM_ASSIGNMENT_STRATEGY", LEAST_LOADED) or LEAST_LOADED
    if strategy not in ASSIGNMENT_STRATEGIES:
        raise ValueError(f"ITSM_ASSIGNMENT_STRATEGY must be one of {ASSIGNMENT_STRATEGIES}, "
                         f"not {strategy!r}")
    return strategy


@dataclass(frozen=True)
class AssignmentPlan:
    """What the rules chose for one ticket; ``assignee`` is None if nobody qualifies."""

    team: Team
    assignee: User | None
    strategy: str
    rule: str = RULE_SERVICE_OWNER_TEAM


def team_for(ticket: Ticket) -> Team | None:
    """The team the rules route ``ticket`` to: its service's owner team, if that team
    belongs to the ticket's provider; else none (no automatic assignment)."""
    service = ticket.service
    team = service.owner_team if service is not None else None
    if team is None:
        return None
    org = ticket.organization
    provider_id = org.pk if org.provider_id is None else org.provider_id
    return team if team.organization_id == provider_id else None


def eligible_members(team: Team) -> list[User]:
    """Active members of the team who are writing staff of its provider, by id."""
    writers = Q(groups__name__in=STAFF_WRITER_ROLES) | Q(is_superuser=True)
    # With their profiles: who is who and their language are read from them next.
    return list(team.members.filter(writers, is_active=True,
                                    profile__organization_id=team.organization_id)
                .select_related("profile__organization").distinct().order_by("pk"))


def open_ticket_counts(user_ids: list[int]) -> dict[int, int]:
    """Open (not resolved, closed or cancelled) tickets assigned to each person: one
    query over the ticket types, each served by its partial index of open tickets per
    assignee."""
    counts = dict.fromkeys(user_ids, 0)
    for pk, n in _union(model.objects.filter(assignee_id__in=user_ids)
                        .exclude(status__in=NOT_IN_QUEUE).order_by()
                        .values("assignee_id").annotate(n=Count("id"))
                        .values_list("assignee_id", "n") for model in TICKET_TYPES):
        counts[pk] += n
    return counts


def last_assignments(team: Team, user_ids: list[int]) -> dict[int, Any]:
    """When each person's most recent ticket of this team was raised (None: never): one
    query, one index descent per person and ticket type, however many tickets the team
    has had."""
    latest: dict[int, Any] = dict.fromkeys(user_ids)
    people = get_user_model().objects.filter(pk__in=user_ids).order_by()
    for pk, last in _union(people.values_list("pk", Subquery(
            model.objects.filter(assignee_team=team, assignee=OuterRef("pk"))
            .order_by("-created_at").values("created_at")[:1])) for model in TICKET_TYPES):
        if last is not None and (latest[pk] is None or last > latest[pk]):
            latest[pk] = last
    return latest


def _union(querysets: Iterable[QuerySet]) -> QuerySet:
    """The rows of all ``querysets`` (``UNION ALL``): one round trip."""
    first, *others = querysets
    return first.union(*others, all=True)


def choose_member(team: Team, strategy: str) -> User | None:
    """One member of ``team`` by ``strategy``; ties go to the one served least
    recently, then to the lowest id, so repeated calls cycle through the members."""
    members = eligible_members(team)
    if not members:
        return None
    ids = [m.pk for m in members]
    latest = last_assignments(team, ids)

    def turn(member: User) -> tuple:
        when = latest[member.pk]
        return (when is not None, when, member.pk)

    if strategy == LEAST_LOADED:
        load = open_ticket_counts(ids)
        return min(members, key=lambda m: (load[m.pk], *turn(m)))
    return min(members, key=turn)


def assign_automatically(ticket: Ticket) -> AssignmentPlan | None:
    """Assign a ticket just created in the current transaction by the rules, as the
    system (``actor=None``; the ``assignment`` step of ``record_created`` calls this,
    after the clocks and before the major-incident rule: ``core.reactions``).

    Goes through the workflow's ``assign`` transition (audit entry, timeline event, the
    assignee's notification; the clocks stay as they were) and adds a timeline event
    with the reason. A team without an eligible member leaves the ticket unassigned,
    with an internal timeline note.
    The team row is locked while the member is chosen, so concurrent creations take
    turns one after another. A ticket created with a team or assignee, or no longer new,
    is left alone without a lookup or a lock.
    """
    strategy = assignment_strategy()
    if (strategy == OFF or ticket.assignee_id or ticket.assignee_team_id
            or ticket.status != ticket.workflow.initial):
        return None
    team = team_for(ticket)
    if team is None:
        return None
    return _assign(ticket, team, strategy)


@transaction.atomic
def _assign(ticket: Ticket, team: Team, strategy: str) -> AssignmentPlan:
    # Assigners of one team take turns; ticket inserts naming the team (their foreign key
    # checks) do not wait for them.
    list(Team.objects.select_for_update(no_key=True).filter(pk=team.pk).order_by()
         .values_list("pk", flat=True))
    plan = AssignmentPlan(team=team, assignee=choose_member(team, strategy), strategy=strategy)
    params = {"team": plan.team.name, "service": ticket.service.name}
    if plan.assignee is None:
        services.add_timeline_event(ticket, TimelineKind.UPDATED, actor=None, internal=True,
                                    fields=[], reason=REASONS["no_member"],
                                    reason_params=params, rule=plan.rule, team=plan.team.pk)
        return plan
    # Only new tickets are assigned here: created in this transaction, current and ours.
    services.transition_record(ticket, "assign", actor=None, locked=True,
                               values={"assignee_team": plan.team, "assignee": plan.assignee})
    services.add_timeline_event(ticket, TimelineKind.UPDATED, actor=None,
                                fields=["assignee_team", "assignee"],
                                reason=REASONS[plan.strategy], reason_params=params,
                                rule=plan.rule, strategy=plan.strategy, team=plan.team.pk,
                                assignee=plan.assignee.pk)
    return plan


# --- Merging duplicates (INC-3) -------------------------------------------------------------


@transaction.atomic
def merge_tickets(duplicate: Ticket, *, into: Ticket, actor, comment: str = "") -> Ticket:
    """Merge ``duplicate`` into ``into`` and return the target.

    Service staff only; both tickets of the same type and organization, neither closed
    nor cancelled. The duplicate is cancelled through the workflow with the comment
    "Merged into …" (409 when its status allows no cancelling), gets ``merged_into``,
    and a ``duplicate_of`` link to the target; both timelines tell what happened.
    Comments stay on the duplicate; the link leads there.
    """
    require_staff_writer(actor, _("Only service staff may merge tickets."))
    if type(duplicate) is not type(into):
        raise ValidationError({"into": _("Only tickets of the same type can be merged "
                                         "(%(a)s, %(b)s).")
                               % {"a": duplicate._meta.verbose_name,
                                  "b": into._meta.verbose_name}})
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    model = type(duplicate)
    locked = {t.pk: t for t in model.objects.select_for_update().filter(
        pk__in=[duplicate.pk, into.pk]).order_by("pk")}
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    if actor is not None and not (perms.can_view_record(actor, duplicate)
                                  and perms.can_view_record(actor, into)):
        raise ValidationError({"into": _("Choose a ticket you can see.")})
    if duplicate.organization_id != into.organization_id:
        raise ValidationError({"into": _("%(a)s and %(b)s belong to different organizations; "
                                         "only tickets of one organization can be merged.")
                               % {"a": duplicate.number, "b": into.number}})
    for ticket in (duplicate, into):
        if ticket.is_final:
            raise WorkflowError(_("%(number)s is “%(status)s”; closed or cancelled tickets "
                                  "cannot be merged.")
                                % {"number": ticket.number, "status": ticket.status_label})
    cancel = duplicate.workflow.get("cancel")
    if cancel is None or duplicate.status not in cancel.sources:
        raise WorkflowError(_("%(number)s is “%(status)s”; only new or assigned tickets can "
                              "be merged into another.")
                            % {"number": duplicate.number, "status": duplicate.status_label})
    note = _("Merged into %(number)s.") % {"number": into.number}
    comment = (comment or "").strip()
    duplicate = services.transition_record(duplicate, "cancel", actor=actor,
                                           comment=f"{note}\n{comment}" if comment else note)
    model.objects.filter(pk=duplicate.pk).update(merged_into=into)
    audit.log(action=AuditAction.UPDATE, instance=duplicate, actor=actor,
              changes={"merged_into_id": [None, into.pk]})
    audit.log(action=AuditAction.UPDATE, instance=into, actor=actor,
              changes={"merged": [None, duplicate.number]})
    if not link_exists(duplicate, into, LinkKind.DUPLICATE_OF):
        link_records(duplicate, into, kind=LinkKind.DUPLICATE_OF, actor=actor)
    services.add_timeline_event(duplicate, TimelineKind.UPDATED, actor=actor,
                                fields=["merged_into"], merged_into=into.number)
    # Another requester's ticket number is not news for this requester: staff only then.
    services.add_timeline_event(into, TimelineKind.UPDATED, actor=actor,
                                internal=duplicate.requester_id != into.requester_id,
                                fields=[], merged=duplicate.number)
    into.refresh_from_db()
    return into
