"""Write path of change management beside the record itself: boards, standard change
templates, freeze windows, implementation tasks, CAB meetings and the problem a change
fixes. Atomic, checked and audited; ``actor=None`` is the system.

Change managers and administrators of a provider manage its boards, templates, freeze
windows and meetings (a board's chair also writes its meetings' minutes); any staff
member who may change the change manages its tasks.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core import access, audit, objects, rules
from itsm.core import services as core_services
from itsm.core.choices import AuditAction, TimelineKind

from .choices import MANAGERS, ApprovalStatus, MeetingDecision, Stage, TaskStatus
from .models import (
    Approval,
    CabMeeting,
    Change,
    ChangeBoard,
    ChangeTask,
    ChangeTemplate,
    FreezeWindow,
    MeetingItem,
)


def is_manager(user) -> bool:
    if user is None:
        return True
    return access.is_staff_writer(user) and access.has_role(user, *MANAGERS)


def require_manager(actor) -> None:
    if not is_manager(actor):
        raise PermissionDenied(_("Only change managers and administrators may do this."))


def _provider_of(instance: models.Model) -> int:
    if isinstance(instance, CabMeeting | MeetingItem):
        meeting = instance if isinstance(instance, CabMeeting) else instance.meeting
        return meeting.board.provider_id
    return instance.provider_id


def _log(action: str, instance: models.Model, actor, changes: dict[str, Any]) -> None:
    audit.log(action=action, instance=instance, actor=actor, changes=changes,
              organization_id=_provider_of(instance))


def _check_provider(actor, data: dict[str, Any]) -> None:
    """New master data belongs to the actor's provider."""
    if actor is None:
        if data.get("provider") is None and data.get("provider_id") is None:
            raise ValidationError({"provider": _("This field is required.")})
        return
    provider = data.get("provider")
    if provider is not None and provider.pk != access.provider_id_of(actor):
        raise ValidationError({"provider": _("Choose your own organization.")})
    data["provider_id"] = access.provider_id_of(actor)
    data.pop("provider", None)


def _write(model: type[models.Model], instance: models.Model | None, *, actor,
           data: dict[str, Any]) -> models.Model:
    """Create (``instance`` None) or update a provider's object with its m2m values."""
    data = dict(data)
    if instance is None:
        _check_provider(actor, data)
        return objects.save_object(model, actor=actor, data=data)
    data.pop("provider", None)
    return objects.save_object(instance, actor=actor, data=data)


def _check_people(provider_id: int, people, field: str = "members") -> None:
    for person in people:
        if person is not None and not access.is_staff_of(person, provider_id):
            raise ValidationError({field: _("%(name)s is not on the staff of this "
                                            "provider.") % {"name": person}})


@transaction.atomic
def save_board(board: ChangeBoard | None, *, actor, data: dict[str, Any]) -> ChangeBoard:
    require_manager(actor)
    provider_id = board.provider_id if board else (
        access.provider_id_of(actor) if actor else data["provider"].pk)
    people = [*data.get("members", []), *data.get("emergency_approvers", [])]
    if data.get("chair"):
        people.append(data["chair"])
    _check_people(provider_id, people)
    if data.get("is_default"):
        ChangeBoard.objects.filter(provider_id=provider_id, is_default=True).exclude(
            pk=getattr(board, "pk", None)).update(is_default=False)
    return _write(ChangeBoard, board, actor=actor, data=data)


@transaction.atomic
def save_template(template: ChangeTemplate | None, *, actor,
                  data: dict[str, Any]) -> ChangeTemplate:
    require_manager(actor)
    if template is None and actor is not None:
        data = {**data, "approved_by": actor}
    return _write(ChangeTemplate, template, actor=actor, data=data)


@transaction.atomic
def save_freeze(window: FreezeWindow | None, *, actor, data: dict[str, Any]) -> FreezeWindow:
    require_manager(actor)
    provider_id = window.provider_id if window else (
        access.provider_id_of(actor) if actor else data["provider"].pk)
    if any(s.provider_id != provider_id for s in data.get("services", [])):
        raise ValidationError({"services": _("Choose services of this provider.")})
    return _write(FreezeWindow, window, actor=actor, data=data)


@transaction.atomic
def delete_master(instance: ChangeBoard | ChangeTemplate | FreezeWindow, *, actor) -> None:
    """Boards and templates in use are deactivated instead (PROTECT says which)."""
    require_manager(actor)
    objects.delete_object(instance, actor=actor, in_use_message=_(
        "%(name)s is in use and cannot be deleted; deactivate it instead.")
        % {"name": instance})


# --- Tasks ----------------------------------------------------------------------------


def _require_change_writer(actor, change: Change) -> None:
    if actor is not None and not (rules.can_view_record(actor, change)
                                  and access.is_staff_writer(actor)):
        raise PermissionDenied(_("You may not change this record."))
    if change.is_final:
        raise core_services.WorkflowError(_("%(number)s is closed.") % {"number": change.number})


def _task_log(task: ChangeTask, actor, action: str, delta: dict[str, Any]) -> None:
    audit.log(action=action, instance=task, actor=actor,
              changes={"change": task.change.number, **delta},
              organization_id=task.change.organization_id)
    core_services.add_timeline_event(task.change, TimelineKind.UPDATED, actor=actor,
                                     task=task.title, task_status=task.status)


def _stamp_task(task: ChangeTask) -> None:
    now = timezone.now()
    if task.status in (TaskStatus.IN_PROGRESS, TaskStatus.DONE) and task.started_at is None:
        task.started_at = now
    if task.status == TaskStatus.DONE and task.finished_at is None:
        task.finished_at = now


