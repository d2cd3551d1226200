"""Catalogue look-ups used by the service desk: priority matrix, policy, calendar.

Every ticket created or changed needs them, and they change a few times a year: they
are kept in the shared cache under the ``CATALOGUE`` and ``CALENDARS`` versions
(``core.cache``), which every change to the rows behind them renews (``signals``,
``core.invalidation``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings

from itsm.core.cache import cached
from itsm.core.choices import Priority
from itsm.core.models import BusinessCalendar, Organization
from itsm.core.models.calendars import CALENDARS

from .choices import DEFAULT_PRIORITY_MATRIX, DEFAULT_TARGETS
from .models import PriorityRule, RequestType, Service, SLAPolicy

#: The cache family of the priority matrix, SLA policies and targets, and services.
CATALOGUE = "catalogue"


def priority_matrix(provider_id: int) -> dict[tuple[int, int], int]:
    """The provider's own (impact, urgency) → priority rules."""
    return cached(CATALOGUE, f"priority-matrix:{provider_id}", lambda: {
        (impact, urgency): priority for impact, urgency, priority in
        PriorityRule.objects.filter(provider_id=provider_id)
        .values_list("impact", "urgency", "priority")})


def priority_for(organization: Organization, impact: int, urgency: int) -> int:
    """Impact × urgency → priority, from the provider's matrix or the shipped default."""
    rule = priority_matrix(organization.serving_provider_id).get((impact, urgency))
    if rule is not None:
        return rule
    return int(DEFAULT_PRIORITY_MATRIX.get((impact, urgency), Priority.GENERAL))


def active_policies(provider_id: int) -> list[SLAPolicy]:
    """The provider's active SLA policies with their targets (their calendars come from
    ``calendar_by_id()``, which follows calendar changes)."""
    return cached(CATALOGUE, f"sla-policies:{provider_id}", lambda: list(
        SLAPolicy.objects.filter(provider_id=provider_id, is_active=True)
        .prefetch_related("targets")))


def applicable_policy(*, provider_id: int, service_id: int | None,
                      customer_id: int | None, request_type_id: int | None = None
                      ) -> SLAPolicy | None:
    """The policy a request type carries when it names an active one, else the most
    specific active policy of the provider for a service and customer."""
    if request_type_id is not None:
        chosen = cached(CATALOGUE, f"request-type-policy:{request_type_id}", lambda: (
            RequestType.objects.filter(pk=request_type_id)
            .values_list("sla_policy_id", flat=True).first()))
        policy = next((p for p in active_policies(provider_id) if p.pk == chosen), None)
        if policy is not None:
            return policy
    candidates = [p for p in active_policies(provider_id)
                  if p.service_id in (service_id, None) and p.customer_id in (customer_id, None)]
    return max(candidates, key=lambda p: (p.specificity, -p.pk), default=None)


def calendar_by_id(pk: int) -> BusinessCalendar:
    """A business calendar by id."""
    return cached(CALENDARS, f"calendar:{pk}", lambda: BusinessCalendar.objects.get(pk=pk))


def calendar_exceptions(calendar: BusinessCalendar, first: dt.date, last: dt.date
                        ) -> list[list[Any]]:
    """``[date, kind, name]`` of the calendar's dated exceptions from first to last."""
    rows = cached(CALENDARS, f"calendar-exceptions:{calendar.pk}", lambda: list(
        calendar.exceptions.order_by("date", "pk").values_list("date", "kind", "name")))
    return [[str(day), kind, name] for day, kind, name in rows if first <= day <= last]


def default_calendar() -> BusinessCalendar:
    """The calendar used when neither the policy nor the service names one."""
    name = hashlib.sha256(settings.ITSM_DEFAULT_CALENDAR.encode()).hexdigest()[:16]
    return calendar_by_id(cached(CALENDARS, f"default:{name}", lambda: _default_calendar().pk))


def _default_calendar() -> BusinessCalendar:
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
        return calendar_by_id(policy.calendar_id)
    if service is not None:
        return calendar_by_id(service.calendar_id)
    return default_calendar()
