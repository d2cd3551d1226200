"""One floor under every choice (issue 14): related fields of API serializers, filters,
form fields and admin choices offer only objects of the reader's scope.

The structural tests walk every class of the project, so a new serializer, FilterSet,
form or admin class built on the plain Django/DRF bases fails here; a relation to a
model without a scope fails too. The behavioural tests ask every viewset of the API for
the serializer and FilterSet it would use, as a customer of A, and look at what their
choices would offer.
"""

# covers: GEN-ACCESS (organization scoping of every choice)

from __future__ import annotations

import importlib
import pkgutil

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLResolver, get_resolver
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

import itsm
from itsm.conftest import SENTINEL_B
from itsm.core.admin import ScopedChoicesAdminMixin
from itsm.core.api.serializers import ScopedModelSerializer, StrictPrimaryKeyRelatedField
from itsm.core.filtersets import ScopedChoicesMixin
from itsm.core.forms import ScopedFormMixin
from itsm.core.scoping import has_scope, restrict, scoped


def _import_project() -> None:
    for module in pkgutil.walk_packages(itsm.__path__, "itsm."):
        if ".tests" in module.name or ".migrations" in module.name:
            continue
        importlib.import_module(module.name)


def project_classes(base: type) -> list[type]:
    """Every subclass of ``base`` defined in the project (outside its tests)."""
    _import_project()
    found, todo = set(), [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted((c for c in found if c.__module__.startswith("itsm.")
                   and ".tests" not in c.__module__), key=lambda c: c.__qualname__)


def relation_fields(fields) -> list:
    return [f for f in fields
            if isinstance(f, serializers.RelatedField | serializers.ManyRelatedField)]


# --- Structure: every class stands on the scoped bases ------------------------------------


def test_every_model_serializer_is_scoped():
    bare = [c.__qualname__ for c in project_classes(serializers.ModelSerializer)
            if not issubclass(c, ScopedModelSerializer)]
    assert bare == []


def test_plain_serializers_declare_no_related_field():
    """A related field belongs on a ScopedModelSerializer, where it is scoped."""
    offenders = [c.__qualname__ for c in project_classes(serializers.Serializer)
                 if not issubclass(c, ScopedModelSerializer)
                 and relation_fields(c._declared_fields.values())]
    assert offenders == []


def test_every_declared_related_field_is_strict():
    loose = [f"{c.__qualname__}.{name}" for c in project_classes(ScopedModelSerializer)
             for name, f in c._declared_fields.items()
             if isinstance(f, serializers.RelatedField)
             and not isinstance(f, StrictPrimaryKeyRelatedField)]
    assert loose == []


def test_every_declared_integer_field_is_strict():
    """Model integer fields map to StrictIntegerField (ScopedModelSerializer); a declared
    one must be strict too, or ``1.0`` and ``"1_000"`` would be read as integers."""
    from itsm.core.api.fields import StrictIntegerField

    loose = [f"{c.__qualname__}.{name}" for c in project_classes(serializers.Serializer)
             for name, f in c._declared_fields.items()
             if isinstance(f, serializers.IntegerField)
             and not isinstance(f, StrictIntegerField)]
    assert loose == []


@pytest.mark.parametrize("value", ["1.0", "1_000", 1.5, True, "1e3"])
def test_integers_written_otherwise_are_refused(world, value):
    record = world.request("requester_a")
    response = world.client("agent").patch(f"/api/service-requests/{record.pk}/", {
        "title": "改", "version": value}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["version"] == ["A valid integer is required."] or \
        response.json()["version"] == ["请填写合法的整数值。"]


def test_every_filterset_is_scoped():
    bare = [c.__qualname__ for c in project_classes(django_filters.FilterSet)
            if not issubclass(c, ScopedChoicesMixin)]
    assert bare == []


def test_every_form_with_a_model_choice_is_scoped():
    # The form of an admin class gets its model fields from the admin's
    # formfield_for_dbfield (scoped by ScopedChoicesAdminMixin, tested below).
    admin_forms = {model_admin.form for model_admin in admin.site._registry.values()}
    bare = [c.__qualname__ for c in project_classes(forms.BaseForm)
            if not issubclass(c, ScopedFormMixin) and c not in admin_forms
            and any(isinstance(f, forms.ModelChoiceField) for f in c.base_fields.values())]
    assert bare == []


def test_every_admin_class_and_inline_is_scoped():
    bare = []
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("itsm."):
            continue
        if not isinstance(model_admin, ScopedChoicesAdminMixin):
            bare.append(type(model_admin).__qualname__)
        bare += [inline.__qualname__ for inline in model_admin.inlines
                 if not issubclass(inline, ScopedChoicesAdminMixin)]
    assert bare == []


def test_every_related_model_has_a_scope():
    """A relation to a model nobody declared a scope for would be offered unscoped."""
    unscoped = sorted({f.related_model._meta.label for m in apps.get_app_config("core")
                       .apps.get_models() if m.__module__.startswith("itsm.")
                       for f in m._meta.get_fields()
                       if f.is_relation and f.concrete and not f.auto_created
                       and f.related_model is not ContentType
                       and not has_scope(f.related_model)})
    assert unscoped == []


def test_a_model_without_a_scope_is_refused(world):
    with pytest.raises(ImproperlyConfigured, match="has no scope"):
        scoped(ContentType, world.admin)
    queryset = restrict(type(world.admin).objects.all(), None)
    assert list(queryset) == []


# --- Behaviour: what every viewset would offer a customer of A ----------------------------


def offers_outside_scope(queryset, user) -> bool:
    """Whether ``queryset`` holds an object ``user`` may not see."""
    offered = set(queryset.values_list("pk", flat=True))
    return not offered <= set(scoped(queryset.model, user).values_list("pk", flat=True))


def api_viewsets() -> list[tuple[str, type]]:
    """(route name, viewset class) of every API route backed by a viewset."""
    found: dict[type, str] = {}

    def walk(patterns) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            else:
                cls = getattr(pattern.callback, "cls", None)
                if cls is not None and hasattr(cls, "get_serializer_class"):
                    found.setdefault(cls, pattern.name)

    walk(get_resolver().url_patterns)
    return sorted(((name, cls) for cls, name in found.items()), key=lambda item: item[0])


def _view(cls, user, action: str):
    request = Request(APIRequestFactory().post("/api/"))
    request.user = user
    view = cls()
    view.request, view.action, view.format_kwarg, view.kwargs, view.args = (
        request, action, None, {}, ())
    return view


@pytest.fixture
def customer_world(world):
    """The world with a sentinel-named object of B for every model a choice could
    offer: B's department, team and person already exist."""
    from itsm.core import directory
    from itsm.core.models import Department

    directory.create_object(Department, actor=None, data={
        "organization": world.orgs["B"], "name": f"部门 {SENTINEL_B}"})
    return world


def test_no_serializer_offers_a_customer_another_organizations_objects(customer_world):
    user = customer_world.requester_a
    failures = []
    for route, cls in api_viewsets():
        view = _view(cls, user, "create")
        try:
            serializer_class = view.get_serializer_class()
        except (AssertionError, AttributeError):
            continue  # an APIView without a model serializer
        serializer = serializer_class(context={"request": view.request, "view": view})
        for name, field in getattr(serializer, "fields", {}).items():
            for relation in relation_fields([field]):
                relation = getattr(relation, "child_relation", relation)
                if relation.queryset is None:
                    continue
                if offers_outside_scope(relation.queryset, user):
                    failures.append(f"{route} {serializer_class.__qualname__}.{name}")
    assert failures == []


def test_no_filter_offers_a_customer_another_organizations_objects(customer_world):
    from itsm.core.api.filters import ScopedFilterBackend

    user = customer_world.requester_a
    failures = []
    for route, cls in api_viewsets():
        view = _view(cls, user, "list")
        queryset = view.get_queryset()
        filterset_class = ScopedFilterBackend().get_filterset_class(view, queryset)
        if filterset_class is None:
            continue
        filterset = filterset_class(data={}, queryset=queryset, request=view.request)
        for name, field in filterset.form.fields.items():
            if (isinstance(field, forms.ModelChoiceField)
                    and offers_outside_scope(field.queryset, user)):
                failures.append(f"{route} {filterset_class.__qualname__}.{name}")
    assert failures == []


def test_the_filter_backend_refuses_an_unscoped_filterset(world):
    from itsm.core.api.filters import ScopedFilterBackend
    from itsm.core.models import Organization

    class Bare(django_filters.FilterSet):
        class Meta:
            model = Organization
            fields = ["provider"]

    class View:
        filterset_class = Bare

    with pytest.raises(ImproperlyConfigured, match="ScopedFilterSet"):
        ScopedFilterBackend().get_filterset_class(View(), Organization.objects.all())


@pytest.mark.parametrize("value", [1.5, "1e3", True, "1.0", -1, 2**70, [1], {"id": 1}])
def test_ids_are_parsed_strictly(world, value):
    """``organization: 1.5`` was truncated to 1: a CI was created in the provider."""
    from itsm.cmdb.models import CIType, ConfigurationItem

    ci_type, _created = CIType.objects.get_or_create(code="server", defaults={"name": "S"})
    response = world.client("admin").post("/api/configuration-items/", {
        "name": "probe", "ci_type": ci_type.pk, "organization": value}, format="json")
    assert response.status_code == 400, response.content
    assert "organization" in response.json()
    assert not ConfigurationItem.objects.exists()


def test_a_whole_id_given_as_text_is_still_accepted(world):
    from itsm.cmdb.models import CIType

    ci_type, _created = CIType.objects.get_or_create(code="server", defaults={"name": "S"})
    response = world.client("admin").post("/api/configuration-items/", {
        "name": "probe", "ci_type": str(ci_type.pk),
        "organization": str(world.orgs["A"].pk)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["organization"] == world.orgs["A"].pk
