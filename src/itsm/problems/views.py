"""Web UI for problems: the generic record views, the incidents panel and the
known-error list."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core import views as base
from itsm.servicedesk.views import views_for

from . import filtersets, forms, models, resources, services


class ProblemContextMixin:
    """A problem's detail page lists the incidents it caused (``problem_incidents_panel``
    guards the include in ``core/record_detail.html``)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        record = context.get("record")
        if isinstance(self, base.RecordDetailView) and record is not None:
            context.update(problem_incidents_panel=True,
                           problem_incidents=list(services.incidents_of(record,
                                                                        self.request.user)),
                           can_link_incidents=access.is_staff_writer(self.request.user))
        return context


class ProblemMixin(ProblemContextMixin):
    model = models.Problem
    url_prefix = "problems:problem"
    form_class = forms.ProblemForm
    filterset_class = filtersets.ProblemFilterSet
    export_resource = resources.ProblemResource
    detail_fields = ("service", "category", "affected_system", "known_error", "root_cause",
                     "workaround", "fix_description", "accepted_risk", "resolved_at",
                     "closed_at")


PROBLEM_VIEWS = views_for(ProblemMixin)


class KnownErrorListView(PROBLEM_VIEWS["list"]):
    """The known-error list (已知错误库): problems with a published workaround."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"title": _("Known errors")}

    def get_queryset(self):
        return super().get_queryset().filter(known_error=True)
