"""Template tags of continual improvement: whether the reader may open improvement plans
(the quality target page offers one from a warning or critical evaluation)."""

from __future__ import annotations

from django import template

from .. import improvement

register = template.Library()


@register.simple_tag(takes_context=True)
def may_open_plans(context) -> bool:
    request = context.get("request")
    return request is not None and improvement.may_manage_plans(request.user)
