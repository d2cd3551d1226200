"""What the quality app declares in the registries: the service-level report, the
indicator and target pages, the quality-targets home card, and the indicators it ships
(``indicator_set``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.registry import register_menu_item, register_widget, role_predicate

from . import indicator_set, widgets
from .reports import may_see_reports
from .services import may_read_targets

register_menu_item("quality", _("Service-level report"), "quality:service-level",
                   visible=may_see_reports, order=10, key="service-level-report")
register_menu_item("quality", _("Quality dashboard"), "quality:dashboard",
                   visible=access.is_provider_staff, order=3, key="quality-dashboard")
register_menu_item("quality", _("Quality indicators"), "quality:indicators",
                   visible=access.is_provider_staff, order=5, key="quality-indicators")
register_menu_item("quality", _("Quality targets"), "quality:target-list",
                   visible=may_read_targets, order=7, key="quality-targets")
register_widget("quality-targets", _("Quality targets"), "quality/widgets/targets.html",
                widgets.target_states, order=52,
                visible=role_predicate(Role.QUALITY_MANAGER, Role.MANAGEMENT,
                                       Role.TEAM_LEAD, Role.ADMINISTRATOR))
indicator_set.register()
