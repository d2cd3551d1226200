"""What the core declares in the registry: the settings pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from . import access
from . import rules as perms
from .registry import register_menu_item

register_menu_item("settings", _("Notification templates"),
                   "notificationtemplate-list", order=10, key="notification-templates",
                   visible=lambda user: perms.can_manage_master_data(user)
                   and access.is_provider_staff(user))
register_menu_item("settings", _("Administration"), "admin:index", order=90,
                   key="administration",
                   visible=lambda user: perms.can_manage_master_data(user)
                   and user.is_staff)
