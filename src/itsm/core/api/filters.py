"""Filter backends shared by every viewset."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


class StrictOrderingFilter(OrderingFilter):
    """Ordering by allow-listed fields only: anything else is a 400, never ignored."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if not params:
            return self.get_default_ordering(view)
        fields = [p.strip() for p in params.split(",") if p.strip()]
        if not fields:
            return self.get_default_ordering(view)
        valid = {name for name, _label
                 in self.get_valid_fields(queryset, view, {"request": request})}
        bad = [f for f in fields if f.lstrip("-") not in valid]
        if bad:
            raise ValidationError({
                self.ordering_param: [
                    _("Cannot sort by “%(field)s”. Choose one of: %(valid)s.")
                    % {"field": bad[0], "valid": ", ".join(sorted(valid))}
                ]
            })
        if not {"id", "-id", "pk", "-pk"} & set(fields):
            # A unique last key: with ties (priority, status) pages would otherwise
            # overlap or skip rows, as the database may order ties differently each time.
            fields.append("-pk")
        return fields
