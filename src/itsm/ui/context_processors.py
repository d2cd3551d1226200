"""Navigation for the two faces of the UI: staff workspace and customer portal."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core import rules as perms
from itsm.core.choices import Language


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"languages": Language.choices}
    staff = access.is_provider_staff(user)
    items = [(_("Service requests") if staff else _("My requests"),
              reverse("servicedesk:request-list"), "servicedesk:request")]
    if staff:
        items.append((_("API documentation"), reverse("api:docs"), "api"))
    if perms.can_manage_master_data(user) and user.is_staff:
        items.append((_("Administration"), reverse("admin:index"), "admin"))
    return {
        "nav_items": items,
        "portal": not staff,
        "languages": Language.choices,
        "user_roles": sorted(str(access_label(r)) for r in access.roles_of(user)),
        "organization": access.organization_of(user),
    }


def access_label(role: str) -> str:
    from itsm.core.choices import Role

    return dict(Role.choices).get(role, role)
