"""Choices of quality targets and their evaluations."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF_YEAR = "half_year", _("Half-year")
    YEAR = "year", _("Year")


class EvaluationState(models.TextChoices):
    MET = "met", _("Met")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")
    NO_DATA = "no_data", _("No data")


#: How bad a state is: an alert goes out when an evaluation is worse than the one before.
SEVERITY = {EvaluationState.NO_DATA: 0, EvaluationState.MET: 0, EvaluationState.WARNING: 1,
            EvaluationState.CRITICAL: 2}
#: The Bootstrap colour of each state (the traffic light).
STATE_COLOURS = {EvaluationState.MET: "success", EvaluationState.WARNING: "warning",
                 EvaluationState.CRITICAL: "danger", EvaluationState.NO_DATA: "secondary"}
