"""Configuration item kinds, states and relation types (CMDB)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import ColoredTextChoices


class CIStatus(ColoredTextChoices):
    PLANNED = "planned", "info", _("Planned")
    ACTIVE = "active", "success", _("In service")
    MAINTENANCE = "maintenance", "warning", _("Under maintenance")
    RETIRED = "retired", "secondary", _("Retired")


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    DISASTER_RECOVERY = "dr", _("Disaster recovery")
    TEST = "test", _("Test")
    DEVELOPMENT = "development", _("Development")


class RelationKind(models.TextChoices):
    """``source`` *kind* ``target``: e.g. an application depends on a database."""

    DEPENDS_ON = "depends_on", _("depends on")
    RUNS_ON = "runs_on", _("runs on")
    CONNECTED_TO = "connected_to", _("connected to")
    PART_OF = "part_of", _("part of")


#: Relations along which a failure of the target affects the source.
IMPACTING_KINDS = (RelationKind.DEPENDS_ON, RelationKind.RUNS_ON, RelationKind.PART_OF)

#: The CI types seeded by the migration: (code, name).
DEFAULT_CI_TYPES = [
    ("system", _("Information system")),
    ("application", _("Application")),
    ("server", _("Server")),
    ("network", _("Network device")),
    ("database", _("Database")),
    ("service", _("Service")),
    ("storage", _("Storage")),
    ("document", _("Document")),
]
