"""Choices of emergency plans and drills (SEC-3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    RETIRED = "retired", _("Retired")


class DrillEvaluation(models.TextChoices):
    GOOD = "good", _("Good")
    ADEQUATE = "adequate", _("Adequate")
    POOR = "poor", _("Poor")


#: The four phases of GB/T 28827.3: (field, English label, the standard's own term).
#: The Chinese term is the standard's designation and is shown next to the translated
#: label, so the plan page names the phases as the standard does in every language.
PHASES: tuple[tuple[str, str, str], ...] = (
    ("preparation", _("Emergency preparation"), "应急准备"),
    ("monitoring_warning", _("Monitoring and warning"), "监测与预警"),
    ("response", _("Emergency response"), "应急处置"),
    ("review", _("Review and improvement"), "总结改进"),
)
