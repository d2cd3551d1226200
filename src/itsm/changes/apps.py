from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    name = "itsm.changes"
    label = "changes"
    verbose_name = _("Change management")

    def ready(self) -> None:
        from itsm.core.registry import register_menu_item, register_record_type

        from . import checks, receivers  # noqa: F401 - registers checks and signal receivers
        from .models import Change

        register_record_type(Change, namespace="changes", name="change",
                             group="problems_changes", label=_("Changes"), order=20)
        register_menu_item("problems_changes", _("Change calendar"), "changes:calendar",
                           order=30, key="change-calendar")
        register_menu_item("problems_changes", _("CAB meetings"), "changes:meeting-list",
                           order=40, key="cab-meetings")
