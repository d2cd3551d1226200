from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

#: The modules an app may have that declare it to the project, imported once every app's
#: models are loaded, in INSTALLED_APPS order (a new app needs no edit in a shared file):
#: ``checks`` (system checks), ``receivers`` (its reactions to signals, ordered by
#: ``core.reactions``) and ``registrations`` (its record types and menu entries in
#: ``core.registry``).
DISCOVERED_MODULES = ("checks", "receivers", "registrations")


class CoreConfig(AppConfig):
    name = "itsm.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        autodiscover_modules(*DISCOVERED_MODULES)
