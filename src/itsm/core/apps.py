from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "itsm.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from . import (
            access,
            checks,  # noqa: F401 - registers the system checks
            receivers,  # noqa: F401 - connects the signal receivers
        )
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
