"""Web UI for problems: the generic record views, the incidents panel and the
known-error list."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from itsm.core import access, rules
from itsm.core import views as base

from . import filtersets, forms, models, resources, services


class ProblemContextMixin:
    """A problem's detail page lists the incidents it caused and names the change that
    fixes it."""

    def panels(self, record, page: dict[str, Any]) -> list[base.Panel]:
        user = self.request.user
        fix = record.fix_change
        return [*super().panels(record, page),
                base.Panel("problems/_incidents.html", {
                    "problem_incidents": list(services.incidents_of(record, user)),
                    "can_link_incidents": access.is_staff_writer(user)}),
                base.Panel("problems/_fix_change.html", {
                    "fix_change": fix if fix is not None and rules.can_view_record(user, fix)
                    else None})]


class ProblemMixin(ProblemContextMixin):
    model = models.Problem
    form_class = forms.ProblemForm
    filterset_class = filtersets.ProblemFilterSet
    export_resource = resources.ProblemResource
    detail_fields = ("service", "category", "affected_system", "known_error", "root_cause",
                     "workaround", "fix_description", "accepted_risk", "resolved_at",
                     "closed_at")


PROBLEM_VIEWS = base.views_for(ProblemMixin)


class KnownErrorListView(PROBLEM_VIEWS["list"]):
    """The known-error list (已知错误库): problems with a published workaround."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"title": _("Known errors")}

    def get_queryset(self):
        return super().get_queryset().filter(known_error=True)
