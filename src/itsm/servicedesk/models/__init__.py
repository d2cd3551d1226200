"""Service desk models: tickets, major incidents, SLA clocks, satisfaction, intake."""

from .fulfilment import FulfilmentTask, RequestApproval
from .intake import AlertEvent, InboundMail
from .sla import SatisfactionRating, SLAClock
from .tickets import Incident, MajorIncident, ServiceRequest, Ticket

__all__ = ["AlertEvent", "FulfilmentTask", "InboundMail", "Incident", "MajorIncident",
           "RequestApproval", "SLAClock", "SatisfactionRating", "ServiceRequest", "Ticket"]
