"""Configuration items, their types and relations, and links from records to CIs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.core.limits import DESCRIPTION_MAX_LENGTH
from itsm.core.models import Organization, ScopedQuerySet, SharedQuerySet, Team
from itsm.core.safejson import BoundedJSONDecoder

from .choices import CIStatus, Environment, RelationKind


class CIType(models.Model):
    """A kind of configuration item (system, server, database …) and its attributes."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    attributes = models.JSONField(
        _("attributes"), default=list, blank=True, decoder=BoundedJSONDecoder,
        help_text=_("Names of the attributes items of this type carry, e.g. IP address."))

    objects = SharedQuerySet.as_manager()

    class Meta:
        verbose_name = _("CI type")
        verbose_name_plural = _("CI types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConfigurationItem(models.Model):
    """A configuration item (配置项) of an organization."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"),
                                     on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    ci_type = models.ForeignKey(CIType, verbose_name=_("type"), on_delete=models.PROTECT,
                                related_name="items")
    status = models.CharField(_("status"), max_length=16, choices=CIStatus.choices,
                              default=CIStatus.ACTIVE)
    environment = models.CharField(_("environment"), max_length=16,
                                   choices=Environment.choices,
                                   default=Environment.PRODUCTION)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"),
                              on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    owner_team = models.ForeignKey(Team, verbose_name=_("owner team"),
                                   on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    service = models.ForeignKey("catalog.Service", verbose_name=_("service"),
                                on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="configuration_items",
                                help_text=_("The catalogue service this item provides."))
    description = models.TextField(_("description"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True,
                                  decoder=BoundedJSONDecoder)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"],
                                               name="unique_ci_name")]
        indexes = [models.Index(fields=["organization", "ci_type", "status"],
                                name="ci_org_type_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def status_color(self) -> str:
        return CIStatus.color_of(self.status)


class CIRelation(models.Model):
    """``source`` *kind* ``target`` (an application depends on a database)."""

    source = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE,
                               related_name="outgoing")
    target = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE,
                               related_name="incoming")
    kind = models.CharField(_("relation"), max_length=16, choices=RelationKind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("CI relation")
        verbose_name_plural = _("CI relations")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"],
                                    name="unique_ci_relation"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")),
                                   name="ci_relation_not_to_itself"),
        ]
        indexes = [models.Index(fields=["target", "kind"], name="ci_relation_target")]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class RecordCI(models.Model):
    """An incident, problem or change touches a configuration item."""

    record_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    record_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("record_type", "record_id")
    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE,
                           related_name="record_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("affected configuration item")
        verbose_name_plural = _("affected configuration items")
        constraints = [models.UniqueConstraint(fields=["record_type", "record_id", "ci"],
                                               name="unique_record_ci")]
        indexes = [models.Index(fields=["record_type", "record_id"], name="record_ci_record"),
                   models.Index(fields=["ci"], name="record_ci_ci")]

    def __str__(self) -> str:
        return f"{self.record_type_id}:{self.record_id} → {self.ci_id}"
