"""What the quality app declares in the registries: the service-level report, and the
indicators it ships (``indicator_set``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core.registry import register_menu_item

from . import indicator_set
from .reports import may_see_reports

register_menu_item("quality", _("Service-level report"), "quality:service-level",
                   visible=may_see_reports, order=10, key="service-level-report")
indicator_set.register()
