"""What the quality app declares in the core registry: the service-level report."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core.registry import register_menu_item

from .reports import may_see_reports

register_menu_item("quality", _("Service-level report"), "quality:service-level",
                   visible=may_see_reports, order=10, key="service-level-report")
