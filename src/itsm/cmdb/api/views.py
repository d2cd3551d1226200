"""CMDB API: CI types, configuration items (impact, graph, import), relations.

Reads: everyone authenticated reads CI types; items and relations are scoped by
organization (provider staff: their provider and its customers; customers: their own
organization). Writes: provider staff who may write (``cmdb.services``); CI types:
administrators. Objects outside the scope are a 404 on every route.

Import (``POST …/configuration-items/import/``, multipart ``file``): CSV (UTF-8 with or
without BOM, or GBK) or XLSX with the columns name, type (code or name), organization
(code), status, environment, owner (user name), service (code), description; any
other column is an attribute of the type. An XLSX file may carry a second sheet named
``relations`` with the columns source, target, kind (and optionally
source_organization, target_organization as codes when names are ambiguous); the same
columns in a CSV go to ``POST …/ci-relations/import/``. Every row is validated first;
if any fails nothing is imported and the answer is a 400 listing sheet, row number
(the header is row 1) and messages.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from itsm.catalog.models import Service
from itsm.core import access, directory
from itsm.core.api.parsers import JSONParser
from itsm.core.api.views import DirectoryWritePermission, ReadOnlyForAuditors, ScopedViewSetMixin
from itsm.core.filtersets import IdFilter, ScopedFilterSet
from itsm.core.pagination import NamePagination
from itsm.core.uploads import check_request_size

from .. import impact, services
from ..filtersets import ConfigurationItemFilterSet
from ..models import CIRelation, CIType, ConfigurationItem
from . import serializers as s

#: Depth of the neighbourhood ``…/graph/`` answers by default (and at most).
GRAPH_DEPTH = 2
GRAPH_MAX_DEPTH = 4


class CMDBWritePermission(ReadOnlyForAuditors):
    """Writes are for provider staff who may write (customers and auditors read)."""

    message = _("Only service staff may change configuration items.")

    def allowed(self, request) -> bool:
        if not super().allowed(request):
            return False
        return request.method in permissions.SAFE_METHODS or access.is_staff_writer(
            request.user)


class CITypeWritePermission(DirectoryWritePermission):
    message = _("Only administrators may change CI types.")


class CITypeViewSet(viewsets.ModelViewSet):
    """Kinds of configuration items and the attribute names items of a kind carry."""

    queryset = CIType.objects.all()
    serializer_class = s.CITypeSerializer
    permission_classes = [CITypeWritePermission]
    pagination_class = NamePagination
    filterset_fields = ["code"]

    def perform_create(self, serializer) -> None:
        serializer.instance = directory.create_object(
            CIType, actor=self.request.user, data=dict(serializer.validated_data))

    def perform_update(self, serializer) -> None:
        serializer.instance = directory.update_object(
            serializer.instance, actor=self.request.user,
            changes=dict(serializer.validated_data))

    def perform_destroy(self, instance: CIType) -> None:
        directory.delete_object(instance, actor=self.request.user)


def _item_json(item: ConfigurationItem) -> dict[str, Any]:
    return {"id": item.pk, "name": item.name, "type": item.ci_type.code,
            "status": item.status, "organization": item.organization_id}


def _record_url(record) -> str:
    try:
        return reverse(f"api:{record._meta.model_name}-detail", args=[record.pk])
    except NoReverseMatch:
        return ""


def visible_impact(ci: ConfigurationItem, user) -> dict[str, Any]:
    """``impact.analyse(ci)`` reduced to what ``user`` may see."""
    result = impact.analyse(ci)
    items = (ConfigurationItem.objects.visible_to(user).filter(pk__in=result.item_ids)
             .select_related("ci_type").order_by("name", "id"))
    service_ids = {s_.pk for s_ in result.services}
    services_qs = Service.objects.visible_to(user).filter(pk__in=service_ids)
    staff = access.is_provider_staff(user)
    if not staff:
        org = access.organization_of(user)
        services_qs = services_qs.filter(customers=org) if org else services_qs.none()
    organizations = []
    if staff:
        scope = access.scope_organization_ids(user)
        organizations = [{"id": o.pk, "code": o.code, "name": o.name}
                         for o in result.organizations if o.pk in scope]
    by_model: dict[type, set[int]] = defaultdict(set)
    for record in result.open_records:
        by_model[type(record)].add(record.pk)
    records = []
    for model, ids in by_model.items():
        for record in model.objects.visible_to(user).filter(pk__in=ids):
            records.append({"type": model._meta.model_name, "id": record.pk,
                            "number": getattr(record, "number", ""), "title": record.title,
                            "status": record.status, "url": _record_url(record)})
    records.sort(key=lambda r: r["number"])
    return {
        "ci": _item_json(ci),
        "items": [_item_json(i) for i in items],
        "services": [{"id": sv.pk, "code": sv.code, "name": sv.name}
                     for sv in services_qs.order_by("name")],
        "organizations": organizations,
        "open_records": records,
    }


def neighbourhood(ci: ConfigurationItem, user, depth: int) -> dict[str, list]:
    """Items and relations up to ``depth`` steps from ``ci`` in either direction."""
    visible = ConfigurationItem.objects.visible_to(user)
    seen = {ci.pk}
    frontier = {ci.pk}
    edges: dict[int, CIRelation] = {}
    for _step in range(depth):
        if not frontier:
            break
        relations = CIRelation.objects.filter(
            Q(source_id__in=frontier, target__in=visible)
            | Q(target_id__in=frontier, source__in=visible))
        new: set[int] = set()
        for relation in relations:
            edges[relation.pk] = relation
            new |= {relation.source_id, relation.target_id}
        frontier = new - seen
        seen |= new
    nodes = visible.filter(pk__in=seen).select_related("ci_type").order_by("name", "id")
    return {
        "nodes": [{"id": n.pk, "name": n.name, "type": n.ci_type.code,
                   "type_name": n.ci_type.name, "status": n.status,
                   "organization": n.organization_id} for n in nodes],
        "edges": [{"id": e.pk, "source": e.source_id, "target": e.target_id, "kind": e.kind}
                  for e in sorted(edges.values(), key=lambda e: e.pk)],
    }


def _upload(request) -> tuple[str, bytes]:
    check_request_size(request)
    body = s.ImportUploadSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    upload = body.validated_data["file"]
    return upload.name or "", upload.read()


def _import_answer(run) -> Response:
    try:
        counts = run()
    except services.ImportFailed as exc:
        return Response({"detail": _("Nothing was imported: %(count)d rows are invalid.")
                         % {"count": len(exc.errors)}, "errors": exc.errors},
                        status=status.HTTP_400_BAD_REQUEST)
    return Response(counts, status=status.HTTP_201_CREATED)


class ConfigurationItemViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Configuration items (配置项) of the organizations you may see."""

    queryset = ConfigurationItem.objects.all()
    serializer_class = s.ConfigurationItemSerializer
    permission_classes = [CMDBWritePermission]
    pagination_class = NamePagination
    filterset_class = ConfigurationItemFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def base_queryset(self):
        return ConfigurationItem.objects.select_related("ci_type", "organization")

    def perform_destroy(self, instance: ConfigurationItem) -> None:
        services.delete_item(instance, actor=self.request.user)

    @extend_schema(responses=s.ImpactSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def impact(self, request, pk=None):
        """What fails with this item: dependent items, services, customer organizations
        (staff only) and open records touching them — all reduced to what you may see."""
        return Response(visible_impact(self.get_object(), request.user))

    @extend_schema(responses=s.GraphSerializer,
                   parameters=[OpenApiParameter("depth", int, description=_(
                       "Steps in either direction (default 2, at most 4)."))])
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def graph(self, request, pk=None):
        """Nodes and edges around this item for the graph view."""
        item = self.get_object()
        raw = request.query_params.get("depth", "")
        depth = int(raw) if raw.isdigit() else GRAPH_DEPTH
        depth = max(1, min(depth, GRAPH_MAX_DEPTH))
        return Response(neighbourhood(item, request.user, depth))

    @extend_schema(request={"multipart/form-data": s.ImportUploadSerializer},
                   responses={201: s.ImportResultSerializer})
    @action(detail=False, methods=["post"], url_path="import", url_name="import",
            parser_classes=[MultiPartParser, FormParser], pagination_class=None,
            filter_backends=[])
    def import_file(self, request):
        """Import items (and relations from an XLSX sheet ``relations``): all or nothing."""
        name, content = _upload(request)
        tables = services.read_table(name, content)
        return _import_answer(lambda: services.import_items(tables, actor=request.user))


class CIRelationFilterSet(ScopedFilterSet):
    item = IdFilter(method="filter_item",
                                       label=_("item (either end)"))
    source = IdFilter(field_name="source_id")
    target = IdFilter(field_name="target_id")

    class Meta:
        model = CIRelation
        fields = ["kind"]

    def filter_item(self, queryset, name: str, value: int):
        return queryset.filter(Q(source_id=value) | Q(target_id=value))


class CIRelationViewSet(mixins.CreateModelMixin,
                        mixins.RetrieveModelMixin,
                        mixins.DestroyModelMixin,
                        mixins.ListModelMixin,
                        viewsets.GenericViewSet):
    """Relations between items you may see (both ends in your scope)."""

    queryset = CIRelation.objects.all()
    serializer_class = s.CIRelationSerializer
    permission_classes = [CMDBWritePermission]
    pagination_class = NamePagination
    filterset_class = CIRelationFilterSet

    def get_queryset(self):
        ids = access.scope_organization_ids(self.request.user)
        if not ids:
            return CIRelation.objects.none()
        return CIRelation.objects.filter(
            source__organization_id__in=ids, target__organization_id__in=ids,
        ).select_related("source", "target")

    def perform_destroy(self, instance: CIRelation) -> None:
        services.remove_relation(instance, actor=self.request.user)

    @extend_schema(request={"multipart/form-data": s.ImportUploadSerializer},
                   responses={201: s.ImportResultSerializer})
    @action(detail=False, methods=["post"], url_path="import", url_name="import",
            parser_classes=[MultiPartParser, FormParser], pagination_class=None,
            filter_backends=[])
    def import_file(self, request):
        """Import relations (CSV or XLSX: source, target, kind): all or nothing."""
        name, content = _upload(request)
        tables = services.read_table(name, content)
        rows = tables["relations"] or tables["items"]
        return _import_answer(lambda: services.import_relations(rows, actor=request.user))

