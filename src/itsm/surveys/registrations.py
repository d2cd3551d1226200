"""What surveys declare in the core registry: the feedback item record type, the
campaign and questionnaire pages, the home-page cards and inbox work, and the periodic
reminder job."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.registry import (
    ListColumn,
    everyone,
    register_inbox_source,
    register_menu_item,
    register_record_type,
    register_widget,
    role_predicate,
)

from . import (
    tasks,  # noqa: F401 - registers the periodic reminder job
    widgets,
)
from .choices import FeedbackClass
from .models import FeedbackItem
from .services import RESULT_READER_ROLES, can_manage


def customer(user) -> bool:
    return everyone(user) and not access.is_provider_staff(user)


def manager(user) -> bool:
    """Quality managers and administrators (``can_manage`` takes None for the system)."""
    return everyone(user) and can_manage(user)


register_record_type(
    FeedbackItem, group="quality", label=_("Feedback"), customer_label=_("My feedback"),
    visible=everyone, order=40, menu_key="feedback",
    columns=(ListColumn("classification", _("classification"),
                        value=lambda r: FeedbackClass(r.classification).label),))
register_menu_item("quality", _("Satisfaction surveys"), "surveys:campaign-list",
                   visible=role_predicate(*RESULT_READER_ROLES), order=45,
                   key="survey-campaigns")
register_menu_item("quality", _("Questionnaires"), "surveys:questionnaire-list",
                   visible=manager, order=46, key="survey-questionnaires")

register_widget("my-feedback", _("My feedback items"), "surveys/widgets/my_feedback.html",
                widgets.my_feedback, visible=role_predicate(
                    Role.AGENT, Role.TEAM_LEAD, Role.QUALITY_MANAGER,
                    Role.COMPLAINT_HANDLER, Role.MANAGEMENT, Role.ADMINISTRATOR), order=75)
register_widget("survey-results", _("Latest survey results"),
                "surveys/widgets/survey_results.html", widgets.latest_results,
                visible=role_predicate(*RESULT_READER_ROLES), order=76)
register_widget("survey-banner", _("Satisfaction survey"), "surveys/widgets/survey_banner.html",
                widgets.survey_banner, visible=customer, order=5, width=12)
register_inbox_source("feedback-to-confirm", _("Feedback to confirm"),
                      widgets.feedback_to_confirm, visible=everyone, order=25)
register_inbox_source("surveys-to-answer", _("Surveys to answer"), widgets.surveys_to_answer,
                      visible=everyone, order=26)
