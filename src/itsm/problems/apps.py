from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "itsm.problems"
    label = "problems"
    verbose_name = _("Problem management")

    def ready(self) -> None:
        from itsm.core.registry import register_menu_item, register_record_type

        from .models import Problem

        register_record_type(Problem, namespace="problems", name="problem",
                             group="problems_changes", order=10)
        register_menu_item("problems_changes", _("Known errors"), "problems:known-errors",
                           order=15)
