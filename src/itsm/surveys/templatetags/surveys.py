"""Template helpers of the answer page: a field's value(s) and error by field name."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def value_of(values: Any, name: str) -> str:
    return values.get(name, "") if hasattr(values, "get") else ""


@register.filter
def values_of(values: Any, name: str) -> list[str]:
    return values.getlist(name) if hasattr(values, "getlist") else []


@register.filter
def error_of(errors: dict[str, str], name: str) -> str:
    return errors.get(name, "")
