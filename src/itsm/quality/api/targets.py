"""``/api/quality-targets/``: the quality targets of your provider (quality managers and
administrators write through ``services``; other provider staff read; nobody else),
``…/{id}/evaluations/`` their history, ``…/{id}/evaluate/`` the running period now."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from itsm.core import access
from itsm.core.api.views import ReadOnlyForAuditors, ScopedViewSetMixin
from itsm.core.pagination import NamePagination

from .. import services, targets
from ..models import QualityTarget, TargetEvaluation
from . import serializers as s


class ProviderStaffOnly(permissions.BasePermission):
    message = gettext_lazy("Only the provider's staff may read quality targets.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated
                    and access.is_provider_staff(request.user))


class QualityTargetViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Quality targets of your provider; an agent may read, not write (403)."""

    queryset = QualityTarget.objects.all()
    serializer_class = s.QualityTargetSerializer
    pagination_class = NamePagination
    permission_classes = [ProviderStaffOnly, ReadOnlyForAuditors]
    filterset_fields = ["indicator", "period_kind", "team", "customer", "service",
                        "is_active"]

    def base_queryset(self):
        return QualityTarget.objects.select_related("team", "customer", "service"
                                                    ).prefetch_related("owners")

    def perform_destroy(self, instance: QualityTarget) -> None:
        services.delete_target(instance, actor=self.request.user)

    @extend_schema(request=None, responses=s.TargetEvaluationSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_fields=None)
    def evaluations(self, request, pk=None):
        """The stored evaluations of the target (complete periods), newest first."""
        target = self.get_object()
        rows = TargetEvaluation.objects.filter(target=target).select_related("team").order_by(
            "-period_start", "scope_key")
        return Response(s.TargetEvaluationSerializer(rows[:500], many=True).data)

    @extend_schema(request=None, responses=s.RunningPeriodSerializer)
    @action(detail=True, methods=["get"], filterset_fields=None)
    def evaluate(self, request, pk=None):
        """The running period's values so far, for the target's scope and each team held
        to it: computed on demand, not stored (no history row, no alert)."""
        target = self.get_object()
        start, end, rows = targets.evaluate_running(target)
        return Response({"period_start": start, "period_end": end, "values": [
            {"scope_key": r.key, "team": r.team.pk if r.team else None,
             "team_name": r.team.name if r.team else None, "value": r.value.value,
             "numerator": r.value.numerator, "denominator": r.value.denominator,
             "state": r.state} for r in rows]})
