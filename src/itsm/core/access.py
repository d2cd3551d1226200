"""Who may see and do what: organization scoping and role checks.

Every queryset a view or viewset starts from passes through ``visible_to(user)``
of its model's manager, which calls the functions here, so no view can forget
the organization scope. The rules predicates in ``rules.py`` build on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser

from .choices import CUSTOMER_ROLES, STAFF_ROLES, STAFF_WRITER_ROLES, OrganizationKind, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import Organization
from .cache import cached

#: The cache family of who is who (roles, organization, scope, teams): a change to people,
#: their groups and profiles, organizations or teams starts a new version (``receivers``).
DIRECTORY = "directory"
#: Who is who is computed again at least this often (seconds).
PRINCIPAL_SECONDS = 300


def _principal(user: User) -> None:
    """Set the user's roles, organization, scope, teams and language (``_itsm_*``) for
    the request: from the shared cache where an earlier request left them (one cache
    read instead of five queries), else from the database."""
    if getattr(user, "_itsm_principal", False):
        return

    (user._itsm_roles, user._itsm_org, user._itsm_scope, user._itsm_teams,
     user._itsm_language) = cached(DIRECTORY, f"principal:{user.pk}",
                                   lambda: _read_principal(user), PRINCIPAL_SECONDS)
    user._itsm_principal = True


def _read_principal(user: User) -> tuple:
    roles = frozenset(user.groups.values_list("name", flat=True))
    if user.is_superuser:
        roles |= {Role.ADMINISTRATOR}
    profile = getattr(user, "profile", None)
    org = profile.organization if profile is not None else None
    if org is None:
        scope: frozenset[int] = frozenset()
    elif org.kind == OrganizationKind.PROVIDER and roles & STAFF_ROLES:
        scope = frozenset({org.pk, *org.customers.order_by().values_list("pk", flat=True)})
    else:
        scope = frozenset({org.pk})
    teams = frozenset(user.teams.order_by().values_list("pk", flat=True))
    language = str(profile.language) if profile is not None and profile.language else None
    return roles, org, scope, teams, language


def forget_principal(user: User) -> None:
    """After changing the user's roles in this request: read them anew."""
    for name in ("_itsm_principal", "_itsm_roles", "_itsm_org", "_itsm_scope", "_itsm_teams",
                 "_itsm_language"):
        user.__dict__.pop(name, None)


def roles_of(user: User | AnonymousUser | None) -> frozenset[str]:
    """The role codes a user holds (cached for the request and, until the directory
    changes, across requests)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    _principal(user)
    return user._itsm_roles


def language_of(user: User | AnonymousUser | None) -> str | None:
    """The language chosen in the user's profile (None: not chosen, or no profile)."""
    if user is None or not user.is_authenticated:
        return None
    _principal(user)
    return user._itsm_language


def team_ids_of(user: User | AnonymousUser | None) -> frozenset[int]:
    """The ids of the teams the user is a member of."""
    if user is None or not user.is_authenticated:
        return frozenset()
    _principal(user)
    return user._itsm_teams


def has_role(user: User | AnonymousUser | None, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def organization_of(user: User | AnonymousUser | None) -> Organization | None:
    if user is None or not user.is_authenticated:
        return None
    _principal(user)
    return user._itsm_org


def is_provider_staff(user: User | AnonymousUser | None) -> bool:
    """A person of a provider organization holding a provider role (auditor included)."""
    org = organization_of(user)
    return (
        org is not None
        and org.kind == OrganizationKind.PROVIDER
        and bool(roles_of(user) & STAFF_ROLES)
    )


def is_staff_of(user: User | AnonymousUser | None, provider_id: int | None) -> bool:
    """A member of the staff of this provider."""
    return is_provider_staff(user) and organization_of(user).pk == provider_id


def is_staff_writer(user: User | AnonymousUser | None) -> bool:
    """Provider staff who may change records (everyone but a pure auditor)."""
    return is_provider_staff(user) and bool(roles_of(user) & STAFF_WRITER_ROLES)


def is_customer(user: User | AnonymousUser | None) -> bool:
    return not is_provider_staff(user) and bool(roles_of(user) & CUSTOMER_ROLES)


def is_read_only(user: User | AnonymousUser | None) -> bool:
    """True for an auditor who holds no role that may write."""
    roles = roles_of(user)
    return Role.AUDITOR in roles and not roles & (STAFF_WRITER_ROLES | CUSTOMER_ROLES)


def scope_organization_ids(user: User | AnonymousUser | None) -> frozenset[int]:
    """Organizations whose data the user may see.

    Provider staff see their provider and every customer it serves; everyone
    else sees their own organization only; a person without an organization
    sees nothing (not even a superuser gets data outside an organization).
    """
    if user is None or not user.is_authenticated:
        return frozenset()
    _principal(user)
    return user._itsm_scope


def organization_choices(user: User | AnonymousUser | None) -> list[tuple[int, str]]:
    """(id, name) of the organizations in the user's scope, by name: the organization
    filter of every list (cached until the directory changes)."""
    scope = scope_organization_ids(user)
    if not scope:
        return []

    # The scope follows from the organization and whether the user is its staff.
    return cached(DIRECTORY, f"organization-choices:{organization_of(user).pk}:"
                             f"{int(is_provider_staff(user))}",
                  lambda: list(type(organization_of(user)).objects.filter(pk__in=scope)
                               .order_by("name")
                               .values_list("pk", "name")), PRINCIPAL_SECONDS)


def provider_id_of(user: User | AnonymousUser | None) -> int | None:
    """The provider organization whose staff serve this user."""
    org = organization_of(user)
    return None if org is None else org.serving_provider_id


def sees_all_records_of_organization(user: User | AnonymousUser | None) -> bool:
    """Staff and customer admins see every record of their scope; requesters their own."""
    return is_provider_staff(user) or has_role(user, Role.CUSTOMER_ADMIN)
