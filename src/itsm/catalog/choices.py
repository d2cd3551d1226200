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
