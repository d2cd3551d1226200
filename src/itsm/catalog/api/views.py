"""Catalogue and calendar administration API (SLM-1, SLM-2, SLM-6, INC-2).

Reads: provider staff and the provider's customers read services (customers only the
ones they subscribe to) and calendars; SLA policies and the priority matrix are for
provider staff. Writes: provider administrators, through ``catalog.admin_services``.
Objects of another provider are a 404 on every route.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from itsm.core import access
from itsm.core.api.views import DirectoryWritePermission, ScopedViewSetMixin
from itsm.core.choices import Priority
from itsm.core.models import BusinessCalendar, CalendarException, CalendarWindow
from itsm.core.pagination import NamePagination

from .. import admin_services, request_types
from ..models import (
    PriorityRule,
    RequestType,
    RequestTypeApproval,
    RequestTypeField,
    RequestTypeTask,
    Service,
    SLAPolicy,
    SLATarget,
)
from ..services import priority_for
from . import serializers as s


class CatalogWritePermission(DirectoryWritePermission):
    message = _("Only administrators may change the service catalogue.")


class CalendarWritePermission(CatalogWritePermission):
    """Administrators change their provider's calendars (superusers the shared ones);
    any administrator may seed the official holidays into a shared calendar."""

    message = _("You may not change this calendar.")

    def has_object_permission(self, request, view, obj) -> bool:
        if not super().has_object_permission(request, view, obj):
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        if getattr(view, "action", None) == "seed_china":
            return admin_services.can_seed_calendar(request.user, obj)
        return admin_services.can_write_calendar(request.user, obj)


class CatalogViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    permission_classes = [CatalogWritePermission]
    pagination_class = NamePagination
    ordering_fields = ["id"]

    def perform_destroy(self, instance) -> None:
        admin_services.delete_provider_object(instance, actor=self.request.user)


class StaffOnlyMixin:
    """Lists are empty and objects 404 for anyone who is not provider staff."""

    def get_queryset(self):
        if not access.is_provider_staff(self.request.user):
            return self.queryset.model.objects.none()
        return super().get_queryset()


class ServiceViewSet(CatalogViewSet):
    """The service catalogue (服务目录) of your provider."""

    queryset = Service.objects.select_related("calendar").prefetch_related("customers")
    serializer_class = s.CatalogServiceSerializer
    filterset_fields = ["is_active", "calendar", "owner_team", "code"]
    ordering_fields = ["name", "code", "id"]

    def base_queryset(self):
        return self.queryset


class SLAPolicyViewSet(StaffOnlyMixin, CatalogViewSet):
    """SLA policies with their response and resolution targets per priority (staff)."""

    queryset = SLAPolicy.objects.prefetch_related(
        Prefetch("targets", queryset=SLATarget.objects.order_by("priority")))
    serializer_class = s.SLAPolicySerializer
    filterset_fields = ["is_active", "service", "customer"]
    ordering_fields = ["name", "id"]

    def base_queryset(self):
        return self.queryset


class PriorityRuleViewSet(StaffOnlyMixin, CatalogViewSet):
    """The priority matrix: impact × urgency → priority (INC-2), staff only."""

    queryset = PriorityRule.objects.all()
    serializer_class = s.PriorityRuleSerializer
    filterset_fields = ["impact", "urgency", "priority"]
    ordering_fields = ["impact", "urgency", "id"]

    @extend_schema(parameters=[s.PriorityResolveSerializer],
                   responses=s.PriorityAnswerSerializer)
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def resolve(self, request):
        """The priority the service desk uses for an impact and urgency (your matrix, or
        the shipped default where it has no rule)."""
        if not access.is_provider_staff(request.user):
            raise PermissionDenied(_("The priority matrix is for the provider's staff."))
        query = s.PriorityResolveSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        impact, urgency = query.validated_data["impact"], query.validated_data["urgency"]
        priority = priority_for(access.organization_of(request.user), impact, urgency)
        return Response({"impact": impact, "urgency": urgency, "priority": priority,
                         "priority_label": str(Priority(priority).label)})


class CalendarViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Business calendars (工作日历): your provider's and the shared ones.

    ``windows`` are written with the calendar (they replace all its windows);
    exceptions (holidays, make-up working days 调休, half days) have their own routes.
    """

    queryset = BusinessCalendar.objects.prefetch_related(
        Prefetch("windows", queryset=CalendarWindow.objects.order_by("weekday", "start")))
    serializer_class = s.CalendarSerializer
    permission_classes = [CalendarWritePermission]
    pagination_class = NamePagination
    filterset_fields = ["always_on", "organization"]
    ordering_fields = ["name", "id"]

    def base_queryset(self):
        return self.queryset

    def perform_destroy(self, instance: BusinessCalendar) -> None:
        admin_services.delete_calendar(instance, actor=self.request.user)

    @extend_schema(methods=["get"], responses=s.CalendarExceptionSerializer(many=True),
                   parameters=[s.CalendarExceptionQuerySerializer])
    @extend_schema(methods=["post"], request=s.CalendarExceptionSerializer,
                   responses={201: s.CalendarExceptionSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def exceptions(self, request, pk=None):
        """Dated exceptions of the calendar (``?year=2027`` for one year); POST adds one."""
        calendar = self.get_object()
        if request.method == "POST":
            body = s.CalendarExceptionSerializer(data=request.data,
                                                 context={"calendar": calendar})
            body.is_valid(raise_exception=True)
            exception = admin_services.add_exception(calendar, actor=request.user,
                                                     data=body.validated_data)
            return Response(s.CalendarExceptionSerializer(exception).data, status=201)
        query = s.CalendarExceptionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        queryset = calendar.exceptions.order_by("date")
        if "year" in query.validated_data:
            queryset = queryset.filter(date__year=query.validated_data["year"])
        return Response(s.CalendarExceptionSerializer(queryset, many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"exceptions/(?P<exception_id>[0-9]+)",
            url_name="exception-detail", filter_backends=[])
    def delete_exception(self, request, pk=None, exception_id=None):
        """Remove one exception of the calendar."""
        calendar = self.get_object()
        exception = get_object_or_404(CalendarException, calendar=calendar, pk=exception_id)
        admin_services.delete_exception(exception, actor=request.user)
        return Response(status=204)

    @extend_schema(request=s.SeedSerializer, responses=s.SeedResultSerializer)
    @action(detail=True, methods=["post"], url_path="seed-china", filter_backends=[])
    def seed_china(self, request, pk=None):
        """Add China's official holidays and make-up working days of ``years``; days
        already entered keep their entry. 400 for years not published yet."""
        calendar = self.get_object()
        body = s.SeedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = admin_services.seed_china(calendar, actor=request.user,
                                           years=body.validated_data["years"])
        return Response(result)


class RequestTypeViewSet(CatalogViewSet):
    """Request types of the catalogue (请求类型): customers read those of the services
    their organization uses (their fields); staff read all of the provider's with the
    approval steps and fulfilment tasks; administrators write."""

    queryset = RequestType.objects.select_related("service").prefetch_related(
        "fields", "approval_steps", "task_templates")
    serializer_class = s.RequestTypeSerializer
    filterset_fields = ["service", "is_active"]
    ordering_fields = ["order", "name", "id"]

    def base_queryset(self):
        return self.queryset

    def perform_destroy(self, instance) -> None:
        request_types.delete_request_type(instance, actor=self.request.user)


class RequestTypePartViewSet(StaffOnlyMixin, CatalogViewSet):
    """A part of a request type (staff read, administrators write)."""

    filterset_fields = ["request_type"]
    ordering_fields = ["order", "id"]

    def base_queryset(self):
        return self.queryset

    def perform_destroy(self, instance) -> None:
        request_types.delete_part(instance, actor=self.request.user)


class RequestTypeFieldViewSet(RequestTypePartViewSet):
    """The fields a request type asks for, beside title and description."""

    queryset = RequestTypeField.objects.select_related("request_type")
    serializer_class = s.RequestTypeFieldSerializer


class RequestTypeApprovalViewSet(RequestTypePartViewSet):
    """The approval steps of a request type, decided in order before fulfilment."""

    queryset = RequestTypeApproval.objects.select_related("request_type")
    serializer_class = s.RequestTypeApprovalSerializer


class RequestTypeTaskViewSet(RequestTypePartViewSet):
    """The fulfilment task templates of a request type, each for a team."""

    queryset = RequestTypeTask.objects.select_related("request_type")
    serializer_class = s.RequestTypeTaskSerializer
