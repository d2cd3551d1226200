"""Write path for master data: organizations, departments, teams and people.

Who may write what is decided here, once, for the API, the web pages and the Django
admin alike:

- provider administrators (``rules.can_manage_master_data``) maintain organizations,
  departments, teams and people of every organization in their scope;
- customer administrators (``Role.CUSTOMER_ADMIN`` of a customer organization) maintain
  the people of their own organization: they give customer roles only
  (``CUSTOMER_ROLES``), never move anyone to another organization and never touch teams;
- everybody else (agents, requesters, the read-only auditor) writes nothing here.

Every change is audited like a record's. Deactivating a person ends their browser
sessions and deletes their API tokens at once.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, audit, objects
from . import rules as perms
from .choices import CUSTOMER_ROLES, STAFF_ROLES, AuditAction, Language, OrganizationKind, Role
from .models import Profile, Team

M = TypeVar("M", bound=models.Model)
User = get_user_model()

__all__ = ["Language", "create_object", "create_person", "update_object", "update_person"]

#: Account fields only a provider administrator (``is_staff``: the Django admin) or a
#: superuser (``is_superuser``) may set.
PRIVILEGED_FIELDS = ("is_staff", "is_superuser")


def _require_admin(actor) -> None:
    if actor is not None and not perms.can_manage_master_data(actor):
        raise PermissionDenied(_("Only administrators may change the directory."))


def _check_scope(actor, organization) -> None:
    if actor is not None and organization is not None and (
        organization.pk not in access.scope_organization_ids(actor)
    ):
        raise ValidationError({"organization": _("Choose an organization you serve.")})


# --- Who may manage people ------------------------------------------------------------------


def is_customer_admin(user) -> bool:
    """A customer administrator: manages the people of their own organization."""
    return access.is_customer(user) and access.has_role(user, Role.CUSTOMER_ADMIN)


def may_read_directory(user) -> bool:
    """Provider staff (the auditor included) and customer administrators read the
    directory pages; requesters do not."""
    return access.is_provider_staff(user) or is_customer_admin(user)


def may_manage_people(user) -> bool:
    """Whether ``user`` may create and change people at all (of which organizations:
    ``require_people_manager``)."""
    return perms.can_manage_master_data(user) or is_customer_admin(user)


def assignable_roles(user) -> list[Role]:
    """The roles ``user`` may give: every role for a provider administrator, the
    customer roles for a customer administrator, none for anybody else."""
    if user is None or perms.can_manage_master_data(user):
        return list(Role)
    if is_customer_admin(user):
        return [role for role in Role if role in CUSTOMER_ROLES]
    return []


def people_of(user) -> QuerySet:
    """Everyone (active or not) of the organizations ``user`` may see: the people pages
    and the API's people route start from here."""
    return User.objects.filter(
        profile__organization__in=access.scope_organization_ids(user))


def _organization_id(person) -> int | None:
    profile = getattr(person, "profile", None)
    return None if profile is None else profile.organization_id


def require_people_manager(actor, person=None) -> None:
    """PermissionDenied unless ``actor`` may manage people — and ``person``, when given:
    a provider administrator the people of their scope, a customer administrator those
    of their own organization. ``None`` (the system) may do anything."""
    if actor is None:
        return
    if perms.can_manage_master_data(actor):
        if person is None or _organization_id(person) in access.scope_organization_ids(actor):
            return
    elif is_customer_admin(actor):
        own = access.organization_of(actor)
        if person is None or _organization_id(person) == own.pk:
            return
    raise PermissionDenied(_("Only administrators may change people."))


def _check_person(actor, *, person, organization, department, roles_before: set[str],
                  roles_after: set[str] | None, account: dict[str, Any]) -> None:
    """The rules of a person's new values, for ``actor`` (None: the system, no check)."""
    if actor is None:
        return
    require_people_manager(actor, person)
    errors: dict[str, list[str]] = {}
    admin = perms.can_manage_master_data(actor)
    if organization is not None:
        if not admin and organization.pk != access.organization_of(actor).pk:
            errors.setdefault("organization", []).append(
                _("You may manage the people of your own organization only."))
        elif organization.pk not in access.scope_organization_ids(actor):
            errors.setdefault("organization", []).append(_("Choose an organization you serve."))
    if roles_after is not None:
        changed = roles_before ^ roles_after
        if not admin and changed - CUSTOMER_ROLES:
            errors.setdefault("roles", []).append(
                _("You may give only these roles: %(roles)s.")
                % {"roles": ", ".join(str(r.label) for r in assignable_roles(actor))})
        elif (roles_after - roles_before) & STAFF_ROLES and organization is not None \
                and organization.kind != OrganizationKind.PROVIDER:
            errors.setdefault("roles", []).append(
                _("Roles of the service provider's staff are for people of a service "
                  "provider."))
    if department is not None and organization is not None \
            and department.organization_id != organization.pk:
        errors.setdefault("department", []).append(
            _("Choose a department of the person's organization."))
    for name in PRIVILEGED_FIELDS:
        if name in account and bool(account[name]) != bool(getattr(person, name, False)):
            allowed = actor.is_superuser if name == "is_superuser" else admin
            if not allowed:
                errors.setdefault(name, []).append(_("You may not change this."))
    if person is not None and person.pk == actor.pk and account.get("is_active") is False:
        errors.setdefault("is_active", []).append(_("You cannot deactivate yourself."))
    if errors:
        raise ValidationError(errors)


# --- Organizations, departments, teams ------------------------------------------------------


