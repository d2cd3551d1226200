"""Generic pages of the objects that are not records (master data, register entries
without a workflow): a list, a detail page, a form and a delete, declared on a mixin as
the record pages are (``core.views.views_for``), their URLs from ``object_urls``.

A mixin names the model, its form, its URL prefix, who may read and who may write, and
the app's service that saves and deletes (which calls ``core.objects``)::

    class DrillMixin(ObjectViewMixin):
        model = Drill
        form_class = DrillForm
        url_prefix = "security:drill"
        save_with = staticmethod(services.save_drill)   # as the API's ObjectSerializer
        def may_write(self) -> bool: ...

    DRILL_VIEWS = object_views(DrillMixin)            # list, detail, form, delete
    urlpatterns = object_urls("security/drills", "drill", DRILL_VIEWS)

Querysets start from the model's ``visible_to(user)``: an object outside the reader's
scope is a 404, and so is every page for a reader ``may_read`` refuses. A write by
someone ``may_write`` refuses is a 403; a service's ``ValidationError`` is shown on the
form (400), and an object still in use is not deleted: the list says why (409).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from . import access
from .objects import InUseError
from .views import SignedInMixin, add_errors


class ObjectViewMixin(SignedInMixin):
    """What the pages of one kind of object share (see the module's docstring)."""

    model: type[Model]
    form_class: type | None = None
    #: ``<namespace>:<name>``: the pages are ``<prefix>-list``, ``-create``, ``-detail``,
    #: ``-edit`` and ``-delete`` (those that exist).
    url_prefix: str
    list_template: str = ""
    detail_template: str = ""
    form_template: str = "core/object_form.html"
    #: The name the detail and form templates also know the object by (``drill``).
    context_object_name: str = "object"
    #: Where a saved object leads: its ``detail`` page or the ``list``.
    success_view: str = "list"
    #: Fields a new object's form takes from the query string (``?plan=3``).
    initial_from_query: tuple[str, ...] = ()
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    #: Included above the page's title (an app's tabs); gets ``active`` = the kind.
    nav_template: str = ""
    title: Any = None
    new_title: Any = None
    write_denied: Any = gettext_lazy("You may not change these.")

    # --- What a mixin decides -----------------------------------------------------------

    def may_read(self) -> bool:
        """Whether the reader may see these pages at all (else every one is a 404)."""
        return True

    def may_write(self) -> bool:
        return False

    #: The app's service that creates (``instance`` None) or updates, as the API's
    #: ``ObjectSerializer`` declares it: ``staticmethod(services.save_x)``.
    save_with: Any = None

    def save(self, instance: Model | None, data: dict[str, Any]) -> Model:
        return self.save_with(instance, actor=self.request.user, data=data)

    def delete_object(self, instance: Model) -> None:
        raise NotImplementedError

    # --- Shared -------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.url_prefix.rpartition(":")[2]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not self.may_read():
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        queryset = self.model.objects.visible_to(self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    def get_object(self) -> Model:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def require_writer(self) -> None:
        if not self.may_write():
            raise PermissionDenied(self.write_denied)

    def url(self, view: str, *args: Any) -> str | None:
        """The URL of one of this kind's pages; None for a page it does not have."""
        try:
            return reverse(f"{self.url_prefix}-{view}", args=args)
        except NoReverseMatch:
            return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        meta = self.model._meta
        context.update(
            kind=self.kind, can_write=self.may_write(), nav_template=self.nav_template,
            is_staff=access.is_provider_staff(self.request.user),
            title=self.title or capfirst(meta.verbose_name_plural),
            new_title=self.new_title or _("New %(name)s") % {"name": meta.verbose_name},
            list_url=self.url("list"), create_url=self.url("create"))
        return context


class ObjectListView(ObjectViewMixin, TemplateView):
    def get_template_names(self) -> list[str]:
        return [self.list_template]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["objects"] = self.get_queryset()
        return context


class ObjectDetailView(ObjectViewMixin, TemplateView):
    def get_template_names(self) -> list[str]:
        return [self.detail_template]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        instance = kwargs.get("instance") or self.get_object()
        context.update({"instance": instance, self.context_object_name: instance,
                        "edit_url": self.url("edit", instance.pk)})
        return context


class ObjectFormView(ObjectViewMixin, TemplateView):
    """Create (no ``pk``) or edit; an invalid form or a refused save re-renders with the
    messages (400) and keeps what was typed."""

    def get_template_names(self) -> list[str]:
        return [self.form_template]

    def get_instance(self) -> Model | None:
        instance = self.get_object() if "pk" in self.kwargs else None
        self.require_writer()
        return instance

    def get_form(self, instance: Model | None, data: Any = None):
        initial = None
        if instance is None and data is None:
            initial = {name: self.request.GET[name] for name in self.initial_from_query
                       if name in self.request.GET}
        return self.form_class(data, instance=instance, user=self.request.user,
                               initial=initial)

    def form_data(self, form) -> dict[str, Any]:
        return {name: form.cleaned_data[name] for name in form.Meta.fields
                if name in form.cleaned_data}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        instance = context.get("instance")
        context.update({self.context_object_name: instance,
                        "cancel_url": (self.url("detail", instance.pk) or self.url("list"))
                        if instance else self.url("list"),
                        "delete_url": self.url("delete", instance.pk) if instance else None})
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        return self.render_to_response(self.get_context_data(
            form=self.get_form(instance), instance=instance))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        form = self.get_form(instance, request.POST)
        if form.is_valid():
            try:
                saved = self.save(instance, self.form_data(form))
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved})
                return redirect(self.url(self.success_view, *(
                    [saved.pk] if self.success_view in ("detail", "edit") else [])))
        return self.render_to_response(self.get_context_data(form=form, instance=instance),
                                       status=400)


