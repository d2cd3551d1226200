"""Web UI of emergency plans and drills: lists, detail pages and forms.

Querysets start from ``visible_to(user)``: a plan or drill outside the reader's scope
is a 404. Writes go through ``security.services`` and are open to security officers,
team leads and administrators of the provider.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from itsm.core import access
from itsm.core.views import SignedInMixin, add_errors

from . import services
from .choices import PHASES
from .forms import DrillForm, PlanForm
from .models import Drill, EmergencyPlan


class SecurityViewMixin(SignedInMixin):
    model: type[EmergencyPlan] | type[Drill] = EmergencyPlan

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def may_write(self) -> bool:
        return services.can_write(self.request.user)

    def require_writer(self) -> None:
        if not self.may_write():
            raise PermissionDenied(_("Only security officers, team leads and administrators "
                                     "may change emergency plans and drills."))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(can_write=self.may_write(),
                       is_staff=access.is_provider_staff(self.request.user))
        return context


class PlanListView(SecurityViewMixin, TemplateView):
    template_name = "security/plan_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["plans"] = self.get_queryset().select_related("customer", "service")
        return context


class PlanDetailView(SecurityViewMixin, TemplateView):
    template_name = "security/plan_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        plan = kwargs.get("plan") or self.get_object()
        staff = access.is_provider_staff(self.request.user)
        context.update(
            plan=plan,
            phases=[(name, label, term, getattr(plan, name)) for name, label, term in PHASES],
            drills=Drill.objects.visible_to(self.request.user).filter(plan=plan),
            uses=services.plan_uses(plan, self.request.user) if staff else [],
            record_types=sorted(services.PLAN_USE_TYPES),
        )
        return context


class PlanFormView(SecurityViewMixin, TemplateView):
    template_name = "security/plan_form.html"

    def get_plan(self) -> EmergencyPlan | None:
        plan = self.get_object() if "pk" in self.kwargs else None
        self.require_writer()
        return plan

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = self.get_plan()
        form = PlanForm(instance=plan, user=request.user)
        return self.render_to_response(self.get_context_data(form=form, plan=plan))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = self.get_plan()
        form = PlanForm(request.POST, instance=plan, user=request.user)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                if plan is None:
                    saved = services.create_plan(actor=request.user, data=data)
                else:
                    saved = services.update_plan(plan, actor=request.user, changes=data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved.title})
                return redirect("security:plan-detail", pk=saved.pk)
        return self.render_to_response(self.get_context_data(form=form, plan=plan),
                                       status=400)


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
            return self.render_to_response(self.get_context_data(plan=plan), status=400)
        messages.success(request, _("Plan use recorded."))
        return redirect("security:plan-detail", pk=plan.pk)


class DrillListView(SecurityViewMixin, TemplateView):
    model = Drill
    template_name = "security/drill_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["drills"] = self.get_queryset().select_related("plan")
        return context


class DrillDetailView(SecurityViewMixin, TemplateView):
    model = Drill
    template_name = "security/drill_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["drill"] = self.get_object()
        return context


class DrillFormView(SecurityViewMixin, TemplateView):
    model = Drill
    template_name = "security/drill_form.html"

    def get_drill(self) -> Drill | None:
        drill = self.get_object() if "pk" in self.kwargs else None
        self.require_writer()
        return drill

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        drill = self.get_drill()
        initial = {"plan": request.GET.get("plan")} if drill is None else None
        form = DrillForm(instance=drill, user=request.user, initial=initial)
        return self.render_to_response(self.get_context_data(form=form, drill=drill))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        drill = self.get_drill()
        form = DrillForm(request.POST, instance=drill, user=request.user)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                if drill is None:
                    saved = services.create_drill(actor=request.user, data=data)
                else:
                    saved = services.update_drill(drill, actor=request.user, changes=data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Drill saved."))
                return redirect("security:drill-detail", pk=saved.pk)
        return self.render_to_response(self.get_context_data(form=form, drill=drill),
                                       status=400)
