"""Report subscriptions and the report archive (``core.reports``).

A :class:`ReportSubscription` sends one registered report (its key) with fixed
parameters on a schedule — monthly or quarterly, for the period that just ended — to
chosen people and to the provider's staff holding chosen roles. Every report sent is
kept as an :class:`ArchivedReport`: the file itself (in the media storage) with its size
and SHA-256, what it was made of and who got it. Archived reports are never deleted
through the UI or the API.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import ReportFormat, ReportFrequency, Role
from .records import Organization, ProviderStaffQuerySet


class ReportSubscription(models.Model):
    """A report sent on a schedule (see the module's docstring). ``roles`` are role
    codes (``core.choices.Role``), resolved to the provider's active staff holding them
    when the report is sent; ``next_run`` is when the job sends it next."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    report = models.CharField(_("report"), max_length=64)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    frequency = models.CharField(_("frequency"), max_length=16,
                                 choices=ReportFrequency.choices,
                                 default=ReportFrequency.MONTHLY)
    format = models.CharField(_("format"), max_length=8, choices=ReportFormat.choices,
                              default=ReportFormat.PDF)
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("people"),
                                    blank=True, related_name="+")
    roles = models.JSONField(_("roles"), default=list, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    next_run = models.DateTimeField(_("next run"))
    last_sent = models.DateTimeField(_("last sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ProviderStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["report", "pk"]
        indexes = [models.Index(fields=["is_active", "next_run"],
                                name="report_subscription_due")]

    def __str__(self) -> str:
        return f"{self.report} · {self.get_frequency_display()}"

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(code).label) if code in Role.values else code for code in self.roles]


def archive_path(instance: ArchivedReport, filename: str) -> str:
    """Archived files under generated names (the report's name is in the row)."""
    return (f"reports/{instance.provider_id}/{timezone.now():%Y/%m}/"
            f"{uuid.uuid4().hex}.{instance.format}")


class ArchivedReport(models.Model):
    """One produced report file, kept (see the module's docstring). A subscription's
    report is archived once per period (a unique constraint): a second worker sending
    the same period finds it there and sends nothing."""

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    report = models.CharField(_("report"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    period_label = models.CharField(_("report period"), max_length=32)
    format = models.CharField(_("format"), max_length=8, choices=ReportFormat.choices)
    file = models.FileField(_("file"), upload_to=archive_path, max_length=255)
    file_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    subscription = models.ForeignKey(ReportSubscription, verbose_name=_("subscription"),
                                     on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="archived")
    produced_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("produced by"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    recipients = models.JSONField(_("sent to"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = ProviderStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("archived report")
        verbose_name_plural = _("archived reports")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["subscription", "period_label"],
                                               name="unique_subscription_period")]
        indexes = [models.Index(fields=["provider", "-created_at"],
                                name="archived_report_provider")]

    def __str__(self) -> str:
        return f"{self.title} {self.period_label}"
