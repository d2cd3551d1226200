"""Saved views of record lists (保存的视图): a list's filters and sort under a name, for
oneself or shared with the colleagues of one's provider. Written through the object
layer (validated, audited); only the owner changes or deletes a view."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from . import access, objects
from .models import SavedView
from .registry import record_types

#: Query parameters a saved view does not keep: the position in the list.
NOT_KEPT = ("cursor", "page")


def clean_query(query: str) -> str:
    """The list's query string without its page position."""
    params = QueryDict(query or "", mutable=True)
    for name in NOT_KEPT:
        params.pop(name, None)
    return params.urlencode()


def save_view(instance: SavedView | None, *, actor, data: dict[str, Any]) -> SavedView:
    """Create a view of ``actor``'s or change one of theirs; only staff share."""
    data = dict(data)
    if instance is not None and instance.owner_id != actor.pk:
        raise PermissionDenied(_("Only its owner may change a saved view."))
    if "record_type" in data and data["record_type"] not in {rt.key for rt in record_types()}:
        raise ValidationError({"record_type": _("Unknown record type.")})
    if "query" in data:
        data["query"] = clean_query(data["query"])
    if data.get("shared") and not access.is_provider_staff(actor):
        raise ValidationError({"shared": _("Only service staff share views.")})
    if instance is None:
        provider = access.provider_id_of(actor)
        if provider is None:
            raise PermissionDenied(_("You belong to no organization."))
        data.update(owner=actor, provider_id=provider)
        data.pop("provider", None)
    else:
        data.pop("owner", None)
        data.pop("provider", None)
    return objects.save_object(instance or SavedView, actor=actor, data=data)


def delete_view(instance: SavedView, *, actor) -> None:
    if instance.owner_id != actor.pk:
        raise PermissionDenied(_("Only its owner may delete a saved view."))
    objects.delete_object(instance, actor=actor)


def views_of(user, record_type: str) -> list[SavedView]:
    """The views of one record type ``user`` may use: theirs, then the shared ones."""
    views = SavedView.objects.visible_to(user).filter(record_type=record_type)
    return sorted(views.select_related("owner"),
                  key=lambda v: (v.owner_id != user.pk, v.name.lower()))
