"""API of complaints (``/api/complaints/``), improvement actions and the master data."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from itsm.core.api.views import ReadOnlyForAuditors, RecordViewSet, ScopedViewSetMixin
from itsm.core.pagination import NamePagination

from .. import services
from ..filtersets import ComplaintFilterSet, ImprovementActionFilterSet
from ..models import CauseCategory, Complaint, ComplaintPolicy, ImprovementAction
from ..resources import ComplaintResource, ImprovementActionResource
from . import serializers as s


class ComplaintViewSet(RecordViewSet):
    """Complaints: customers raise and follow their own (never the internal analysis),
    designated complaint handlers evaluate, respond and resolve them."""

    queryset = Complaint.objects.all()
    serializer_class = s.ComplaintSerializer
    filterset_class = ComplaintFilterSet
    export_resource = ComplaintResource

    def base_queryset(self):
        return super().base_queryset().select_related("service", "cause_category")

    @extend_schema(request=None, responses=s.ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None):
        """The calling handler becomes the assignee (403 for anyone else)."""
        complaint = self.get_object()
        complaint = services.take_complaint(complaint, actor=request.user)
        return Response(self.get_serializer(complaint).data)

    @extend_schema(request=s.ImprovementFromComplaintsSerializer,
                   responses={201: s.ImprovementActionSerializer})
    @action(detail=False, methods=["post"])
    def improvement(self, request):
        """Open an improvement action for complaints sharing a cause, linked to them
        (quality managers, management, handlers; 404 for complaints you cannot see)."""
        if not services.may_manage(request.user):
            raise PermissionDenied(_("Only quality managers, management and complaint "
                                     "handlers may open improvement actions."))
        body = s.ImprovementFromComplaintsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = set(body.validated_data["complaints"])
        complaints = list(self.get_queryset().filter(pk__in=ids))
        if len(complaints) != len(ids):
            raise NotFound(_("Some of these complaints do not exist or are not yours to see."))
        action_record = services.open_improvement_action(
            complaints, actor=request.user,
            data={"title": body.validated_data["title"],
                  "measure": body.validated_data["measure"]})
        return Response(s.ImprovementActionSerializer(
            action_record, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED)


class ImprovementActionViewSet(RecordViewSet):
    queryset = ImprovementAction.objects.all()
    serializer_class = s.ImprovementActionSerializer
    filterset_class = ImprovementActionFilterSet
    export_resource = ImprovementActionResource


class CauseCategoryViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Complaint cause categories (two levels): the shared defaults and your own."""

    queryset = CauseCategory.objects.all()
    serializer_class = s.CauseCategorySerializer
    pagination_class = NamePagination  # by id: no creation time to page by
    permission_classes = [ReadOnlyForAuditors]  # writes: administrators (services)
    filterset_fields = ["parent", "is_active"]

    def perform_destroy(self, instance) -> None:
        services.delete_cause(instance, actor=self.request.user)


class ComplaintPolicyViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Complaint clock targets per level (and customer organization) of your provider."""

    queryset = ComplaintPolicy.objects.all()
    serializer_class = s.ComplaintPolicySerializer
    pagination_class = NamePagination  # by id: no creation time to page by
    permission_classes = [ReadOnlyForAuditors]  # writes: administrators (services)
    filterset_fields = ["level", "organization"]

    def perform_destroy(self, instance) -> None:
        services.delete_policy(instance, actor=self.request.user)
