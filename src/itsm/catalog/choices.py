"""Impact, urgency and the shipped SLA defaults of the manuals (SLM-2, SLM-3, INC-2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import Priority


class Impact(models.IntegerChoices):
    ENTERPRISE = 1, _("Whole organization")
    DEPARTMENT = 2, _("Department or site")
    GROUP = 3, _("Group of users")
    INDIVIDUAL = 4, _("Single user")


class Urgency(models.IntegerChoices):
    CRITICAL = 1, _("Critical: work has stopped")
    HIGH = 2, _("High: work is seriously impaired")
    MEDIUM = 3, _("Medium: a workaround exists")
    LOW = 4, _("Low: can wait")


#: impact × urgency → priority (INC-2); the default matrix, editable per provider.
DEFAULT_PRIORITY_MATRIX = {
    (i, u): Priority(min(4, max(1, (i + u) // 2))) for i in range(1, 5) for u in range(1, 5)
}

#: priority → (response minutes, resolution minutes). Response ≤2 h and fault repair
#: ≤4 h (SLM-2), average handling within 24 h (REQ-4).
DEFAULT_TARGETS = {
    Priority.URGENT: (30, 4 * 60),
    Priority.IMPORTANT: (120, 8 * 60),
    Priority.GENERAL: (120, 24 * 60),
    Priority.NOT_IMPORTANT: (240, 72 * 60),
}


class FieldKind(models.TextChoices):
    """What a request type's own field asks for (declared as data: SLM-1, REQ-2)."""

    TEXT = "text", _("Text (one line)")
    TEXTAREA = "textarea", _("Text (several lines)")
    NUMBER = "number", _("Number")
    CHOICE = "choice", _("Choice")
    DATE = "date", _("Date")
    PERSON = "person", _("Person")
    CI = "ci", _("Configuration item")
    ATTACHMENT = "attachment", _("Attachment")


class ApproverKind(models.TextChoices):
    """Who approves one step of a request type's approvals."""

    DEPARTMENT_HEAD = "department_head", _("The requester's department head")
    ROLE = "role", _("People holding a role")


#: The icons a request type or service tile may show (Bootstrap Icons, shipped).
TILE_ICONS = (
    "grid", "printer", "laptop", "pc-display", "phone", "envelope", "key", "shield-lock",
    "wifi", "hdd-network", "cloud", "database", "server", "person-plus", "person-badge",
    "headset", "tools", "box-seam", "file-earmark-text", "globe", "camera-video", "cart",
    "building", "calendar-event", "lightning", "bug", "question-circle",
)
