from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """``itsm demo``: example data of every process, so it sits above every app."""

    name = "itsm.demo"
    label = "demo"
    verbose_name = _("Demo data")
