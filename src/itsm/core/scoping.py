"""Querysets of the people, teams and organizations a user may pick on a record."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from . import access
from .choices import CUSTOMER_ROLES, Role
from .models import Organization, Team

User = get_user_model()
STAFF_GROUP_NAMES = [r.value for r in Role if r not in CUSTOMER_ROLES]


def people_in_scope(user) -> QuerySet:
    """Active people of every organization the user can see."""
    return User.objects.filter(
        is_active=True, profile__organization__in=access.scope_organization_ids(user)
    ).select_related("profile")


def provider_staff(user) -> QuerySet:
    """Active staff of the provider that serves the user: who records can be assigned to."""
    return User.objects.filter(
        is_active=True,
        profile__organization_id=access.provider_id_of(user),
        groups__name__in=STAFF_GROUP_NAMES,
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
