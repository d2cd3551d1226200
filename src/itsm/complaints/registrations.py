"""What complaints declare in the core registry: the complaint and improvement-action
record types, the report pages, the home-page cards and inbox entries, the clocks' stage
recipients (the SLA sweep) and the monthly report job."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.registry import (
    everyone,
    register_inbox_source,
    register_menu_item,
    register_record_action,
    register_record_type,
    register_widget,
    role_predicate,
)
from itsm.servicedesk.mailintake.intake import register_mail_route
from itsm.servicedesk.models import Incident, ServiceRequest
from itsm.servicedesk.sla import register_clock_type

from . import (
    tasks,  # noqa: F401 - registers the monthly report job
    widgets,
)
from .choices import HANDLER_ROLES
from .clocks import stage_recipients
from .models import CauseCategory, Complaint, ComplaintPolicy, ImprovementAction
from .services import create_from_mail, may_manage, may_read_settings
from .views import complain_about

register_record_type(Complaint, group="service_desk", label=_("Complaints"),
                     customer_label=_("My complaints"), visible=everyone, order=40)
register_record_type(ImprovementAction, group="quality", label=_("Improvement actions"),
                     order=40)
register_menu_item("quality", _("Complaint report"), "complaints:report", visible=may_manage,
                   order=42)
register_menu_item("quality", _("Complaint handling assessment"), "complaints:assessment",
                   visible=may_manage, order=44)
register_menu_item("settings", CauseCategory._meta.verbose_name_plural, "complaints:cause-list",
                   visible=may_read_settings, order=40, key="complaint-causes")
register_menu_item("settings", ComplaintPolicy._meta.verbose_name_plural,
                   "complaints:policy-list", visible=may_read_settings, order=42,
                   key="complaint-policies")
register_clock_type(Complaint, recipients=stage_recipients)
register_mail_route(settings.COMPLAINTS_MAIL_ADDRESS, create_from_mail, Complaint)


def customer(user) -> bool:
    return everyone(user) and not access.is_provider_staff(user)


register_widget("complaints-awaiting", _("Complaints awaiting a response"),
                "complaints/widgets/awaiting.html", widgets.awaiting_response,
                visible=role_predicate(*HANDLER_ROLES, Role.MANAGEMENT), order=55)
register_widget("complaint-trend", _("Complaint trend"), "complaints/widgets/trend.html",
                widgets.complaint_trend,
                visible=role_predicate(Role.MANAGEMENT, Role.QUALITY_MANAGER), order=65)
register_inbox_source("complaints-mine", _("Complaints to handle"),
                      widgets.awaiting_my_response, visible=role_predicate(*HANDLER_ROLES),
                      order=25)
register_inbox_source("complaint-confirmations", _("Complaint resolutions to confirm"),
                      widgets.resolutions_to_confirm, visible=customer, order=22)
register_record_action("complain", _("Complain about this ticket"), complain_about,
                       models=(ServiceRequest, Incident), order=10)
