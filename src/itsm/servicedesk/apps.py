from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "itsm.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from itsm.core.registry import everyone, register_record_type

        from . import (
            receivers,  # noqa: F401 - connects the signal receivers
            sla_tasks,  # noqa: F401 - registers the periodic jobs
        )
        from .models import Incident, MajorIncident, ServiceRequest

        register_record_type(ServiceRequest, namespace="servicedesk", name="request",
                             group="service_desk", label=_("Service requests"),
                             customer_label=_("My requests"), visible=everyone, order=10)
        register_record_type(Incident, namespace="servicedesk", name="incident",
                             group="service_desk", label=_("Incidents"),
                             customer_label=_("My incidents"), visible=everyone, order=20)
        register_record_type(MajorIncident, namespace="servicedesk", name="major",
                             group="service_desk", label=_("Major incidents"), order=30,
                             menu_key="major-incidents")
