"""Service desk models: tickets, major incidents, SLA clocks, satisfaction, intake."""

from .intake import AlertEvent, InboundMail
from .sla import SatisfactionRating, SLAClock
from .tickets import Incident, MajorIncident, ServiceRequest, Ticket

__all__ = ["AlertEvent", "InboundMail", "Incident", "MajorIncident", "SLAClock",
           "SatisfactionRating", "ServiceRequest", "Ticket"]
