from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "itsm.quality"
    label = "quality"
    verbose_name = _("Service quality")

    def ready(self) -> None:
        from itsm.core.registry import register_menu_item

        from .reports import may_see_reports

        register_menu_item("quality", _("Service-level report"), "quality:service-level",
                           visible=may_see_reports, order=10, key="service-level-report")
