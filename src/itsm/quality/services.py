"""The write path of quality targets: quality managers and administrators of a provider
change its targets (other staff read them); saving is ``core.objects`` (validated,
audited)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from itsm.core import access, objects
from itsm.core.choices import Role

from .models import QualityTarget

#: Roles that change a provider's quality targets.
TARGET_WRITER_ROLES = (Role.QUALITY_MANAGER, Role.ADMINISTRATOR)


def may_read_targets(user) -> bool:
    return access.is_provider_staff(user)


def may_write_targets(user, target: QualityTarget | None = None) -> bool:
    """Quality managers and administrators of the target's provider."""
    return (access.is_provider_staff(user) and access.has_role(user, *TARGET_WRITER_ROLES)
            and (target is None or target.provider_id == access.provider_id_of(user)))


def require_target_writer(actor, target: QualityTarget | None = None) -> None:
    """PermissionDenied unless ``actor`` may change targets (no check for the system)."""
    if actor is not None and not may_write_targets(actor, target):
        raise PermissionDenied(_("Only quality managers and administrators may change "
                                 "quality targets."))


def save_target(instance: QualityTarget | None, *, actor, data: dict[str, Any]
                ) -> QualityTarget:
    """Create or change a target of the actor's provider. Owners must be people of the
    provider; a team's target without owners is owned by the team's lead."""
    require_target_writer(actor, instance)
    data = dict(data)
    if actor is not None:
        data["provider"] = access.organization_of(actor)
    provider = data.get("provider") or (instance.provider if instance else None)
    owners = data.get("owners")
    if owners is not None:
        owners = list(owners)
        strangers = [o for o in owners if getattr(getattr(o, "profile", None),
                                                  "organization_id", None) != provider.pk]
        if strangers:
            raise ValidationError({"owners": _("Owners must be people of your own "
                                               "organization.")})
    team = data.get("team", instance.team if instance else None)
    if not owners and team is not None and team.lead_id is not None and (
            owners is not None or instance is None):
        data["owners"] = [team.lead]
    return objects.save_object(instance or QualityTarget, actor=actor, data=data,
                               organization_id=provider.pk if provider else None)


def delete_target(instance: QualityTarget, *, actor) -> None:
    """Delete a target with its evaluations (the history goes with it)."""
    require_target_writer(actor, instance)
    objects.delete_object(instance, actor=actor, organization_id=instance.provider_id)
