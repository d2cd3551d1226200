"""Web UI of the CMDB: item list, detail with impact analysis, graph, and forms.

Everything starts from ``ConfigurationItem.objects.visible_to(user)``: an item outside
the reader's scope is a 404, and related items, records, services and organizations
outside it are left out of every page. Provider staff see their provider's and their
customers' items; customers (requesters and customer admins) see their own
organization's items, read-only. Writes go through ``cmdb.services`` and are open to
provider staff writers only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from itsm.catalog.models import Service
from itsm.core import access
from itsm.core.api.filters import StrictOrderingFilter
from itsm.core.exceptions import WorkflowError
from itsm.core.object_views import ObjectDetailView, ObjectFormView, ObjectViewMixin
from itsm.core.views import add_errors, filtered_page

from . import impact as impact_analysis
from . import services
from .filtersets import ConfigurationItemFilterSet
from .forms import ItemForm, RelationForm
from .models import CIRelation, ConfigurationItem, RecordCI

#: Depth of the neighbourhood the graph view shows, in both directions.
GRAPH_DEPTH = 2


class ItemViewMixin(ObjectViewMixin):
    """The pages of configuration items (``core.object_views``): everyone reads the
    items in scope, provider staff writers write."""

    model = ConfigurationItem
    form_class = ItemForm
    url_prefix = "cmdb:item"
    context_object_name = "item"
    success_view = "detail"
    new_title = gettext_lazy("New configuration item")
    select_related = ("organization", "ci_type", "owner", "owner_team", "service")
    write_denied = gettext_lazy("You may not change configuration items.")
    save_with = staticmethod(services.save_item)

    def may_write(self) -> bool:
        return access.is_staff_writer(self.request.user)


class ItemListView(ItemViewMixin, TemplateView):
    """Filter, sort (allow-listed fields) and page (cursor) through the items in scope."""

    template_name = "cmdb/item_list.html"
    ordering = ("name", "id")
    ordering_fields = ("name", "status", "environment", "created_at", "updated_at")
    #: The cursor paginator takes its ordering from here.
    filter_backends = (StrictOrderingFilter,)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filterset = ConfigurationItemFilterSet(request.GET, request=request,
                                               queryset=self.get_queryset())
        page, paginator, error = filtered_page(request, self, filterset)
        context = self.get_context_data(
            form=filterset.form, page_filters=filterset.page_filters, items=page, error=error,
            next_link=paginator.get_next_link() if page else None,
            previous_link=paginator.get_previous_link() if page else None,
        )
        return self.render_to_response(context, status=400 if error else 200)


def visible_records(user, links: QuerySet[RecordCI]) -> list:
    """The records behind ``links`` that ``user`` may see (one query per record type)."""
    by_type: dict[int, set[int]] = {}
    for type_id, record_id in links.values_list("record_type_id", "record_id"):
        by_type.setdefault(type_id, set()).add(record_id)
    records = []
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        manager = getattr(model, "objects", None)
        if model is None or not hasattr(manager, "visible_to"):
            continue
        records += list(manager.visible_to(user).filter(pk__in=ids))
    return sorted(records, key=lambda r: str(getattr(r, "number", r.pk)))


def visible_services(user, service_ids) -> QuerySet[Service]:
    """Services in the reader's catalogue; customers only those they subscribe to."""
    services = Service.objects.visible_to(user).filter(pk__in=service_ids)
    if not access.is_provider_staff(user):
        org = access.organization_of(user)
        services = services.filter(customers=org)
    return services.order_by("name")


def scoped_impact(user, item: ConfigurationItem) -> dict[str, Any]:
    """``impact.analyse`` cut down to what the reader may see."""
    result = impact_analysis.analyse(item)
    items = list(ConfigurationItem.objects.visible_to(user)
                 .filter(pk__in=result.item_ids).exclude(pk=item.pk)
                 .select_related("ci_type", "organization").order_by("name", "id"))
    visible_ids = {i.pk for i in items} | {item.pk}
    open_records = []
    by_model: dict[type, set[int]] = {}
    for record in result.open_records:
        by_model.setdefault(type(record), set()).add(record.pk)
    allowed = {(model, pk) for model, ids in by_model.items()
               for pk in model.objects.visible_to(user).filter(pk__in=ids)
               .values_list("pk", flat=True)}
    open_records = [r for r in result.open_records if (type(r), r.pk) in allowed]
    staff = access.is_provider_staff(user)
    scope = access.scope_organization_ids(user)
    return {
        "items": items,
        "services": list(visible_services(user, {s.pk for s in result.services})),
        "organizations": [o for o in result.organizations if o.pk in scope] if staff else [],
        "open_records": sorted(open_records, key=lambda r: str(r.number)),
        "hidden_items": len(result.item_ids - visible_ids) if staff else 0,
    }