@transaction.atomic
def create_task(change: Change, *, actor, data: dict[str, Any]) -> ChangeTask:
    _require_change_writer(actor, change)
    _check_people(change.provider_id, [data.get("assignee")], "assignee")
    position = (change.tasks.aggregate(n=models.Max("position"))["n"] or 0) + 1
    task = ChangeTask(change=change, position=position, **data)
    _stamp_task(task)
    task.full_clean()
    task.save()
    _task_log(task, actor, AuditAction.CREATE, audit.diff({}, audit.snapshot(task)))
    return task


@transaction.atomic
def update_task(task: ChangeTask, *, actor, changes: dict[str, Any]) -> ChangeTask:
    task = ChangeTask.objects.select_for_update().select_related("change").get(pk=task.pk)
    _require_change_writer(actor, task.change)
    if "assignee" in changes:
        _check_people(task.change.provider_id, [changes["assignee"]], "assignee")
    changes = {k: v for k, v in changes.items() if k not in {"change", "position"}}
    before = audit.snapshot(task)
    for name, value in changes.items():
        setattr(task, name, value)
    _stamp_task(task)
    task.full_clean()
    delta = audit.diff(before, audit.snapshot(task))
    if delta:
        task.save()
        _task_log(task, actor, AuditAction.UPDATE, delta)
    return task


# --- CAB meetings ------------------------------------------------------------------------


def chairs_or_manages(user, board: ChangeBoard | None) -> bool:
    """A change manager, or the chair of ``board``: closes its voting, writes its
    meetings."""
    return is_manager(user) or (board is not None and board.chair_id == user.pk
                                and access.is_staff_writer(user))


def may_write_meeting(user, meeting: CabMeeting) -> bool:
    return chairs_or_manages(user, meeting.board)


def agenda_candidates(board: ChangeBoard) -> models.QuerySet[Change]:
    """Changes waiting for ``board``'s votes (CAB or retrospective review)."""
    waiting = Approval.objects.filter(board=board, stage__in=[Stage.CAB, Stage.RETROSPECTIVE],
                                      status=ApprovalStatus.PENDING,
                                      opened_at__isnull=False).values("change_id")
    return Change.objects.filter(pk__in=waiting).order_by("planned_start", "pk")


@transaction.atomic
def save_meeting(meeting: CabMeeting | None, *, actor, data: dict[str, Any]) -> CabMeeting:
    """Create a meeting (its agenda: the changes waiting for the board) or update it."""
    data = dict(data)
    board = data.get("board") or (meeting.board if meeting else None)
    if board is None:
        raise ValidationError({"board": _("This field is required.")})
    if actor is not None and board.provider_id != access.provider_id_of(actor):
        raise ValidationError({"board": _("Choose a board of your organization.")})
    if meeting is None:
        require_manager(actor)
    elif not may_write_meeting(actor, meeting):
        raise PermissionDenied(_("Only the chair or a change manager may write the minutes."))
    if "attendees" in data:
        _check_people(board.provider_id, data["attendees"], "attendees")
    organization_id = board.provider_id
    clean = partial(CabMeeting.full_clean, exclude=["created_by"])  # None: by the system
    if meeting is not None:
        data.pop("board", None)
        return objects.save_object(meeting, actor=actor, data=data, clean=clean,
                                   organization_id=organization_id)
    meeting = objects.save_object(CabMeeting, actor=actor, data={"created_by": actor, **data},
                                  clean=clean, organization_id=organization_id)
    for position, change in enumerate(agenda_candidates(board), start=1):
        MeetingItem.objects.create(meeting=meeting, change=change, position=position)
    return meeting


@transaction.atomic
def add_agenda_item(meeting: CabMeeting, change: Change, *, actor) -> MeetingItem:
    if not may_write_meeting(actor, meeting):
        raise PermissionDenied(_("Only the chair or a change manager may change the agenda."))
    if (actor is not None and not rules.can_view_record(actor, change)) or (
            change.provider_id
            != meeting.board.provider_id):
        raise ValidationError({"change": _("Choose a change you can see.")})
    if meeting.items.filter(change=change).exists():
        raise ValidationError({"change": _("%(number)s is already on the agenda.")
                               % {"number": change.number}})
    position = (meeting.items.aggregate(n=models.Max("position"))["n"] or 0) + 1
    item = MeetingItem.objects.create(meeting=meeting, change=change, position=position)
    _log(AuditAction.CREATE, item, actor, {"meeting": meeting.title, "change": change.number})
    return item


@transaction.atomic
def record_decision(item: MeetingItem, *, actor, decision: str, notes: str = "") -> MeetingItem:
    """The minutes' decision on one change; also noted on the change's timeline."""
    item = MeetingItem.objects.select_for_update().select_related(
        "meeting__board", "change").get(pk=item.pk)
    if not may_write_meeting(actor, item.meeting):
        raise PermissionDenied(_("Only the chair or a change manager may record decisions."))
    if decision not in MeetingDecision.values:
        raise ValidationError({"decision": _("Choose one of: %(values)s.")
                               % {"values": ", ".join(MeetingDecision.values)}})
    before = audit.snapshot(item)
    item.decision, item.notes, item.decided_at = decision, (notes or "").strip(), timezone.now()
    item.save()
    _log(AuditAction.UPDATE, item, actor, {"change": item.change.number,
                                           **audit.diff(before, audit.snapshot(item))})
    core_services.add_timeline_event(item.change, TimelineKind.UPDATED, actor=actor,
                                     meeting=item.meeting.title, meeting_decision=decision,
                                     reason=item.notes)
    return item
