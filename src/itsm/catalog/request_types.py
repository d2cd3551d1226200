"""Writing the catalogue's request types and their parts (fields, approval steps,
fulfilment tasks): administrators of the provider, audited (``core.objects``). The
pages (``views``) and the API (``api``) call the same functions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from itsm.core import access, objects
from itsm.core import rules as perms

from .admin_services import require_admin
from .models import RequestType, RequestTypeApproval, RequestTypeField, RequestTypeTask

#: The parts of a request type, each edited on its own (``save_part``).
PARTS = (RequestTypeField, RequestTypeApproval, RequestTypeTask)


def may_manage(user) -> bool:
    """Administrators of a provider change its request types."""
    return access.is_provider_staff(user) and perms.can_manage_master_data(user)


@transaction.atomic
def save_request_type(instance: RequestType | None, *, actor, data: dict[str, Any]
                      ) -> RequestType:
    """Create (of the actor's provider) or update a request type."""
    require_admin(actor)
    data = dict(data)
    data.pop("provider", None)
    if instance is None:
        if actor is not None:
            data["provider_id"] = access.provider_id_of(actor)
        return objects.save_object(RequestType, actor=actor, data=data)
    instance = RequestType.objects.select_for_update().get(pk=instance.pk)
    return objects.save_object(instance, actor=actor, data=data)


def _check_type(actor, request_type: RequestType | None) -> None:
    if request_type is None:
        raise ValidationError({"request_type": _("Choose a request type.")})
    if actor is not None and request_type.provider_id != access.provider_id_of(actor):
        raise ValidationError({"request_type": _("Choose a request type of your provider.")})


@transaction.atomic
def save_part(model: type[models.Model], instance: models.Model | None, *, actor,
              data: dict[str, Any]) -> models.Model:
    """Create or update a field, approval step or task template of a request type of
    the actor's provider (a part stays with its type)."""
    require_admin(actor)
    data = dict(data)
    if instance is not None:
        data.pop("request_type", None)
        request_type = instance.request_type
    else:
        request_type = data.get("request_type")
    _check_type(actor, request_type)
    target = model if instance is None else model.objects.select_for_update().get(
        pk=instance.pk)
    return objects.save_object(target, actor=actor, data=data,
                               organization_id=request_type.provider_id)


def delete_part(instance: models.Model, *, actor) -> None:
    require_admin(actor)
    _check_type(actor, instance.request_type)
    objects.delete_object(instance, actor=actor, organization_id=instance.request_type.provider_id)


def delete_request_type(instance: RequestType, *, actor) -> None:
    require_admin(actor)
    _check_type(actor, instance)
    objects.delete_object(instance, actor=actor, in_use_message=_(
        "“%(name)s” has requests and cannot be deleted; deactivate it instead.")
        % {"name": instance.name})


def savers() -> dict[type[models.Model], Any]:
    """The save function of each part's model (for the pages and the API)."""
    return {model: (lambda instance, *, actor, data, model=model:
                    save_part(model, instance, actor=actor, data=data)) for model in PARTS}
