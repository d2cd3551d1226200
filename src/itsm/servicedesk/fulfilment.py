"""Requests of a catalogue request type (SLM-1, REQ-2, REQ-4): their own fields, the
approvals they wait for, and the tasks that fulfil them.

- ``clean_fields`` checks the values of a type's fields (the portal form, the API and
  imports call it) and returns what is stored in ``ServiceRequest.custom_fields``.
- A new request of a type (``begin``, the ``request_type`` step of ``record_created``)
  gets one approval per step of the type, each with the people who may decide it
  (the requester's department head, or the holders of a role), and waits for them
  (``await_approval``: its clocks pause); without steps it goes straight to fulfilment.
- ``decide``: one approver decides the current step; the last approval sends the
  request on (``approved``: assigned and its tasks created), a rejection cancels it.
- ``complete_task``: when every task of the request is done, it is resolved
  (``fulfil``) with the list of what was done, and the requester confirms as usual.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from itsm.catalog.choices import ApproverKind, FieldKind
from itsm.catalog.models import RequestType, RequestTypeApproval, RequestTypeField
from itsm.core import access, audit, services
from itsm.core.choices import CUSTOMER_ROLES, AuditAction, NotificationEvent, TimelineKind
from itsm.core.models import display_name

from .choices import ApprovalDecision, RequestStatus, TaskStatus
from .models import FulfilmentTask, RequestApproval, ServiceRequest
from .notify import tell

User = get_user_model()

#: The longest value of a one-line / several-line text field.
MAX_TEXT, MAX_TEXTAREA = 500, 4000


# --- The fields of a request type -------------------------------------------------------


def _person(value: Any, requester, field: RequestTypeField) -> dict[str, Any]:
    pk = value.get("id") if isinstance(value, dict) else value
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ValidationError(_("Choose a person.")) from None
    org = access.organization_of(requester)
    person = User.objects.filter(pk=pk, is_active=True, profile__organization__in=[
        org.pk, org.serving_provider_id] if org else []).first()
    if person is None:
        raise ValidationError(_("Choose a person of your organization."))
    return {"id": person.pk, "name": display_name(person)}


def _ci(value: Any, requester, field: RequestTypeField) -> dict[str, Any]:
    from itsm.cmdb.models import ConfigurationItem

    pk = value.get("id") if isinstance(value, dict) else value
    try:
        item = ConfigurationItem.objects.visible_to(requester).get(pk=int(pk))
    except (TypeError, ValueError, ConfigurationItem.DoesNotExist):
        raise ValidationError(_("Choose a configuration item you can see.")) from None
    return {"id": item.pk, "name": str(item)}


def _clean_value(field: RequestTypeField, value: Any, requester) -> Any:
    """The stored form of one field's value; ValidationError with the reason."""
    kind = field.kind
    if kind in (FieldKind.TEXT, FieldKind.TEXTAREA):
        limit = MAX_TEXT if kind == FieldKind.TEXT else MAX_TEXTAREA
        text = str(value).strip()
        if len(text) > limit:
            raise ValidationError(_("At most %(limit)d characters.") % {"limit": limit})
        return text
    if kind == FieldKind.NUMBER:
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) >= 10**12:
            raise ValidationError(_("Enter a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == FieldKind.CHOICE:
        if str(value) not in field.choices:
            raise ValidationError(_("Choose one of: %(options)s.")
                                  % {"options": _(", ").join(field.choices)})
        return str(value)
    if kind == FieldKind.DATE:
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == FieldKind.PERSON:
        return _person(value, requester, field)
    if kind == FieldKind.CI:
        return _ci(value, requester, field)
    raise ValidationError(_("Attach the file with the form, or through the request's "
                            "attachments."))


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def check_fields(request_type: RequestType, values: Any, *, requester,
                 files: dict[str, list[dict[str, Any]]] | None = None
                 ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values of ``request_type``'s fields as stored on the request, and the errors
    by field key. ``files``: the attachments already stored for attachment fields (key →
    [{id, name}]); an attachment field is only required where files can be given (the
    portal's form)."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        return {}, {"": [_("Give the fields as an object of key: value.")]}
    fields = {f.key: f for f in request_type.fields.all()}
    errors: dict[str, list[str]] = {}
    for key in sorted(set(values) - set(fields)):
        errors[key] = [_("“%(type)s” has no field “%(key)s”.")
                       % {"type": request_type.name, "key": key}]
    cleaned: dict[str, Any] = {}
    for key, field in fields.items():
        if field.kind == FieldKind.ATTACHMENT:
            given = (files or {}).get(key) or []
            if given:
                cleaned[key] = given
            elif field.required and files is not None:
                errors[key] = [_("Attach a file.")]
            elif key in values and not is_empty(values[key]):
                errors[key] = [_("Attach the file with the form, or through the request's "
                                 "attachments.")]
            continue
        value = values.get(key)
        if is_empty(value):
            if field.required:
                errors[key] = [_("This field is required.")]
            continue
        try:
            cleaned[key] = _clean_value(field, value, requester)
        except ValidationError as exc:
            errors[key] = exc.messages
    return cleaned, errors


def clean_fields(request_type: RequestType, values: Any, *, requester) -> dict[str, Any]:
    """:func:`check_fields`, or a ValidationError of ``custom_fields`` naming each bad
    field ("<key>: <message>")."""
    cleaned, errors = check_fields(request_type, values, requester=requester)
    if errors:
        raise ValidationError({"custom_fields": [
            f"{key}: {message}" if key else message
            for key, messages in errors.items() for message in messages]})
    return cleaned


def prepare(request: ServiceRequest, actor) -> None:
    """Before a new request is inserted (every interface): its type, service and the
    values of its own fields, cleaned into ``custom_fields``."""
    if not request.request_type_id:
        if request.custom_fields:
            raise ValidationError({"custom_fields": _("Only a request of a request type has "
                                                      "fields of its own.")})
        return
    request_type = request.request_type
    org = request.organization
    viewer = request.requester if request.requester_id else actor
    if (request_type.provider_id != org.serving_provider_id or not request_type.is_active
            or not request_type.service.is_active
            or (org.pk != org.serving_provider_id
                and not request_type.service.customers.filter(pk=org.pk).exists())):
        raise ValidationError({"request_type": _("Choose a request type of a service your "
                                                 "organization uses.")})
    if request.service_id is None:
        request.service = request_type.service
    elif request.service_id != request_type.service_id:
        raise ValidationError({"service": _("A request of “%(type)s” is for the service "
                                            "“%(service)s”.")
                               % {"type": request_type.name,
                                  "service": request_type.service.name}})
    request.custom_fields = clean_fields(request_type, request.custom_fields,
                                         requester=viewer)
    check_approvers(request_type, request.requester)


def display_value(field: RequestTypeField | None, value: Any) -> str:
    """A stored value as people read it (pages, exports)."""
    if isinstance(value, list):
        return _(", ").join(str(v.get("name", v)) if isinstance(v, dict) else str(v)
                            for v in value)
    if isinstance(value, dict):
        return str(value.get("name", ""))
    return "" if value is None else str(value)


def field_rows(request: ServiceRequest) -> list[tuple[str, str, Any]]:
    """(label, text, stored value) of a request's type fields, in the type's order; values
    of fields removed from the type since come last under their key."""
    values = dict(request.custom_fields or {})
    rows = []
    if request.request_type_id:
        for field in request.request_type.fields.all():
            if field.key in values:
                value = values.pop(field.key)
                rows.append((field.label, display_value(field, value), value))
    rows.extend((key, display_value(None, value), value) for key, value in values.items())
    return rows


# --- Approvals -------------------------------------------------------------------------


def approvers_for(step: RequestTypeApproval, requester) -> list:
    """Who may decide ``step`` for a request of ``requester``: their department's head,
    or the active holders of the step's role in the requester's organization (customer
    roles) or its provider (staff roles); never the requester themselves."""
    profile = getattr(requester, "profile", None)
    if step.kind == ApproverKind.DEPARTMENT_HEAD:
        department_id = getattr(profile, "department_id", None)
        people = list(User.objects.filter(headed_departments=department_id, is_active=True)
                      ) if department_id else []
    else:
        org = profile.organization if profile is not None else None
        org_id = (org.pk if step.role in CUSTOMER_ROLES else org.serving_provider_id) \
            if org is not None else None
        people = list(User.objects.filter(is_active=True, groups__name=step.role,
                                          profile__organization_id=org_id).order_by("pk"))
    return [p for p in people if p.pk != requester.pk]


def check_approvers(request_type: RequestType, requester) -> None:
    """Refuse a request that no one could approve (before it is raised)."""
    for step in request_type.approval_steps.all():
        if not approvers_for(step, requester):
            if step.kind == ApproverKind.DEPARTMENT_HEAD:
                message = _("“%(type)s” needs your department head's approval, but your "
                            "department has no head. Ask your administrator to set one.")
            else:
                message = _("“%(type)s” needs the approval of a “%(role)s”, and there is "
                            "none. Ask your administrator.")
            raise ValidationError({"request_type": message % {
                "type": request_type.name, "role": str(step)}})


def current_approval(request: ServiceRequest) -> RequestApproval | None:
    """The step waiting for a decision (the first pending one)."""
    return request.approvals.filter(decision=ApprovalDecision.PENDING).order_by(
        "order", "pk").first()


def may_decide(user, approval: RequestApproval) -> bool:
    return (approval.decision == ApprovalDecision.PENDING
            and approval.request.status == RequestStatus.PENDING_APPROVAL
            and approval.approvers.filter(pk=user.pk).exists()
            and current_approval(approval.request) == approval)


def _ask(approval: RequestApproval) -> None:
    request = approval.request
    tell(NotificationEvent.APPROVAL_REQUESTED, request, approval.approvers.all(), None,
         lambda: (_("Your approval is requested"),
                  _("%(requester)s asks for “%(type)s” (%(number)s). Please approve or "
                    "reject it.") % {"requester": display_name(request.requester),
                                     "type": request.request_type.name,
                                     "number": request.number}),
         dedupe=f"request-approval:{approval.pk}")


def begin(request: ServiceRequest) -> None:
    """A new request of a type: its approvals (and the wait for them) or its tasks."""
    request_type = request.request_type
    steps = list(request_type.approval_steps.all())
    if not steps:
        start_fulfilment(request)
        return
    for step in steps:
        approval = RequestApproval.objects.create(request=request, order=step.order,
                                                  kind=step.kind, role=step.role)
        people = approvers_for(step, request.requester)
        if not people:
            raise ValidationError({"request_type": _("No one can approve this request.")})
        approval.approvers.set(people)
    services.transition_record(request, "await_approval", actor=None, locked=True)
    _ask(current_approval(request))


@transaction.atomic
def decide(approval: RequestApproval, *, actor, approve: bool, comment: str = ""
           ) -> RequestApproval:
    """``actor`` approves or rejects the current step of a request (its approver)."""
    request = ServiceRequest.objects.select_for_update().get(pk=approval.request_id)
    approval = RequestApproval.objects.select_for_update().get(pk=approval.pk)
    approval.request = request
    if not may_decide(actor, approval):
        raise PermissionDenied(_("This approval is not yours to decide now."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": _("Say why you reject the request.")})
    approval.decision = ApprovalDecision.APPROVED if approve else ApprovalDecision.REJECTED
    approval.decided_by, approval.decided_at = actor, timezone.now()
    approval.comment = comment
    approval.full_clean(exclude=["request", "decided_by"])
    approval.save()
    audit.log(action=AuditAction.UPDATE, instance=approval, actor=actor, changes={
        "decision": [ApprovalDecision.PENDING, approval.decision], "comment": ["", comment]})
    reason = (gettext_noop("approval %(step)s approved by %(person)s") if approve
              else gettext_noop("approval %(step)s rejected by %(person)s"))
    services.add_timeline_event(request, TimelineKind.UPDATED, actor=actor, reason=reason,
                                reason_params={"step": approval.order,
                                               "person": display_name(actor)})
    if not approve:
        request.approvals.filter(decision=ApprovalDecision.PENDING).update(
            decision=ApprovalDecision.SKIPPED)
        services.transition_record(request, "approval_rejected", actor=actor,
                                   on_decision=True, comment=comment, locked=True)
    elif (following := current_approval(request)) is not None:
        _ask(following)
    else:
        request = services.transition_record(request, "approved", actor=actor,
                                             on_decision=True, locked=True)
        from .services import assign_automatically

        assign_automatically(request)
        start_fulfilment(request)
    tell(NotificationEvent.APPROVAL_DECIDED, request, [request.requester], actor, lambda: (
        _("Your request was approved") if approve else _("Your request was rejected"),
        (_("%(person)s approved step %(step)s of %(number)s.") if approve else
         _("%(person)s rejected %(number)s: %(comment)s"))
        % {"person": display_name(actor), "step": approval.order, "number": request.number,
           "comment": comment}), dedupe=f"request-approval-decided:{approval.pk}")
    return approval


# --- Fulfilment ------------------------------------------------------------------------


def start_fulfilment(request: ServiceRequest) -> list[FulfilmentTask]:
    """The tasks of the request type's template, each for its team (whose members hear
    of it); none when the type has no template."""
    if request.tasks.exists():
        return []
    tasks = [FulfilmentTask.objects.create(request=request, order=t.order, title=t.title,
                                           description=t.description, team=t.team)
             for t in request.request_type.task_templates.select_related("team")]
    for task in tasks:
        audit.log(action=AuditAction.CREATE, instance=task, actor=None,
                  changes={"title": [None, task.title], "team": [None, task.team_id]})
        tell(NotificationEvent.RECORD_ASSIGNED, request, task.team.members.all(), None,
             lambda task=task: (_("A fulfilment task for your team"),
                                _("%(number)s: %(task)s") % {"number": request.number,
                                                              "task": task.title}),
             dedupe=f"fulfilment-task:{task.pk}")
    return tasks


@transaction.atomic
def complete_task(task: FulfilmentTask, *, actor, note: str = "") -> FulfilmentTask:
    """``actor`` marks a task done; the last one resolves the request (``fulfil``)."""
    request = ServiceRequest.objects.select_for_update().get(pk=task.request_id)
    task = FulfilmentTask.objects.select_for_update().get(pk=task.pk)
    if not task.may_complete(actor):
        raise PermissionDenied(_("Only the task's team may complete it."))
    if request.is_final or request.status == RequestStatus.RESOLVED:
        raise ValidationError(_("%(number)s is no longer open.") % {"number": request.number})
    if request.status == RequestStatus.PENDING_APPROVAL:
        raise ValidationError(_("%(number)s still waits for its approvals.")
                              % {"number": request.number})
    task.status, task.done_by, task.done_at = TaskStatus.DONE, actor, timezone.now()
    task.note = (note or "").strip()
    task.full_clean(exclude=["request", "team", "assignee", "done_by"])
    task.save()
    audit.log(action=AuditAction.UPDATE, instance=task, actor=actor,
              changes={"status": [TaskStatus.OPEN, TaskStatus.DONE]})
    services.add_timeline_event(request, TimelineKind.UPDATED, actor=actor,
                                reason=gettext_noop("task “%(task)s” done"),
                                reason_params={"task": task.title})
    if not request.tasks.filter(status=TaskStatus.OPEN).exists():
        done = [t.title for t in request.tasks.filter(status=TaskStatus.DONE)]
        services.transition_record(
            request, "fulfil", actor=actor, on_decision=True, locked=True,
            values={"resolution": _("Fulfilled: %(tasks)s.") % {"tasks": _("; ").join(done)}})
    return task
