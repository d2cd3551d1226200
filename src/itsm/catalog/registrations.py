"""What the catalogue declares in the core registry: the request types' pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core.registry import register_menu_item

register_menu_item("settings", _("Request types"), "catalog:requesttype-list", order=12,
                   key="request-types")
