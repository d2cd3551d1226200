"""Who may be chosen where, and how a picker names them.

An assignee is one of the provider's staff with a working role (``scoping.provider_staff``:
not the auditor, not HR alone, never a customer); a requester is a person of the chosen
organization. Each is shown by name with their teams or organization
(``张伟 (一线服务台)``), never by login name alone.
"""

from __future__ import annotations

from django.db.models import QuerySet

from . import access
from .models import display_name
from .scoping import people_in_scope, provider_staff


def for_picker(people: QuerySet) -> QuerySet:
    """``people`` by name, with what :func:`label` reads (two queries in all)."""
    return (people.select_related("profile__organization").prefetch_related("teams")
            .order_by("last_name", "first_name", "username"))


def assignees(user) -> QuerySet:
    """Who ``user`` may assign records to, by name, ready for :func:`label`."""
    if not access.is_provider_staff(user):
        return provider_staff(user).none()
    return for_picker(provider_staff(user))


def requesters(user, organization_id: int | None = None) -> QuerySet:
    """The active people ``user`` may name as requester (of one organization if given)."""
    people = for_picker(people_in_scope(user))
    return people if organization_id is None else people.filter(
        profile__organization_id=organization_id)


def label(person) -> str:
    """姓名 (teams, or the organization): how a picker names a person. Reads the
    prefetched teams and the profile's organization when the queryset loaded them."""
    cache = getattr(person, "_prefetched_objects_cache", {})
    teams = [t.name for t in cache["teams"]] if "teams" in cache else []
    profile = getattr(person, "profile", None)
    where = ", ".join(teams) if teams else str(getattr(profile, "organization", "") or "")
    name = display_name(person)
    return f"{name} ({where})" if where else name


def choices(people: QuerySet) -> list[tuple[int, str]]:
    return [(p.pk, label(p)) for p in people]
