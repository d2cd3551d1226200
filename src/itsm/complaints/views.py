"""Pages of complaints (the generic record views, with clocks, links and "take") and of
improvement actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from itsm.core import access, links
from itsm.core import views as base

from . import services
from .clocks import clocks_of
from .filtersets import ComplaintFilterSet, ImprovementActionFilterSet
from .forms import ComplaintForm, ImprovementActionForm
from .models import Complaint, ImprovementAction
from .resources import ComplaintResource, ImprovementActionResource

COMPLAINT_FIELDS = ("level", "channel", "received_at", "service", "system", "remedy_sought",
                    "assessment", "resolution", "compensation", "cause_category",
                    "satisfaction_score", "responded_at", "closed_at")


class ComplaintMixin:
    model = Complaint
    form_class = ComplaintForm
    filterset_class = ComplaintFilterSet
    export_resource = ComplaintResource
    detail_fields = COMPLAINT_FIELDS

    def get_queryset(self):
        return super().get_queryset().select_related("service", "cause_category__parent")

    def panels(self, record, page: dict[str, Any]) -> list[base.Panel]:
        user = self.request.user
        clocks = clocks_of(record)
        panels = [*super().panels(record, page), base.Panel("complaints/_complaint.html", {
            "linked_records": links.linked_records(record, user),
            "can_take": (services.is_handler(user) and record.assignee_id != user.pk
                         and not record.is_final),
        })]
        if clocks:
            panels.append(base.Panel("servicedesk/_sla.html", {
                "sla_clocks": [clocks[k] for k in ("response", "resolution") if k in clocks]},
                slot="side"))
        return panels


class ComplaintFormView(base.RecordFormView):
    """Create or edit; ``?about=INC-…`` raises the complaint about that record."""

    template_name = "complaints/complaint_form.html"

    def about(self) -> list:
        number = (self.request.GET.get("about") or self.request.POST.get("about") or "").strip()
        if not number:
            return []
        record = links.find_visible_record(self.request.user, number=number)
        return [record] if record is not None else []

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "about": self.about()}

    def save(self, form, record):
        if record is not None:
            return super().save(form, record)
        data = form.service_data()
        if "organization" not in data:
            data["organization"] = access.organization_of(self.request.user)
        return services.create_complaint(actor=self.request.user, data=data,
                                         about=self.about())


class TakeView(base.RecordActionView):
    """POST: the handler takes the complaint (others get 403)."""

    def act(self, record) -> dict | None:
        if not services.is_handler(self.request.user):
            raise PermissionDenied(_("Only designated complaint handlers may take complaints."))
        services.take_complaint(record, actor=self.request.user)
        messages.success(self.request, _("%(number)s is yours now.") % {"number": record.number})
        return None


COMPLAINT_VIEWS = base.views_for(ComplaintMixin, {"form": ComplaintFormView,
                                                  "take": TakeView})


class ImprovementActionMixin:
    model = ImprovementAction
    form_class = ImprovementActionForm
    filterset_class = ImprovementActionFilterSet
    export_resource = ImprovementActionResource
    detail_fields = ("cause_category", "measure", "verification", "verified_at")

    def panels(self, record, page: dict[str, Any]) -> list[base.Panel]:
        return [*super().panels(record, page), base.Panel("complaints/_complaint.html", {
            "linked_records": links.linked_records(record, self.request.user),
            "can_take": False})]


IMPROVEMENT_VIEWS = base.views_for(ImprovementActionMixin)
