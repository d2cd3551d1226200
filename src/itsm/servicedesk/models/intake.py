"""What arrives from outside: inbound mail and monitoring alerts."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import AlertSource, AlertStatus, InboundMailStatus


class InboundMail(models.Model):
    """One message fetched from the intake mailbox, processed exactly once.

    ``message_key`` (a hash of the Message-ID, or of the raw message when it has none)
    is unique, so the same message fetched twice, even concurrently, is stored and
    turned into a ticket once.
    """

    message_key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    mailbox = models.CharField(_("mailbox"), max_length=200, blank=True)
    from_address = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(_("status"), max_length=16, choices=InboundMailStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    raw = models.FileField(_("raw message"), upload_to="mail/%Y/%m", max_length=255,
                           blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    record_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    record_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mail")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.subject}"


class AlertEvent(models.Model):
    """A monitoring alert received (firing or resolved), linked to its incident."""

    source = models.CharField(_("source"), max_length=16, choices=AlertSource.choices)
    fingerprint = models.CharField(_("fingerprint"), max_length=200, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=AlertStatus.choices)
    name = models.CharField(_("alert"), max_length=300, blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    incident = models.ForeignKey("servicedesk.Incident", on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="alert_events")

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.fingerprint} {self.status}"
