"""Write path of emergency plans, drills and plan uses (SEC-3): atomic, checked, audited.

Security officers, team leads and administrators of a provider write its plans and
drills; ``actor=None`` is the system (migrations, jobs, tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.core import access, audit, objects
from itsm.core.choices import AuditAction, Role

from .choices import PlanStatus
from .models import Drill, EmergencyPlan, PlanUse

#: Roles of provider staff that write plans and drills.
WRITER_ROLES = (Role.SECURITY_OFFICER, Role.TEAM_LEAD, Role.ADMINISTRATOR)
#: Record types a plan use may name: API name → "app_label.Model".
PLAN_USE_TYPES: dict[str, str] = {"majorincident": "servicedesk.MajorIncident",
                                   "change": "changes.Change"}


def can_write(user) -> bool:
    if user is None:
        return True
    return access.is_provider_staff(user) and access.has_role(user, *WRITER_ROLES)


def require_writer(actor) -> None:
    if not can_write(actor):
        raise PermissionDenied(_("Only security officers, team leads and administrators "
                                 "may change emergency plans and drills."))


def _log(action: str, instance: models.Model, actor, changes: dict[str, Any]) -> None:
    plan = instance if isinstance(instance, EmergencyPlan) else instance.plan
    audit.log(action=action, instance=instance, actor=actor, changes=changes,
              organization_id=plan.provider_id)


def _approval(plan: EmergencyPlan, actor) -> None:
    if plan.status == PlanStatus.APPROVED and plan.approved_at is None:
        plan.approved_by, plan.approved_at = actor, timezone.now()
    elif plan.status == PlanStatus.DRAFT:
        plan.approved_by, plan.approved_at = None, None


def _plan_cleaner(actor) -> Callable[[EmergencyPlan], None]:
    def clean(plan: EmergencyPlan) -> None:
        _approval(plan, actor)
        plan.full_clean()
    return clean


@transaction.atomic
def save_plan(plan: EmergencyPlan | None, *, actor, data: dict[str, Any]) -> EmergencyPlan:
    """Create (``plan`` None: of the actor's provider) or update an emergency plan."""
    require_writer(actor)
    data = dict(data)
    if plan is None:
        if actor is not None:
            data["provider"] = access.organization_of(actor)
        return objects.save_object(EmergencyPlan, actor=actor, data=data,
                                   clean=_plan_cleaner(actor))
    plan = EmergencyPlan.objects.select_for_update().get(pk=plan.pk)
    data.pop("provider", None)
    return objects.save_object(plan, actor=actor, data=data, clean=_plan_cleaner(actor))


def _check_participants(plan: EmergencyPlan, participants) -> None:
    outsiders = [u for u in participants or []
                 if access.provider_id_of(u) != plan.provider_id]
    if outsiders:
        raise ValidationError({"participants": _(
            "Participants must work for the plan's provider or its customers.")})


def _drill_cleaner(actor, participants) -> Callable[[Drill], None]:
    def clean(drill: Drill) -> None:
        if actor is not None and drill.plan.provider_id != access.provider_id_of(actor):
            raise ValidationError({"plan": _("Choose a plan of your provider.")})
        if participants is not None:
            _check_participants(drill.plan, participants)
        drill.full_clean()
    return clean


@transaction.atomic
def save_drill(drill: Drill | None, *, actor, data: dict[str, Any]) -> Drill:
    """Create (``drill`` None) or update a drill of a plan of the actor's provider."""
    require_writer(actor)
    if drill is None:
        return objects.save_object(Drill, actor=actor, data=data, organization_id=getattr(
            data.get("plan"), "provider_id", None),
            clean=_drill_cleaner(actor, data.get("participants")))
    drill = Drill.objects.select_for_update().get(pk=drill.pk)
    return objects.save_object(drill, actor=actor, data=data,
                               organization_id=drill.plan.provider_id,
                               clean=_drill_cleaner(actor, data.get("participants")))


def record_model(record_type: str) -> type[models.Model]:
    if record_type not in PLAN_USE_TYPES:
        raise ValidationError({"record_type": _("Unknown record type.")})
    return apps.get_model(PLAN_USE_TYPES[record_type])


def record_type_of(record: models.Model) -> str:
    return record._meta.model_name


@transaction.atomic
def record_plan_use(record: models.Model, plan: EmergencyPlan, *, actor,
                    note: str = "") -> PlanUse:
    """Note that ``record`` was handled following ``plan`` (both of one provider)."""
    require_writer(actor)
    record_type = record_type_of(record)
    model = record_model(record_type)
    if not isinstance(record, model):
        raise ValidationError({"record_type": _("Unknown record type.")})
    records = model.objects.all() if actor is None else model.objects.visible_to(actor)
    org = getattr(record, "organization", None)
    provider_id = None if org is None else (org.provider_id or org.pk)
    if not records.filter(pk=record.pk).exists() or provider_id != plan.provider_id:
        raise ValidationError({"record_id": _("No such record.")})
    if PlanUse.objects.filter(plan=plan, record_type=record_type,
                              record_id=record.pk).exists():
        raise ValidationError({"record_id": _("This plan use is already recorded.")})
    use = PlanUse.objects.create(plan=plan, record_type=record_type, record_id=record.pk,
                                 note=note, created_by=actor)
    _log(AuditAction.CREATE, use, actor, audit.diff({}, audit.snapshot(use)))
    return use


def plan_uses(plan: EmergencyPlan, user) -> list[tuple[PlanUse, models.Model]]:
    """The uses of ``plan`` with their records, those ``user`` may see."""
    rows = []
    uses = list(plan.uses.all())
    for record_type in {u.record_type for u in uses}:
        try:
            model = record_model(record_type)
        except ValidationError:
            continue
        ids = [u.record_id for u in uses if u.record_type == record_type]
        found = model.objects.visible_to(user).in_bulk(ids)
        rows += [(u, found[u.record_id]) for u in uses
                 if u.record_type == record_type and u.record_id in found]
    return sorted(rows, key=lambda row: row[0].created_at, reverse=True)
