"""``itsm check`` validates the change approval configuration."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from .choices import ChangeScale, Stage


@checks.register()
def check_approval_tiers(app_configs, **kwargs) -> list[checks.CheckMessage]:
    tiers = settings.ITSM_CHANGE_APPROVAL_TIERS
    errors = []
    if not isinstance(tiers, dict) or set(tiers) != set(ChangeScale.values):
        errors.append(checks.Error(
            "ITSM_CHANGE_APPROVAL_TIERS must map each change scale "
            f"({', '.join(ChangeScale.values)}) to a list of stages.", id="changes.E001"))
        return errors
    allowed = set(Stage.values) - {Stage.EMERGENCY, Stage.RETROSPECTIVE}
    for scale, stages in tiers.items():
        if not isinstance(stages, list) or not stages or set(stages) - allowed:
            errors.append(checks.Error(
                f"ITSM_CHANGE_APPROVAL_TIERS[{scale!r}] must be a non-empty list of "
                f"{', '.join(sorted(allowed))}.", id="changes.E002"))
    return errors
