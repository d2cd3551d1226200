from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, FloatField
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from itsm.cmdb import services as cmdb_services
from itsm.cmdb.api.serializers import ConfigurationItemSerializer as CMDBItemSerializer
from itsm.cmdb.api.serializers import RecordCISerializer
from itsm.cmdb.models import ConfigurationItem
from itsm.core import access, imports, links
from itsm.core.api.authentication import TokenAuthentication
from itsm.core.api.parsers import JSONParser
from itsm.core.api.views import LinksMixin, RecordViewSet
from itsm.core.filtersets import to_utc
from itsm.core.uploads import check_request_size

from .. import alerts, filtersets, fulfilment, models, resources, satisfaction
from .. import services as sd_services
from ..major import declare_major_incident
from . import serializers


class RatingMixin:
    """``GET/POST …/{id}/rating/``: the requester's satisfaction rating (FBK-1)."""

    @extend_schema(methods=["get"], responses=serializers.RatingStateSerializer)
    @extend_schema(methods=["post"], request=serializers.RatingSerializer,
                   responses={201: serializers.RatingStateSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def rating(self, request, pk=None):
        """GET: the rating (``rated`` false until there is one) and whether you may rate.
        POST ``{"score": 1–5, "comment": …}``: rate the closed ticket once (requester or
        customer administrator); 400 if it is not closed or already rated."""
        record = self.get_object()
        if request.method == "POST":
            body = serializers.RatingSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            satisfaction.rate_ticket(record, actor=request.user,
                                     score=body.validated_data["score"],
                                     comment=body.validated_data["comment"])
            return Response(satisfaction.rating_state(request.user, record),
                            status=status.HTTP_201_CREATED)
        return Response(satisfaction.rating_state(request.user, record))


class MergeMixin:
    """``POST …/{id}/merge/`` ``{"into": id or number, "comment": ""}``: merge this ticket
    into another (INC-3)."""

    @extend_schema(request=serializers.MergeSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this ticket (the duplicate) into ``into``; answers the target ticket.

        Service staff only (403). The target is named by its id (same type) or its
        number; one you cannot see is a 404. 400: itself, another type or another
        organization; 409: either ticket closed or cancelled, or the duplicate past the
        statuses that allow cancelling (new, assigned).
        """
        duplicate = self.get_object()
        if not access.is_staff_writer(request.user):
            raise PermissionDenied(_("Only service staff may merge tickets."))
        body = serializers.MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        into = body.validated_data["into"].strip()
        if into.isdigit() and len(into) <= 18:
            target = self.get_queryset().filter(pk=int(into)).first()
        else:
            target = links.find_visible_record(request.user, number=into)
        if target is None:
            raise NotFound(_("No ticket “%(into)s” that you can see.") % {"into": into})
        target = sd_services.merge_tickets(duplicate, into=target, actor=request.user,
                                           comment=body.validated_data["comment"])
        return Response(self.get_serializer(target).data)  # same type: merge_tickets checks


class ConfigurationItemsMixin:
    """``GET/POST/DELETE …/{id}/cis/``: configuration items the ticket touches (CMDB).

    GET lists the linked items you may see; POST ``{"ci": id}`` links one and DELETE
    ``{"ci": id}`` (or ``?ci=id``) unlinks it (service staff; 400 for an item you
    cannot see or a link that does (not) exist).
    """

    @extend_schema(methods=["get"], responses=CMDBItemSerializer(many=True))
    @extend_schema(methods=["post"], request=RecordCISerializer,
                   responses={201: CMDBItemSerializer(many=True)})
    @extend_schema(methods=["delete"], request=RecordCISerializer,
                   parameters=[OpenApiParameter("ci", int)],
                   responses={200: CMDBItemSerializer(many=True)})
    @action(detail=True, methods=["get", "post", "delete"], pagination_class=None,
            filter_backends=[])
    def cis(self, request, pk=None):
        record = self.get_object()
        if request.method in ("POST", "DELETE"):
            if not access.is_staff_writer(request.user):
                raise PermissionDenied(_("Only service staff may link configuration items."))
            raw = request.data.get("ci") if hasattr(request.data, "get") else None
            raw = raw if raw not in (None, "") else request.query_params.get("ci")
            body = RecordCISerializer(data={"ci": raw})
            body.is_valid(raise_exception=True)
            ci = ConfigurationItem.objects.visible_to(request.user).filter(
                pk=body.validated_data["ci"]).first()
            if ci is None:
                raise ValidationError({"ci": [_("No configuration item that you can see.")]})
            if request.method == "POST":
                cmdb_services.link_record_ci(record, ci, actor=request.user)
            else:
                cmdb_services.unlink_record_ci(record, ci, actor=request.user)
        items = cmdb_services.linked_items(record, request.user)
        data = CMDBItemSerializer(items, many=True).data
        return Response(data, status=status.HTTP_201_CREATED if request.method == "POST"
                        else status.HTTP_200_OK)


class ImportMixin:
    """``POST …/import/``: create many tickets at once, all or nothing (GEN-9)."""

    @action(detail=False, methods=["post"], url_path="import", url_name="import",
            parser_classes=[JSONParser, MultiPartParser], pagination_class=None,
            filter_backends=[])
    def import_rows(self, request):
        """Create up to 5,000 tickets at once: all of them, or none if any row is invalid.

        Body: JSON ``{"rows": [{fields of the create endpoint}, …]}``, or a multipart
        upload ``file``: CSV (UTF-8 or GB18030) or XLSX whose first row names the fields
        (API names, labels or the export's column headings), related objects by id,
        code, name, user name or email, choices by value or label. Service staff only
        (403). Each row is validated as by the create endpoint, with your scope: an
        organization, person, team or service you may not pick gives the same message
        as an unknown id. Any invalid row: 400 ``{"rows": {"<row>": {field:
        [messages]}}}`` (rows of a file numbered as the spreadsheet does, the header
        being row 1) and nothing is created; otherwise 201 with the new numbers.
        """
        imports.require_importer(request.user)
        check_request_size(request)
        serializer_class = self.get_serializer_class()
        try:
            if request.content_type.startswith("multipart/"):
                body = serializers.TicketImportUploadSerializer(data=request.data)
                body.is_valid(raise_exception=True)
                records = imports.import_file(serializer_class, body.validated_data["file"],
                                              request=request,
                                              resource_class=self.export_resource)
            else:
                rows = request.data.get("rows") if isinstance(request.data, dict) else None
                records = imports.import_records(serializer_class, imports.check_rows(rows),
                                                 request=request)
        except imports.ImportFailed as exc:
            return Response({"rows": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": len(records), "numbers": [r.number for r in records]},
                        status=status.HTTP_201_CREATED)


def import_schema(rows_serializer) -> dict:
    """The OpenAPI description of ``import_rows`` for one ticket type."""
    return {"import_rows": extend_schema(
        request={"application/json": rows_serializer,
                 "multipart/form-data": serializers.TicketImportUploadSerializer},
        responses={201: serializers.TicketImportResultSerializer,
                   400: serializers.TicketImportErrorSerializer})}


class FulfilmentMixin:
    """A request of a catalogue type: ``GET …/{id}/approvals/`` and ``…/tasks/``,
    ``POST …/{id}/decide/`` (its current approver approves or rejects) and
    ``POST …/{id}/complete-task/`` (a member of the task's team)."""

    @extend_schema(responses=serializers.RequestApprovalSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def approvals(self, request, pk=None):
        record = self.get_object()
        rows = record.approvals.prefetch_related("approvers").select_related("decided_by")
        return Response(serializers.RequestApprovalSerializer(
            rows, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=serializers.DecisionSerializer,
                   responses=serializers.RequestApprovalSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        record = self.get_object()
        body = serializers.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = record.approvals.filter(pk=body.validated_data["approval"]).first()
        if approval is None:
            raise ValidationError({"approval": [_("No such approval of this request.")]})
        approval = fulfilment.decide(approval, actor=request.user,
                                     approve=body.validated_data["decision"] == "approve",
                                     comment=body.validated_data.get("comment", ""))
        return Response(serializers.RequestApprovalSerializer(
            approval, context=self.get_serializer_context()).data)

    @extend_schema(responses=serializers.FulfilmentTaskSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def tasks(self, request, pk=None):
        record = self.get_object()
        return Response(serializers.FulfilmentTaskSerializer(
            record.tasks.select_related("team", "done_by"), many=True,
            context=self.get_serializer_context()).data)

    @extend_schema(request=serializers.TaskDoneSerializer,
                   responses=serializers.FulfilmentTaskSerializer)
    @action(detail=True, methods=["post"], url_path="complete-task")
    def complete_task(self, request, pk=None):
        record = self.get_object()
        body = serializers.TaskDoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = record.tasks.filter(pk=body.validated_data["task"]).first()
        if task is None:
            raise ValidationError({"task": [_("No such task of this request.")]})
        task = fulfilment.complete_task(task, actor=request.user,
                                        note=body.validated_data.get("note", ""))
        return Response(serializers.FulfilmentTaskSerializer(
            task, context=self.get_serializer_context()).data)


@extend_schema_view(**import_schema(serializers.ServiceRequestImportSerializer))
class ServiceRequestViewSet(FulfilmentMixin, MergeMixin, LinksMixin, ConfigurationItemsMixin,
                            RatingMixin, ImportMixin, RecordViewSet):
    """Service requests: CRUD, transitions, comments, attachments, timeline, export, import;
    a request of a catalogue type with its approvals and fulfilment tasks."""

    queryset = models.ServiceRequest.objects.all()
    serializer_class = serializers.ServiceRequestSerializer
    filterset_class = filtersets.ServiceRequestFilterSet
    export_resource = resources.ServiceRequestResource


class DeclareMajorMixin:
    """``POST /api/incidents/{id}/declare-major/``: make the incident major (INC-5)."""

    @extend_schema(request=serializers.DeclareMajorSerializer,
                   responses={201: serializers.MajorIncidentSerializer})
    @action(detail=True, methods=["post"], url_path="declare-major")
    def declare_major(self, request, pk=None):
        incident = self.get_object()
        body = serializers.DeclareMajorSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        major = declare_major_incident(incident, actor=request.user,
                                       reason=body.validated_data["reason"])
        data = serializers.MajorIncidentSerializer(major, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(**import_schema(serializers.IncidentImportSerializer))
class IncidentViewSet(MergeMixin, LinksMixin, ConfigurationItemsMixin, DeclareMajorMixin,
                      RatingMixin, ImportMixin, RecordViewSet):
    """Incidents: CRUD, transitions, comments, attachments, timeline, export, import."""

    queryset = models.Incident.objects.all()
    serializer_class = serializers.IncidentSerializer
    filterset_class = filtersets.IncidentFilterSet
    export_resource = resources.IncidentResource


# --- Monitoring alerts (INC-6) -------------------------------------------------------------


class IsServiceAccount(permissions.BasePermission):
    """A provider person who may work on records (the sending system's service account)."""

    message = gettext_lazy("Only a service account of the service provider may send alerts.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated
                    and access.is_staff_writer(request.user))


class AlertWebhookView(APIView):
    """Base of the alert webhooks: token authentication, JSON only, all or nothing.

    Authentication: ``Authorization: Token <key>`` of a *service account*: a person
    of the service provider holding a role that may work on records (e.g. agent),
    one account per sending system. Without a token: 401; the token of a customer or
    of a read-only auditor: 403. A malformed body is a 400 with field messages and
    changes nothing; at most 500 alerts per request.
    """

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsServiceAccount]
    parser_classes = [JSONParser]
    serializer_class: type[serializers.serializers.Serializer]
    to_alerts = None

    def post(self, request):
        body = self.serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        raw = request.data if isinstance(request.data, dict) else {}
        if alerts.has_nul_character(raw):
            raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [
                _("The payload may not contain NUL characters (\\u0000).")]})
        items = type(self).to_alerts(body.validated_data, raw)
        outcomes = alerts.ingest_alerts(items, actor=request.user)
        return Response({"received": len(outcomes), "results": [
            {"fingerprint": o.fingerprint, "status": o.status, "action": o.action,
             "incident": o.incident.number if o.incident else None,
             "incident_id": o.incident.pk if o.incident else None}
            for o in outcomes]})


class PrometheusAlertView(AlertWebhookView):
    """Prometheus Alertmanager webhook (``webhook_configs``, payload version 4).

    Each alert of ``alerts`` is handled on its own: ``fingerprint`` (or a hash of the
    labels) identifies it; ``labels.alertname`` and ``annotations.summary`` make the
    title, ``annotations.description`` and the labels the description,
    ``labels.severity`` the priority (critical → 1, warning → 2, info → 3, other → 4),
    ``labels.organization`` or ``labels.customer`` (a customer code) the organization.
    Authentication: ``Authorization: Token <key>`` of the service account.
    """

    serializer_class = serializers.PrometheusWebhookSerializer
    to_alerts = alerts.prometheus_alerts

    @extend_schema(request=serializers.PrometheusWebhookSerializer,
                   responses=serializers.AlertResultSerializer)
    def post(self, request):
        return super().post(request)


class ZabbixAlertView(AlertWebhookView):
    """Zabbix webhook media type: one event per request.

    Body: ``{"event_id", "trigger_id", "status": "PROBLEM"|"RESOLVED"|"OK", "severity",
    "host", "name", "message", "timestamp", "organization"?}``; the fingerprint is the
    trigger id and the host. Authentication: ``Authorization: Token <key>``.
    """

    serializer_class = serializers.ZabbixAlertSerializer
    to_alerts = alerts.zabbix_alerts

    @extend_schema(request=serializers.ZabbixAlertSerializer,
                   responses=serializers.AlertResultSerializer)
    def post(self, request):
        return super().post(request)


class GenericAlertView(AlertWebhookView):
    """Any monitoring system: ``{"fingerprint", "status": "firing"|"resolved", "title",
    "description", "severity", "organization"?, "host"?, "timestamp"?}`` or
    ``{"alerts": [that, …]}``. Authentication: ``Authorization: Token <key>``."""

    serializer_class = serializers.GenericWebhookSerializer
    to_alerts = alerts.generic_alerts

    @extend_schema(request=serializers.GenericWebhookSerializer,
                   responses=serializers.AlertResultSerializer)
    def post(self, request):
        return super().post(request)


# --- Satisfaction summary (FBK-1) ------------------------------------------------------------


class IsProviderStaff(permissions.BasePermission):
    message = gettext_lazy("Only service provider staff may see satisfaction figures.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated
                    and access.is_provider_staff(request.user))


def _moment(name: str, value: str | None, *, end: bool = False) -> dt.datetime | None:
    """A query parameter as an aware datetime; a plain date means its start (or, for
    ``end``, the start of the next day, so that ``until`` includes the day)."""
    if not value:
        return None
    try:
        day = parse_date(value) if len(value) == 10 else None
        moment = None if day else parse_datetime(value)
        if day is not None:
            moment = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0),
                                         dt.time.min)
        if moment is not None:
            return to_utc(moment)
    except (ValueError, OverflowError):  # not a date, or one past the calendar's end
        pass
    raise ValidationError({name: [_("Enter a date (YYYY-MM-DD) or date and time.")]})


class SatisfactionSummaryView(APIView):
    """Average satisfaction score and count per agent, team or service.

    Provider staff only (customers: 403); ratings of the organizations you serve.
    ``by``: agent (default), team or service; ``since`` / ``until``: dates (inclusive)
    or ISO date-times; ``organization``: one organization id of your scope.
    """

    permission_classes = [IsProviderStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("by", enum=list(satisfaction.SUMMARY_GROUPS), default="agent"),
            OpenApiParameter("since", str), OpenApiParameter("until", str),
            OpenApiParameter("organization", int),
        ],
        responses=serializers.SatisfactionSummarySerializer,
    )
    def get(self, request):
        by = request.query_params.get("by", "agent")
        if by not in satisfaction.SUMMARY_GROUPS:
            raise ValidationError({"by": [_("Group by one of: %(choices)s.")
                                          % {"choices": ", ".join(satisfaction.SUMMARY_GROUPS)}]})
        ratings = satisfaction.ratings_visible_to(request.user)
        since = _moment("since", request.query_params.get("since"))
        until = _moment("until", request.query_params.get("until"), end=True)
        if since:
            ratings = ratings.filter(created_at__gte=since)
        if until:
            ratings = ratings.filter(created_at__lt=until)
        organization = request.query_params.get("organization")
        if organization:
            if not organization.isdigit():
                raise ValidationError({"organization": [_("Enter an organization id.")]})
            ratings = ratings.filter(organization_id=int(organization))
        totals = ratings.aggregate(count=Count("id"),
                                   average=Avg("score", output_field=FloatField()))
        average = round(totals["average"], 2) if totals["average"] is not None else None
        return Response({"by": by, "count": totals["count"], "average": average,
                         "groups": satisfaction.satisfaction_summary(ratings, by=by)})


class MajorIncidentViewSet(RecordViewSet):
    """Major incidents: response led by the IT service management committee (INC-5)."""

    queryset = models.MajorIncident.objects.all()
    serializer_class = serializers.MajorIncidentSerializer
    filterset_class = filtersets.MajorIncidentFilterSet
    export_resource = resources.MajorIncidentResource
