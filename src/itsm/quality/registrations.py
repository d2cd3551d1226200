"""What the quality app declares in the registries: the service-level report, the
indicator and target pages, the quality-targets home card, and the indicators it ships
(``indicator_set``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.complaints.models import Complaint
from itsm.core import access
from itsm.core.choices import Role
from itsm.core.registry import (
    ListColumn,
    register_inbox_source,
    register_menu_item,
    register_record_action,
    register_record_type,
    register_widget,
    role_predicate,
)
from itsm.problems.models import Problem

from . import improvement_widgets, indicator_set, report_set, widgets
from .improvement_views import plan_from_complaint, plan_from_problem
from .models import ImprovementPlan, ImprovementSuggestion, QualityReview
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
report_set.register()
# Continual improvement (QA-2, QA-3): plans, suggestions, reviews; where plans start.
register_record_type(ImprovementPlan, group="quality", label=_("Service improvement plans"),
                     order=20, menu_key="improvement-plans",
                     columns=(ListColumn("source_kind", _("Source")),
                              ListColumn("evaluation_date", _("Evaluation date"))))
register_record_type(ImprovementSuggestion, group="quality",
                     label=_("Improvement suggestions"), order=22,
                     menu_key="improvement-suggestions")
register_record_type(QualityReview, group="quality", label=_("Quality reviews"), order=24,
                     menu_key="quality-reviews",
                     columns=(ListColumn("kind", _("Kind of review")),))
register_record_action("improvement-plan-from-complaint", _("Open an improvement plan"),
                       plan_from_complaint, models=(Complaint,), order=20)
register_record_action("improvement-plan-from-problem", _("Open an improvement plan"),
                       plan_from_problem, models=(Problem,), order=20)
register_inbox_source("improvement-measures", _("Improvement measures assigned to me"),
                      improvement_widgets.my_measures, order=60)
register_widget("improvement-plans", _("Service improvement plans"),
                "quality/improvement_card.html", improvement_widgets.plans_by_stage,
                visible=role_predicate(Role.QUALITY_MANAGER, Role.MANAGEMENT), order=54)
