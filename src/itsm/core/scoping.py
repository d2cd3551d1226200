"""What a user may pick: the scope of every model offered as a choice, and the querysets
of the people, teams and organizations a user may pick on a record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet

from . import access
from .choices import CUSTOMER_ROLES, Role
from .models import Organization, Team

User = get_user_model()
STAFF_GROUP_NAMES = [r.value for r in Role if r not in CUSTOMER_ROLES]
#: Staff roles that do not work on records: never offered as owner or assignee.
NOT_ASSIGNABLE = (Role.AUDITOR, Role.HR, Role.MANAGEMENT)
ASSIGNABLE_GROUP_NAMES = [name for name in STAFF_GROUP_NAMES if name not in NOT_ASSIGNABLE]


def people_in_scope(user) -> QuerySet:
    """Active people of every organization the user can see."""
    return User.objects.filter(
        is_active=True, profile__organization__in=access.scope_organization_ids(user)
    ).select_related("profile")


def provider_staff(user) -> QuerySet:
    """Active staff of the provider that serves the user with a role that works on
    records (not the auditor or HR alone): who records can be assigned to."""
    return User.objects.filter(
        is_active=True,
        profile__organization_id=access.provider_id_of(user),
        groups__name__in=ASSIGNABLE_GROUP_NAMES,
    ).distinct()


def record_relation_querysets(user) -> dict[str, QuerySet]:
    """Choices for the relation fields of the record base, by field name."""
    return {
        "organization": Organization.objects.visible_to(user),
        "requester": people_in_scope(user),
        "owner": provider_staff(user),
        "assignee": provider_staff(user),
        "assignee_team": Team.objects.visible_to(user),
    }


# --- The floor every choice stands on ----------------------------------------------------
#
# Every related field, filter and form choice of the project draws its options through
# ``restrict`` (the serializer, FilterSet, form and admin bases call it): whatever narrower
# queryset a class declares, nothing outside the reader's scope can be offered, looked up
# or echoed. A model is scoped by its manager's ``visible_to(user)`` (the convention of
# every model with an owner), or by a function registered here for models we do not own
# (people). A model with neither is refused (``ImproperlyConfigured``): a new relation to
# an unscoped model fails its first test instead of leaking.

_SCOPES: dict[type[Model], Callable[[Any], QuerySet]] = {}


def register_scope(model: type[Model], scope: Callable[[Any], QuerySet]) -> None:
    """Declare what of ``model`` a user may see, for a model without ``visible_to``."""
    _SCOPES[model] = scope


def has_scope(model: type[Model]) -> bool:
    return model in _SCOPES or hasattr(model._default_manager, "visible_to")


def scoped(model: type[Model], user) -> QuerySet:
    """The objects of ``model`` that ``user`` may see (and so pick)."""
    scope = _SCOPES.get(model)
    if scope is not None:
        return scope(user)
    manager = model._default_manager
    if not hasattr(manager, "visible_to"):
        raise ImproperlyConfigured(
            f"{model._meta.label} has no scope: give its manager visible_to(user) or "
            "register one with itsm.core.scoping.register_scope")
    return manager.visible_to(user)


def restrict(queryset: QuerySet, user) -> QuerySet:
    """``queryset`` limited to what ``user`` may see; without a user, nothing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset.filter(pk__in=scoped(queryset.model, user).order_by().values("pk"))


register_scope(User, people_in_scope)
