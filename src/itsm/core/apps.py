from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "itsm.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from . import retention  # noqa: F401 - refuses deleting records inside retention

