"""What the security app declares in the core registry: emergency plans and drills."""

from __future__ import annotations

from itsm.core.registry import register_menu_item

from .models import Drill, EmergencyPlan

register_menu_item("security", EmergencyPlan._meta.verbose_name_plural,
                   "security:plan-list", order=10, key="emergency-plans")
register_menu_item("security", Drill._meta.verbose_name_plural,
                   "security:drill-list", order=20, key="drills")
