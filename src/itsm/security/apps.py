from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "itsm.security"
    label = "security"
    verbose_name = _("Information security")

    def ready(self) -> None:
        from itsm.core.registry import register_menu_item

        from .models import Drill, EmergencyPlan

        register_menu_item("security", EmergencyPlan._meta.verbose_name_plural,
                           "security:plan-list", order=10, key="emergency-plans")
        register_menu_item("security", Drill._meta.verbose_name_plural,
                           "security:drill-list", order=20, key="drills")
