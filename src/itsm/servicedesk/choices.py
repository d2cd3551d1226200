"""Statuses and channels of service requests."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


STATUS_COLORS = {
    RequestStatus.NEW: "info",
    RequestStatus.ASSIGNED: "primary",
    RequestStatus.IN_PROGRESS: "primary",
    RequestStatus.WAITING_CUSTOMER: "warning",
    RequestStatus.RESOLVED: "success",
    RequestStatus.CLOSED: "secondary",
    RequestStatus.CANCELLED: "secondary",
}


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IM = "im", _("IM / chat")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")
