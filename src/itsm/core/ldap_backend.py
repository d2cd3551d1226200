"""Login against LDAP / Active Directory (optional: ``ITSM_LDAP_URI``, see settings).

django-auth-ldap finds the person with the search account and checks their password by
binding as them; this backend then makes them a person of ITSM: a profile in
``ITSM_LDAP_ORGANIZATION`` on their first login, and their roles from the directory
groups of ``ITSM_LDAP_ROLE_GROUPS`` at every login (``ITSM_LDAP_DEFAULT_ROLES`` for a
new person when no group mapping is set), through the audited directory service. A
person whose organization is missing is refused (and the reason logged), never let in
half made. Deactivating someone in ITSM still keeps them out.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django_auth_ldap.backend import LDAPBackend as BaseLDAPBackend

from . import audit, directory
from .choices import AuditAction, Role
from .models import Organization, Profile

logger = logging.getLogger(__name__)


class LDAPBackend(BaseLDAPBackend):
    def authenticate_ldap_user(self, ldap_user: Any, password: str):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        return provision(user, ldap_user)


def roles_from_groups(group_dns: set[str]) -> list[str]:
    """The roles whose mapped group the person belongs to (DNs compared without case)."""
    groups = {dn.lower() for dn in group_dns}
    return [role for role, dn in settings.ITSM_LDAP_ROLE_GROUPS.items()
            if dn.lower() in groups and role in Role.values]


@transaction.atomic
def provision(user, ldap_user: Any):
    """Make the directory's person a person of ITSM (see the module); None refuses."""
    mapping = settings.ITSM_LDAP_ROLE_GROUPS
    if not hasattr(user, "profile"):
        organization = Organization.objects.filter(code=settings.ITSM_LDAP_ORGANIZATION).first()
        if organization is None:
            logger.error("LDAP login of %s refused: ITSM_LDAP_ORGANIZATION %r does not exist",
                         user.get_username(), settings.ITSM_LDAP_ORGANIZATION)
            user.delete()  # the account the directory login just made, with nothing yet
            return None
        profile = Profile.objects.create(user=user, organization=organization)
        audit.log(action=AuditAction.CREATE, instance=user, actor=None,
                  changes={"username": [None, user.get_username()], "source": [None, "ldap"],
                           **audit.diff({}, audit.snapshot(profile))},
                  organization_id=organization.pk)
        roles = (roles_from_groups(set(ldap_user.group_dns)) if mapping
                 else list(settings.ITSM_LDAP_DEFAULT_ROLES))
    elif mapping:
        roles = roles_from_groups(set(ldap_user.group_dns))
    else:
        return user
    directory.update_person(user, actor=None, data={"roles": roles})
    return user