class ObjectDeleteView(ObjectListView):
    """POST: delete one object; one still in use is refused (409, the list says why)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_object()
        self.require_writer()
        name = str(instance)
        try:
            self.delete_object(instance)
        except InUseError as exc:
            messages.error(request, exc.message)
            return self.render_to_response(self.get_context_data(), status=exc.status_code)
        messages.success(request, _("“%(name)s” deleted.") % {"name": name})
        return redirect(self.url("list"))


OBJECT_VIEWS: dict[str, type] = {"list": ObjectListView, "detail": ObjectDetailView,
                                 "form": ObjectFormView, "delete": ObjectDeleteView}


def object_views(mixin: type, *, only: tuple[str, ...] = tuple(OBJECT_VIEWS),
                 extra: dict[str, type] | None = None) -> dict[str, type]:
    """The generic object views named in ``only`` bound to ``mixin``, which sets
    ``model``, ``url_prefix``, ``form_class`` …, and ``extra`` views of the kind's own
    (built on the mixin already)."""
    views = {name: type(f"{mixin.__name__.removesuffix('Mixin')}{OBJECT_VIEWS[name].__name__}",
                        (mixin, OBJECT_VIEWS[name]), {})
             for name in only}
    return {**views, **(extra or {})}


def object_urls(segment: str, name: str, views: dict[str, type]) -> list:
    """The URLs of one kind of object, for the views it has: ``<name>-list``
    (``segment/``), ``-create`` (``new/``), ``-detail`` (``<pk>/``), ``-edit``
    (``<pk>/edit/``), ``-delete`` (``<pk>/delete/``)."""
    routes = {"list": [("", "list")], "form": [("new/", "create"), ("<int:pk>/edit/", "edit")],
              "detail": [("<int:pk>/", "detail")], "delete": [("<int:pk>/delete/", "delete")]}
    return [path(f"{segment}/{route}", views[view].as_view(), name=f"{name}-{suffix}")
            for view, pairs in routes.items() if view in views for route, suffix in pairs]
