"""Pages of complaints (the generic record views, with clocks, links and "take"), of
improvement actions, and of the complaint settings: cause categories and clock policies
(the generic object pages, ``core.object_views``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core import access, links
from itsm.core import rules as perms
from itsm.core import views as base
from itsm.core.object_views import ObjectViewMixin, object_views
from itsm.servicedesk.templatetags.sla import duration_text

from . import services
from .choices import ComplaintLevel
from .clocks import clocks_of
from .filtersets import ComplaintFilterSet, ImprovementActionFilterSet
from .forms import CauseCategoryForm, ComplaintForm, ComplaintPolicyForm, ImprovementActionForm
from .models import CauseCategory, Complaint, ComplaintPolicy, ImprovementAction
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


def complain_about(record, user) -> str | None:
    """The page raising a complaint about ``record`` (a ticket's "Complain about this
    ticket"), for those who may raise complaints."""
    if not (perms.can_add_record(user)
            and (Complaint.customers_may_create or access.is_staff_writer(user))):
        return None
    return f"{reverse('complaints:complaint-create')}?{urlencode({'about': record.number})}"


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


# --- Settings: cause categories and clock policies ----------------------------------------


class SettingMixin(ObjectViewMixin):
    """The pages of a complaint setting: who may manage complaints reads them (and the
    auditor), administrators change their provider's own; a shared default opens for
    no change (403)."""

    nav_template = "complaints/_settings_nav.html"
    write_denied = gettext_lazy("Only administrators may change complaint settings.")

    def may_read(self) -> bool:
        return services.may_read_settings(self.request.user)

    def may_write(self) -> bool:
        return services.may_change_settings(self.request.user)

    def get_object(self):
        """The setting the edit and delete pages change: the reader's own to change."""
        setting = super().get_object()
        services.require_setting_writer(self.request.user, setting)
        return setting


def cause_tree(causes: Iterable[CauseCategory], user) -> list[tuple]:
    """(category, whether ``user`` may change it, [(subcategory, may change)]) in order."""
    rows: dict[int | None, list] = defaultdict(list)
    for cause in causes:
        rows[cause.parent_id].append((cause, services.may_change_settings(user, cause)))
    return [(cause, writable, rows[cause.pk]) for cause, writable in rows[None]]


class CauseMixin(SettingMixin):
    model = CauseCategory
    form_class = CauseCategoryForm
    url_prefix = "complaints:cause"
    list_template = "complaints/cause_list.html"
    save_with = staticmethod(services.save_cause)

    def delete_object(self, instance: CauseCategory) -> None:
        services.delete_cause(instance, actor=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "objects" in context:  # the list (also after a refused delete)
            context["tree"] = cause_tree(context["objects"], self.request.user)
        return context


LEVEL_ORDER = {level: index for index, level in enumerate(ComplaintLevel.values)}


class PolicyMixin(SettingMixin):
    model = ComplaintPolicy
    form_class = ComplaintPolicyForm
    url_prefix = "complaints:policy"
    list_template = "complaints/policy_list.html"
    select_related = ("organization", "calendar")
    save_with = staticmethod(services.save_policy)

    def delete_object(self, instance: ComplaintPolicy) -> None:
        services.delete_policy(instance, actor=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "objects" in context:  # the list: all customers first, then by customer, level
            policies = sorted(context["objects"], key=lambda p: (
                p.organization is not None, p.organization.name if p.organization else "",
                LEVEL_ORDER.get(p.level, 0)))
            context["policies"] = [
                (p, duration_text(p.response_minutes * 60),
                 duration_text(p.resolution_minutes * 60) if p.resolution_minutes else None)
                for p in policies]
        return context


SETTING_VIEWS = ("list", "form", "delete")
CAUSE_VIEWS = object_views(CauseMixin, only=SETTING_VIEWS)
POLICY_VIEWS = object_views(PolicyMixin, only=SETTING_VIEWS)
