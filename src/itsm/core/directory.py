"""Write path for master data: organizations, departments, teams and people.

Administrators maintain the directory; every change is audited like a record's.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from . import access, audit, objects
from . import rules as perms
from .choices import AuditAction, Language, Role
from .models import Profile

M = TypeVar("M", bound=models.Model)
User = get_user_model()

__all__ = ["Language", "create_object", "create_person", "update_object", "update_person"]


def _require_admin(actor) -> None:
    if actor is not None and not perms.can_manage_master_data(actor):
        raise PermissionDenied(_("Only administrators may change the directory."))


def _check_scope(actor, organization) -> None:
    if actor is not None and organization is not None and (
        organization.pk not in access.scope_organization_ids(actor)
    ):
        raise ValidationError({"organization": _("Choose an organization you serve.")})


def create_object(model: type[M], *, actor, data: dict[str, Any]) -> M:
    _require_admin(actor)
    _check_scope(actor, data.get("organization"))
    return objects.save_object(model, actor=actor, data=data)


def update_object(instance: M, *, actor, changes: dict[str, Any]) -> M:
    _require_admin(actor)
    _check_scope(actor, changes.get("organization"))
    return objects.save_object(instance, actor=actor, data=changes)


def delete_object(instance: models.Model, *, actor) -> None:
    _require_admin(actor)
    objects.delete_object(instance, actor=actor)


def _set_roles(user, roles: list[str]) -> None:
    groups = [Group.objects.get_or_create(name=role)[0] for role in roles]
    user.groups.set(groups)
    access.forget_principal(user)


@transaction.atomic
def create_person(*, actor, data: dict[str, Any]):
    """Create a login account with its profile and roles."""
    _require_admin(actor)
    profile_data = data.pop("profile", {})
    roles = data.pop("roles", [Role.REQUESTER])
    password = data.pop("password", None)
    _check_scope(actor, profile_data.get("organization"))
    user = User(**data)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    profile = Profile(user=user, **profile_data)
    profile.full_clean()
    profile.save()
    _set_roles(user, roles)
    audit.log(action=AuditAction.CREATE, instance=user, actor=actor,
              changes={**audit.diff({}, {k: v for k, v in audit.snapshot(user).items()
                                         if k != "password"}),
                       **audit.diff({}, audit.snapshot(profile)), "roles": [None, roles]},
              organization_id=profile.organization_id)
    return user


@transaction.atomic
def update_person(user, *, actor, data: dict[str, Any]):
    """Change a person's account, profile or roles (passwords are never logged)."""
    _require_admin(actor)
    profile_data = data.pop("profile", {})
    roles = data.pop("roles", None)
    password = data.pop("password", None)
    _check_scope(actor, profile_data.get("organization"))
    before = {k: v for k, v in audit.snapshot(user).items() if k != "password"}
    for name, value in data.items():
        setattr(user, name, value)
    if password:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    profile = user.profile
    profile_before = audit.snapshot(profile)
    for name, value in profile_data.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    delta = audit.diff(before, {k: v for k, v in audit.snapshot(user).items() if k != "password"})
    delta.update(audit.diff(profile_before, audit.snapshot(profile)))
    if password:
        delta["password"] = ["***", "***"]
        revoke_api_tokens(user)
    if roles is not None:
        old_roles = sorted(user.groups.values_list("name", flat=True))
        _set_roles(user, roles)
        if sorted(roles) != old_roles:
            delta["roles"] = [old_roles, sorted(roles)]
    if delta:
        audit.log(action=AuditAction.UPDATE, instance=user, actor=actor, changes=delta,
                  organization_id=profile.organization_id)
    return user


def revoke_api_tokens(user) -> None:
    """After a password change: browser sessions end by themselves (their password hash
    no longer matches), and API tokens obtained with the old password must not outlive
    it either."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()


@transaction.atomic
def set_language(user, language: str) -> None:
    """A person switches the UI language for themselves."""
    if language not in Language.values:
        raise ValidationError({"language": _("Unknown language.")})
    profile = getattr(user, "profile", None)
    if profile is None or profile.language == language:
        return
    old = profile.language
    profile.language = language
    profile.save(update_fields=["language"])
    audit.log(action=AuditAction.UPDATE, instance=profile, actor=user,
              changes={"language": [old, language]})
