"""Notification channels, per-person preferences, and the log of every notification."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access
from ..choices import ChannelKind, Language, NotificationEvent, NotificationStatus
from ..safejson import BoundedJSONDecoder
from .records import Organization, ProviderStaffQuerySet, ScopedQuerySet


class NotificationChannel(models.Model):
    """Where notifications go besides personal email: an IM robot or a signed webhook."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"),
                                     on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    target = models.CharField(
        _("address"), max_length=500,
        help_text=_("Robot webhook URL, webhook URL, or email addresses separated by commas."))
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list, blank=True,
                              decoder=BoundedJSONDecoder,
                              help_text=_("Event codes to send; empty means all."))
    rate_limit_per_minute = models.PositiveSmallIntegerField(_("messages per minute"),
                                                             default=20)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["organization", "name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.is_active and (not self.events or event in self.events)


class NotificationTemplate(models.Model):
    """A provider's own subject and body for one event in one language.

    Administrators of the provider write them; they are Jinja2 text rendered in a
    sandbox (``core.templating``) against a flat dict of strings, and a template that
    fails falls back to the built-in text.
    """

    provider = models.ForeignKey(Organization, verbose_name=_("provider"),
                                 on_delete=models.PROTECT, related_name="+")
    event = models.CharField(_("event"), max_length=32, choices=NotificationEvent.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    subject_template = models.CharField(_("subject"), max_length=1000)
    body_template = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"),
                                   on_delete=models.SET_NULL, null=True, blank=True,
                                   editable=False, related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProviderStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        ordering = ["event", "language", "id"]
        constraints = [models.UniqueConstraint(fields=["provider", "event", "language"],
                                               name="unique_notification_template")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} ({self.get_language_display()})"


class NotificationPreference(models.Model):
    """A person's choice per event: email and/or IM (default both on)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notification_preferences")
    event = models.CharField(_("event"), max_length=32, choices=NotificationEvent.choices)
    email = models.BooleanField(_("email"), default=True)
    im = models.BooleanField(_("IM"), default=True)
    in_app = models.BooleanField(_("in the app"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event"],
                                               name="unique_notification_preference")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}"


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user) -> NotificationQuerySet:
        """The provider's staff see the notifications of their scope: about its records
        or sent through its channels."""
        if not access.is_provider_staff(user):
            return self.none()
        scope = access.scope_organization_ids(user)
        return self.filter(models.Q(organization_id__in=scope)
                           | models.Q(channel__organization_id__in=scope))


class Notification(models.Model):
    """One message to one recipient or channel; sent by a job after commit.

    ``dedupe_key`` makes an event notify at most once however many workers race.
    """

    event = models.CharField(_("event"), max_length=32, choices=NotificationEvent.choices)
    channel = models.ForeignKey(NotificationChannel, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="notifications")
    recipient = models.CharField(_("recipient"), max_length=500)
    #: The person of an in-app notification (the bell): shown to them, read or not; sent
    #: by no job. Email and channel notifications have none.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"),
                             on_delete=models.CASCADE, null=True, blank=True,
                             related_name="in_app_notifications")
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    payload = models.JSONField(default=dict, blank=True)
    record_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=NotificationStatus.choices,
                              default=NotificationStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"]),
                   models.Index(fields=["record_type", "record_id"]),
                   models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient}"


class NotificationAttempt(models.Model):
    """Every delivery attempt, successful or not (GEN-6: every notification is logged)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE,
                                     related_name="attempt_log")
    attempted_at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response = models.TextField(blank=True)

    class Meta:
        verbose_name = _("notification attempt")
        verbose_name_plural = _("notification attempts")
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.notification_id} {'ok' if self.ok else 'failed'}"