def create_object(model: type[M], *, actor, data: dict[str, Any]) -> M:
    _require_admin(actor)
    _check_scope(actor, data.get("organization"))
    return objects.save_object(model, actor=actor, data=data)


def update_object(instance: M, *, actor, changes: dict[str, Any]) -> M:
    _require_admin(actor)
    _check_scope(actor, changes.get("organization"))
    return objects.save_object(instance, actor=actor, data=changes)


def save_object(instance: M | None, *, model: type[M], actor, data: dict[str, Any]) -> M:
    """Create (``instance`` None) or update an organization, department or team."""
    if instance is None:
        return create_object(model, actor=actor, data=data)
    return update_object(instance, actor=actor, changes=data)


def delete_object(instance: models.Model, *, actor) -> None:
    _require_admin(actor)
    objects.delete_object(instance, actor=actor)


# --- People ---------------------------------------------------------------------------------


def _set_roles(user, roles: list[str]) -> None:
    groups = [Group.objects.get_or_create(name=role)[0] for role in roles]
    user.groups.set(groups)
    access.forget_principal(user)


def _check_teams(actor, user, teams: list[Team]) -> None:
    """Team memberships are the provider's business: only its administrators change
    them (a customer administrator's form does not show them)."""
    if actor is None or perms.can_manage_master_data(actor):
        return
    old = set() if user is None else set(user.teams.values_list("pk", flat=True))
    if old != {team.pk for team in teams}:
        raise ValidationError({"teams": [_("Only administrators of the provider may "
                                           "change teams.")]})


def _set_teams(user, teams: list[Team]) -> dict[str, list]:
    """The person's team memberships; the audit delta ``{"teams": [old ids, new ids]}``."""
    old = sorted(user.teams.values_list("pk", flat=True))
    new = sorted(team.pk for team in teams)
    if old == new:
        return {}
    user.teams.set(teams)
    return {"teams": [old, new]}


def _account_snapshot(user) -> dict[str, Any]:
    return {k: v for k, v in audit.snapshot(user).items() if k != "password"}


@transaction.atomic
def create_person(*, actor, data: dict[str, Any]):
    """Create a login account with its profile, roles and (for provider administrators)
    team memberships. Without a password the account cannot log in until the person sets
    one through an invitation (``accounts.send_password_link``)."""
    data = dict(data)
    profile_data = dict(data.pop("profile", {}))
    roles = list(data.pop("roles", [Role.REQUESTER]))
    teams = data.pop("teams", None)
    password = data.pop("password", None)
    _check_person(actor, person=None, organization=profile_data.get("organization"),
                  department=profile_data.get("department"), roles_before=set(),
                  roles_after=set(roles), account=data)
    if teams:
        _check_teams(actor, None, teams)
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
    changes = {**audit.diff({}, _account_snapshot(user)),
               **audit.diff({}, audit.snapshot(profile)), "roles": [None, roles]}
    if teams:
        changes.update(_set_teams(user, teams))
    audit.log(action=AuditAction.CREATE, instance=user, actor=actor, changes=changes,
              organization_id=profile.organization_id)
    return user


@transaction.atomic
def update_person(user, *, actor, data: dict[str, Any]):
    """Change a person's account, profile, roles or team memberships (passwords are never
    logged). Deactivating someone ends their browser sessions and deletes their API
    tokens in the same step."""
    data = dict(data)
    profile_data = dict(data.pop("profile", {}))
    roles = data.pop("roles", None)
    teams = data.pop("teams", None)
    password = data.pop("password", None)
    profile = user.profile
    old_roles = sorted(user.groups.values_list("name", flat=True))
    _check_person(actor, person=user,
                  organization=profile_data.get("organization", profile.organization),
                  department=profile_data.get("department", profile.department),
                  roles_before=set(old_roles),
                  roles_after=None if roles is None else set(roles), account=data)
    if teams is not None:
        _check_teams(actor, user, teams)
    _check_scope(actor, profile_data.get("organization"))
    was_active = user.is_active
    before = _account_snapshot(user)
    for name, value in data.items():
        setattr(user, name, value)
    if password:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    profile_before = audit.snapshot(profile)
    for name, value in profile_data.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    delta = audit.diff(before, _account_snapshot(user))
    delta.update(audit.diff(profile_before, audit.snapshot(profile)))
    if password:
        delta["password"] = ["***", "***"]
        revoke_api_tokens(user)
    if roles is not None:
        _set_roles(user, roles)
        if sorted(roles) != old_roles:
            delta["roles"] = [old_roles, sorted(roles)]
    if teams is not None:
        delta.update(_set_teams(user, teams))
    if was_active and not user.is_active:
        revoke_api_tokens(user)
        end_sessions(user)
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


def end_sessions(user) -> int:
    """Delete every browser session of ``user`` (from the database and, with the
    ``cached_db`` engine, from the cache); the number ended.

    Sessions are not indexed by person, so the unexpired ones are decoded one by one:
    acceptable for a deactivation, which is rare. An inactive person is refused by the
    authentication backend on their next request anyway; deleting the sessions makes
    the logout immediate and independent of the backend."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):  # sessions kept outside the database
        return 0
    decoder, user_id, ended = store(), str(user.pk), 0
    rows = (store.get_model_class().objects.filter(expire_date__gt=timezone.now())
            .values_list("session_key", "session_data"))
    for key, data in rows.iterator():
        if str(decoder.decode(data).get(SESSION_KEY)) == user_id:
            store(session_key=key).delete()
            ended += 1
    return ended


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
