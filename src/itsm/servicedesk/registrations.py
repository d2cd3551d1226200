"""What the service desk declares in the core registry: its record types (service
requests, incidents, major incidents) and its periodic SLA jobs."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core.registry import everyone, register_record_type

from . import sla_tasks  # noqa: F401 - registers the periodic SLA jobs
from .models import Incident, MajorIncident, ServiceRequest

register_record_type(ServiceRequest, group="service_desk", label=_("Service requests"),
                     customer_label=_("My requests"), visible=everyone, order=10)
register_record_type(Incident, group="service_desk", label=_("Incidents"),
                     customer_label=_("My incidents"), visible=everyone, order=20)
register_record_type(MajorIncident, group="service_desk", label=_("Major incidents"), order=30,
                     menu_key="major-incidents")
