"""``itsm check`` validates the login security configuration."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from .choices import Role


@checks.register(checks.Tags.security)
def check_two_factor_roles(app_configs, **kwargs) -> list[checks.CheckMessage]:
    roles = list(getattr(settings, "ITSM_2FA_REQUIRED_ROLES", []))
    messages: list[checks.CheckMessage] = []
    unknown = sorted(set(roles) - set(Role.values))
    if unknown:
        messages.append(checks.Error(
            f"ITSM_2FA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}.",
            hint=f"Use role codes: {', '.join(Role.values)}.", id="core.E001"))
    if getattr(settings, "PRODUCTION", False) and Role.ADMINISTRATOR not in roles:
        messages.append(checks.Warning(
            "Two-factor authentication is not required for administrators.",
            hint='Include "administrator" in ITSM_2FA_REQUIRED_ROLES (the default).',
            id="core.W001"))
    return messages
