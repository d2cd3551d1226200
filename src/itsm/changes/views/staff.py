"""Web UI for changes, the base of the pages of provider staff (calendar, CAB meetings,
master data): a 404 for everyone else."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from itsm.core import access
from itsm.core.views import SignedInMixin

from .. import services


class StaffOnlyMixin(SignedInMixin):
    """Pages of provider staff: a 404 for everyone else (as for the changes themselves)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not access.is_provider_staff(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(is_manager=services.is_manager(self.request.user), is_staff=True)
        return context
