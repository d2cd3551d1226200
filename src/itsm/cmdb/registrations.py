"""What the CMDB declares in the core registry: its menu page."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.registry import register_menu_item

register_menu_item("configuration", _("Configuration items"), "cmdb:item-list",
                   visible=lambda user: access.is_provider_staff(user)
                   or access.has_role(user, Role.CUSTOMER_ADMIN), order=10,
                   key="configuration-items")
