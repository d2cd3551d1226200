"""Catalogue look-ups used by the service desk: priority matrix, policy, calendar."""

from __future__ import annotations

from django.conf import settings

from itsm.core.choices import Priority
from itsm.core.models import BusinessCalendar, Organization

from .choices import DEFAULT_PRIORITY_MATRIX, DEFAULT_TARGETS
from .models import PriorityRule, Service, SLAPolicy


def priority_for(organization: Organization, impact: int, urgency: int) -> int:
    """Impact × urgency → priority, from the provider's matrix or the shipped default."""
    rule = PriorityRule.objects.filter(provider_id=organization.serving_provider_id,
                                       impact=impact, urgency=urgency).first()
    if rule is not None:
        return rule.priority
    return int(DEFAULT_PRIORITY_MATRIX.get((impact, urgency), Priority.GENERAL))


def default_calendar() -> BusinessCalendar:
    """The calendar used when neither the policy nor the service names one."""
    calendar = BusinessCalendar.objects.filter(name=settings.ITSM_DEFAULT_CALENDAR).first()
    if calendar is None:
        calendar = (BusinessCalendar.objects.filter(always_on=False, windows__isnull=False)
                    .order_by("pk").first()
                    or BusinessCalendar.objects.filter(always_on=True).order_by("pk").first())
    if calendar is None:
        calendar = BusinessCalendar.objects.create(name="7×24", always_on=True)
    return calendar


def targets_for(policy: SLAPolicy | None, priority: int) -> tuple[int, int]:
    """(response, resolution) working minutes for a priority."""
    target = policy.target_for(priority) if policy is not None else None
    if target is not None:
        return target.response_minutes, target.resolution_minutes
    return DEFAULT_TARGETS[Priority(priority)]


def calendar_for(policy: SLAPolicy | None, service: Service | None) -> BusinessCalendar:
    if policy is not None and policy.calendar_id:
        return policy.calendar
    if service is not None:
        return service.calendar
    return default_calendar()
