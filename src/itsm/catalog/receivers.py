"""The catalogue's signal receivers (imported by ``CatalogConfig.ready``): cached
catalogue data (``services.CATALOGUE``) follows every change to the rows behind it
(calendars: ``core.receivers``)."""

from __future__ import annotations

from itsm.core.cache import bump_on_change

from .models import PriorityRule, RequestType, Service, SLAPolicy, SLATarget
from .services import CATALOGUE

bump_on_change(CATALOGUE, PriorityRule, RequestType, Service, SLAPolicy, SLATarget)
