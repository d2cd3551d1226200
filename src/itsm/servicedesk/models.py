"""Service desk records."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm.core.models import Record

from .choices import SERVICE_REQUEST_WORKFLOW, Channel, RequestStatus


class ServiceRequest(Record):
    """A service request (服务请求): the example record type the service desk builds on."""

    number_prefix = "REQ"
    workflow = SERVICE_REQUEST_WORKFLOW

    category = models.CharField(_("category"), max_length=100, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.PORTAL
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"], name="req_org_status"),
            models.Index(fields=["assignee_team", "status"], name="req_team_status"),
            models.Index(fields=["assignee", "status"], name="req_assignee_status"),
            models.Index(fields=["requester", "-created_at"], name="req_requester"),
            models.Index(fields=["-created_at", "-id"], name="req_created"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("servicedesk:request-detail", args=[self.pk])

    @property
    def status_color(self) -> str:
        from .choices import STATUS_COLORS

        return STATUS_COLORS.get(self.status, "secondary")


__all__ = ["RequestStatus", "ServiceRequest"]
