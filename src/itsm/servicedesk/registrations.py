"""What the service desk declares in the core registry: its record types (service
requests, incidents, major incidents) and its periodic SLA jobs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import Role
from itsm.core.registry import (
    everyone,
    register_inbox_source,
    register_menu_item,
    register_record_panel,
    register_record_type,
    register_widget,
    role_predicate,
)
from itsm.core.workspace import my_requests

from . import (
    portal,
    sla_tasks,  # noqa: F401 - registers the periodic SLA jobs
    widgets,
)
from .models import Incident, MajorIncident, ServiceRequest

register_menu_item("service_desk", _("Service catalogue"), "servicedesk:portal",
                   visible=everyone, order=5, key="catalogue")
register_record_type(ServiceRequest, group="service_desk", label=_("Service requests"),
                     customer_label=_("My requests"), visible=everyone, order=10)
register_record_type(Incident, group="service_desk", label=_("Incidents"),
                     customer_label=_("My incidents"), visible=everyone, order=20)
register_record_type(MajorIncident, group="service_desk", label=_("Major incidents"), order=30,
                     menu_key="major-incidents")

#: The roles that look at the numbers of the whole service.
MANAGEMENT = (Role.QUALITY_MANAGER, Role.MANAGEMENT, Role.ADMINISTRATOR, Role.AUDITOR)


def customer(user) -> bool:
    return everyone(user) and not access.is_provider_staff(user)


# The home page (工作台) and the inbox: the customer's requests, a lead's team, the
# managers' numbers (``widgets``).
register_widget("my-requests", _("My open requests"), "servicedesk/widgets/my_requests.html",
                my_requests, visible=customer, order=10, width=12)
register_widget("team-load", _("Team load per member"), "servicedesk/widgets/team_load.html",
                widgets.team_load, visible=role_predicate(Role.TEAM_LEAD), order=40)
register_widget("unassigned", _("Unassigned"), "servicedesk/widgets/unassigned.html",
                widgets.unassigned, visible=role_predicate(Role.TEAM_LEAD), order=45)
register_widget("sla-attainment", _("SLA attainment"),
                "servicedesk/widgets/sla_attainment.html", widgets.sla_attainment,
                visible=role_predicate(*MANAGEMENT, Role.TEAM_LEAD), order=50)
register_widget("volume-trend", _("Volume and backlog by priority"),
                "servicedesk/widgets/volume_trend.html", widgets.volume_trend,
                visible=role_predicate(*MANAGEMENT), order=60)
register_widget("satisfaction", _("Satisfaction"), "servicedesk/widgets/satisfaction.html",
                widgets.satisfaction, visible=role_predicate(*MANAGEMENT), order=70)
register_widget("major-incidents", _("Major incidents"),
                "servicedesk/widgets/major_incidents.html", widgets.major_incidents,
                visible=role_predicate(*MANAGEMENT, Role.TEAM_LEAD), order=80)
register_record_panel("request-type", portal.request_type_panel, models=(ServiceRequest,),
                      order=10)
register_inbox_source("request-approvals", _("Requests waiting for my approval"),
                      widgets.approvals_waiting, visible=everyone, order=15)
register_inbox_source("fulfilment-tasks", _("Fulfilment tasks of my teams"),
                      widgets.team_tasks, order=35)
register_inbox_source("confirmations", _("Resolutions to confirm"),
                      widgets.confirmations_owed, visible=everyone, order=20)
