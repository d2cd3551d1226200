"""Web UI of emergency plans and drills: lists, detail pages and forms, on the generic
object pages (``core.object_views``).

Querysets start from ``visible_to(user)``: a plan or drill outside the reader's scope
is a 404. Writes go through ``security.services`` and are open to security officers,
team leads and administrators of the provider.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core.object_views import ObjectDetailView, ObjectViewMixin, object_views

from . import services
from .choices import PHASES
from .forms import DrillForm, PlanForm
from .models import Drill, EmergencyPlan


class SecurityViewMixin(ObjectViewMixin):
    success_view = "detail"
    write_denied = gettext_lazy("Only security officers, team leads and administrators "
                                "may change emergency plans and drills.")

    def may_write(self) -> bool:
        return services.can_write(self.request.user)


class PlanMixin(SecurityViewMixin):
    model = EmergencyPlan
    form_class = PlanForm
    url_prefix = "security:plan"
    list_template = "security/plan_list.html"
    detail_template = "security/plan_detail.html"
    new_title = gettext_lazy("New emergency plan")
    context_object_name = "plan"
    select_related = ("customer", "service")

    save_with = staticmethod(services.save_plan)


class PlanDetailView(PlanMixin, ObjectDetailView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan, user = context["plan"], self.request.user
        context.update(
            phases=[(name, label, term, getattr(plan, name)) for name, label, term in PHASES],
            drills=Drill.objects.visible_to(user).filter(plan=plan),
            uses=services.plan_uses(plan, user) if context["is_staff"] else [],
            record_types=sorted(services.PLAN_USE_TYPES),
        )
        return context


class PlanUseAddView(PlanDetailView):
    """Record that a major incident was handled following this plan."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = self.get_object()
        self.require_writer()
        record_type = request.POST.get("record_type", "")
        try:
            model = services.record_model(record_type)
            number = request.POST.get("record", "").strip()
            record = model.objects.visible_to(request.user).filter(number=number).first()
            if record is None:
                raise ValidationError({"record_id": _("No such record.")})
            services.record_plan_use(record, plan, actor=request.user,
                                     note=request.POST.get("note", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self.render_to_response(self.get_context_data(instance=plan), status=400)
        messages.success(request, _("Plan use recorded."))
        return redirect("security:plan-detail", pk=plan.pk)


class DrillMixin(SecurityViewMixin):
    model = Drill
    form_class = DrillForm
    url_prefix = "security:drill"
    list_template = "security/drill_list.html"
    detail_template = "security/drill_detail.html"
    new_title = gettext_lazy("New drill")
    context_object_name = "drill"
    initial_from_query = ("plan",)
    select_related = ("plan",)

    save_with = staticmethod(services.save_drill)


PLAN_VIEWS = object_views(PlanMixin, only=("list", "form"), extra={"detail": PlanDetailView})
DRILL_VIEWS = object_views(DrillMixin, only=("list", "detail", "form"))
