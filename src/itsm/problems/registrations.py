"""What problem management declares in the core registry: the problem record type
and the known-error database."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core.registry import register_menu_item, register_record_type

from .models import Problem

register_record_type(Problem, group="problems_changes", order=10)
register_menu_item("problems_changes", _("Known errors"), "problems:known-errors",
                   order=15)