class ItemDetailView(ItemViewMixin, ObjectDetailView):
    detail_template = "cmdb/item_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user, item = self.request.user, context["item"]
        visible = ConfigurationItem.objects.visible_to(user)
        outgoing = (CIRelation.objects.filter(source=item, target__in=visible)
                    .select_related("target__ci_type").order_by("kind", "target__name"))
        incoming = (CIRelation.objects.filter(target=item, source__in=visible)
                    .select_related("source__ci_type").order_by("kind", "source__name"))
        context.update(
            attributes=sorted(item.attributes.items()) if isinstance(item.attributes, dict)
            else [],
            outgoing=outgoing,
            incoming=incoming,
            records=visible_records(user, RecordCI.objects.filter(ci=item)),
            impact=scoped_impact(user, item),
            relation_form=kwargs.get("relation_form")
            or (RelationForm(user=user, source=item) if self.may_write() else None),
        )
        return context


def neighbourhood(user, item: ConfigurationItem, depth: int = GRAPH_DEPTH) -> dict[str, Any]:
    """Nodes and edges within ``depth`` relations of ``item``, both directions, for the
    ECharts graph. Items the reader may not see are left out and not walked through."""
    visible = ConfigurationItem.objects.visible_to(user)
    seen, frontier = {item.pk}, {item.pk}
    edges: dict[int, CIRelation] = {}
    for _level in range(depth):
        if not frontier:
            break
        relations = CIRelation.objects.filter(
            Q(source_id__in=frontier) | Q(target_id__in=frontier),
            source__in=visible, target__in=visible)
        next_frontier = set()
        for relation in relations:
            edges[relation.pk] = relation
            for pk in (relation.source_id, relation.target_id):
                if pk not in seen:
                    seen.add(pk)
                    next_frontier.add(pk)
        frontier = next_frontier
    nodes = list(visible.filter(pk__in=seen).select_related("ci_type").order_by("name", "id"))
    types = sorted({n.ci_type for n in nodes}, key=lambda t: t.name)
    category = {t.pk: index for index, t in enumerate(types)}
    kinds = dict(CIRelation._meta.get_field("kind").choices)
    return {
        "categories": [{"name": t.name} for t in types],
        "nodes": [{
            "id": str(n.pk), "name": n.name, "category": category[n.ci_type_id],
            "value": n.ci_type.name, "url": reverse("cmdb:item-detail", args=[n.pk]),
            "symbolSize": 46 if n.pk == item.pk else 28, "center": n.pk == item.pk,
        } for n in nodes],
        "links": [{"source": str(r.source_id), "target": str(r.target_id),
                   "label": str(kinds.get(r.kind, r.kind))}
                  for r in sorted(edges.values(), key=lambda r: r.pk)],
    }


class ItemGraphView(ItemViewMixin, TemplateView):
    template_name = "cmdb/item_graph.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        item = self.get_object()
        graph = neighbourhood(self.request.user, item)
        context.update(item=item, graph=graph, depth=GRAPH_DEPTH)
        return context


class ItemFormView(ItemViewMixin, ObjectFormView):
    """Create (no pk) or edit (pk) an item through ``cmdb.services``."""

    def get_form(self, instance: ConfigurationItem | None, data: Any = None) -> ItemForm:
        return ItemForm(data=data, user=self.request.user, item=instance)

    def form_data(self, form: ItemForm) -> dict[str, Any]:
        return form.cleaned_data


class ItemActionView(ItemDetailView):
    """POST-only actions on an item; errors re-render the detail page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.get_object()
        try:
            self.require_writer()
            extra = self.act(item)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or self.write_denied)
            status, extra = 403, {}
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status, extra = 400, {}
        except WorkflowError as exc:  # e.g. still in use (409)
            messages.error(request, exc.message)
            status, extra = exc.status_code, {}
        else:
            if extra is None:
                return redirect(self.success_url(item))
            status = 400
        item = self.get_object()
        return self.render_to_response(self.get_context_data(instance=item, **extra),
                                       status=status)

    def success_url(self, item: ConfigurationItem) -> str:
        return reverse("cmdb:item-detail", args=[item.pk])

    def act(self, item: ConfigurationItem) -> dict | None:
        raise NotImplementedError


class RelationAddView(ItemActionView):
    def act(self, item: ConfigurationItem) -> dict | None:
        form = RelationForm(self.request.POST, user=self.request.user, source=item)
        if form.is_valid():
            try:
                services.add_relation(item, form.cleaned_data["target"],
                                             kind=form.cleaned_data["kind"],
                                             actor=self.request.user)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(self.request, _("Relation added."))
                return None
        return {"relation_form": form}


class RelationRemoveView(ItemActionView):
    def act(self, item: ConfigurationItem) -> dict | None:
        visible = ConfigurationItem.objects.visible_to(self.request.user)
        relation = get_object_or_404(
            CIRelation.objects.filter(Q(source=item) | Q(target=item),
                                      source__in=visible, target__in=visible),
            pk=self.kwargs["relation_id"])
        services.remove_relation(relation, actor=self.request.user)
        messages.success(self.request, _("Relation removed."))
        return None


class ItemDeleteView(ItemActionView):
    def act(self, item: ConfigurationItem) -> dict | None:
        services.delete_item(item, actor=self.request.user)
        messages.success(self.request, _("“%(name)s” deleted.") % {"name": item.name})
        return None

    def success_url(self, item: ConfigurationItem) -> str:
        return reverse("cmdb:item-list")
