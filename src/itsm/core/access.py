"""Who may see and do what: organization scoping and role checks.

Every queryset a view or viewset starts from passes through ``visible_to(user)``
of its model's manager, which calls the functions here, so no view can forget
the organization scope. The rules predicates in ``rules.py`` build on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from .choices import CUSTOMER_ROLES, STAFF_ROLES, STAFF_WRITER_ROLES, OrganizationKind, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from .models import Organization


def roles_of(user: User | AnonymousUser | None) -> frozenset[str]:
    """The role codes a user holds, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_itsm_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= {Role.ADMINISTRATOR}
        user._itsm_roles = cached
    return cached


def has_role(user: User | AnonymousUser | None, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def organization_of(user: User | AnonymousUser | None) -> Organization | None:
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_itsm_org", False)
    if cached is False:
        profile = getattr(user, "profile", None)
        cached = profile.organization if profile is not None else None
        user._itsm_org = cached
    return cached


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
    cached = getattr(user, "_itsm_scope", None)
    if cached is not None:
        return cached
    from .models import Organization

    org = organization_of(user)
    if org is None:
        ids: frozenset[int] = frozenset()
    elif is_provider_staff(user):
        ids = frozenset(
            Organization.objects.filter(Q(pk=org.pk) | Q(provider_id=org.pk))
            .order_by()
            .values_list("pk", flat=True)
        )
    else:
        ids = frozenset({org.pk})
    user._itsm_scope = ids
    return ids


def provider_id_of(user: User | AnonymousUser | None) -> int | None:
    """The provider organization whose staff serve this user."""
    org = organization_of(user)
    return None if org is None else org.serving_provider_id


def sees_all_records_of_organization(user: User | AnonymousUser | None) -> bool:
    """Staff and customer admins see every record of their scope; requesters their own."""
    return is_provider_staff(user) or has_role(user, Role.CUSTOMER_ADMIN)
