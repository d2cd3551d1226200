"""Emergency plans and drills API (SEC-3).

Reads: provider staff (auditors included) read their provider's plans and drills;
customers read the approved plans that name their organization. Writes: security
officers, team leads and administrators of the provider. Another provider's objects are
a 404 on every route.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.core.api.views import ReadOnlyForAuditors, ScopedViewSetMixin
from itsm.core.pagination import NamePagination

from .. import services
from ..models import Drill, EmergencyPlan
from . import serializers as s


class SecurityWritePermission(ReadOnlyForAuditors):
    message = _("Only security officers, team leads and administrators may change "
                "emergency plans and drills.")

    def allowed(self, request) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allowed(request) and services.can_write(request.user)


class SecurityViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    permission_classes = [SecurityWritePermission]
    pagination_class = NamePagination
    http_method_names = ["get", "post", "patch", "put", "head", "options"]


class EmergencyPlanViewSet(SecurityViewSet):
    """Emergency response plans (应急预案) with the four phases of GB/T 28827.3."""

    queryset = EmergencyPlan.objects.all()
    serializer_class = s.EmergencyPlanSerializer
    filterset_fields = ["status", "customer", "service"]
    ordering_fields = ["title", "id", "updated_at"]

    @extend_schema(request=s.PlanUseSerializer, responses=s.PlanUseSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def uses(self, request, pk=None):
        """Records handled following this plan; POST records one (a major incident)."""
        plan = self.get_object()
        if request.method == "POST":
            body = s.PlanUseSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            model = services.record_model(data["record_type"])
            record = model.objects.visible_to(request.user).filter(
                pk=data["record_id"]).first()
            if record is None:
                return Response({"record_id": [_("No such record.")]},
                                status=status.HTTP_400_BAD_REQUEST)
            use = services.record_plan_use(record, plan, actor=request.user,
                                           note=data.get("note", ""))
            return Response(s.PlanUseSerializer(use, context={"records": {use.pk: record}}).data,
                            status=status.HTTP_201_CREATED)
        rows = services.plan_uses(plan, request.user)
        context = {"records": {use.pk: record for use, record in rows}}
        return Response(s.PlanUseSerializer([u for u, _r in rows], many=True,
                                            context=context).data)


class DrillViewSet(SecurityViewSet):
    """Drills (应急演练) of the provider's plans, with evaluation and follow-ups."""

    queryset = Drill.objects.all()
    serializer_class = s.DrillSerializer
    filterset_fields = ["plan", "evaluation"]
    ordering_fields = ["date", "id"]

    def base_queryset(self):
        return Drill.objects.select_related("plan").prefetch_related("participants")
