"""The record FilterSet: one class serves the web UI list and the API."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from . import search as keyword_search
from .choices import Priority, Role
from .limits import TITLE_MAX_LENGTH
from .models import Department, Organization, Team
from .scoping import User, provider_staff, restrict

#: The largest id a database key holds (64-bit): a bigger number names nothing.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An object id given as a plain number: a whole number from 1 to MAX_ID, else a
    400 with a field message (a fraction or a 300-digit number is not an id, and would
    overflow the database's integer)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def to_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` (naive: in the current time zone) in UTC, as queries should carry it:
    PostgreSQL refuses offsets beyond ±15:59, which Python accepts. ValueError when the
    instant falls outside the years 1–9999 in UTC."""
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError(str(exc)) from exc


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, in UTC (see ``to_utc``); an instant no database holds
    is invalid: a 400 with a field message."""

    def to_python(self, value):
        moment = super().to_python(value)
        try:
            return None if moment is None else to_utc(moment)
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """A date and time filter for records: ISO 8601, compared in UTC."""

    field_class = UTCIsoDateTimeField


def _restricted(queryset):
    """A filter's queryset (a queryset or a function of the request) limited to the
    scope of the request's user (``core.scoping.restrict``)."""

    def scoped(request):
        chosen = queryset(request) if callable(queryset) else queryset
        if chosen is None:
            return None
        return restrict(chosen, getattr(request, "user", None))

    scoped.restricted = True
    return scoped


class ScopedChoicesMixin:
    """Every model choice filter offers and accepts only objects of the reader's scope,
    whatever queryset it declares: the base of every FilterSet of the project (the
    API's filter backend refuses another; ``core.tests.test_scoped_choices`` checks)."""

    def get_form_class(self):
        # The form is built from the filters once, after every __init__ has added its
        # own: each model choice filter is restricted here, on this instance's copies.
        for model_filter in self.filters.values():
            if (isinstance(model_filter, django_filters.filters.QuerySetRequestMixin)
                    and not getattr(model_filter.queryset, "restricted", False)):
                model_filter.queryset = _restricted(model_filter.queryset)
        return super().get_form_class()


class ScopedFilterSet(ScopedChoicesMixin, django_filters.FilterSet):
    """A FilterSet for the web UI and the API whose choices are scoped."""


def _scoped(factory):
    def queryset(request):
        if request is None:
            return factory(None).none()
        return factory(request.user)
    return queryset


class RecordFilterSet(ScopedFilterSet):
    """Filters every record type has; a subclass adds ``status`` choices and its own."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("priority"))
    organization = django_filters.ModelChoiceFilter(
        queryset=Organization.objects.all(), label=_("organization"))
    requester = django_filters.ModelChoiceFilter(
        queryset=User.objects.all(), label=_("requester"))
    assignee = django_filters.ModelChoiceFilter(
        queryset=_scoped(provider_staff), label=_("assignee"))
    owner = django_filters.ModelChoiceFilter(queryset=_scoped(provider_staff), label=_("owner"))
    assignee_team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), label=_("team"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open only"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("assigned to me"))
    created_after = DateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("created after"))
    created_before = DateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("created before"))
    due_before = DateTimeFilter(
        field_name="due_at", lookup_expr="lt", label=_("due before"))

    #: Filters built even when not asked for: the list page shows their fields and tabs.
    always_built = ("status", "priority", "organization", "queue")
    #: Fields of the record base that are deliberately not filterable.
    unfiltered_fields = ("title", "description", "created_by", "updated_at", "version", "id",
                         "search_text")  # search_text: through ``q``

    class Meta:
        fields = ["status", "priority", "organization", "requester", "assignee", "owner",
                  "assignee_team", "number"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        workflow = self._meta.model.workflow
        self.filters["status"] = django_filters.MultipleChoiceFilter(
            field_name="status", choices=workflow.statuses.choices, label=_("status"))
        self.filters["number"] = django_filters.CharFilter(
            field_name="number", lookup_expr="iexact", label=_("number"))
        # Only the filters asked for (and those the list page shows) are built: a filter
        # without a value changes nothing, and each one builds a form field, several
        # with scoped querysets, on every request.
        asked = set(self.data) if self.data is not None else set()
        self.filters = {name: f for name, f in self.filters.items()
                        if name in asked or name in self.always_built}

    def search(self, queryset, name, value):
        """The record numbered ``value``, or records containing every word of it, in
        their text or in a comment the reader may see (jieba-segmented full-text
        search, ``core.search``)."""
        if not value.strip():
            return queryset
        user = getattr(self.request, "user", None)
        found, _few = keyword_search.matching(
            queryset, value, user=user if user is not None and user.is_authenticated else None)
        return found

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        final = self._meta.model.workflow.final
        return queryset.exclude(status__in=final) if value else queryset.filter(status__in=final)

    def filter_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(assignee=self.request.user)


class PersonFilterSet(ScopedFilterSet):
    """People by words of their name, login, email or phone, organization, department,
    team, role (a role code) and whether active: one class for the people page and the
    API's people route. ``profile__organization`` and ``groups__name`` are the names the
    API knew first."""

    q = django_filters.CharFilter(method="search", label=_("Search"),
                                  max_length=TITLE_MAX_LENGTH)
    organization = django_filters.ModelChoiceFilter(
        field_name="profile__organization", queryset=Organization.objects.all(),
        label=_("organization"))
    department = django_filters.ModelChoiceFilter(
        field_name="profile__department", queryset=Department.objects.all(),
        label=_("department"))
    team = django_filters.ModelChoiceFilter(
        field_name="teams", queryset=Team.objects.all(), label=_("team"))
    role = django_filters.ChoiceFilter(field_name="groups__name", choices=Role.choices,
                                       label=_("role"), empty_label=_("All"))
    is_active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = User
        fields = {"profile__organization": ["exact"], "groups__name": ["exact"]}

    def search(self, queryset, name, value):
        """People with every word of ``value`` in their login, name (family name first
        too: 王小明), email or phone."""
        words = value.split()
        if not words:
            return queryset
        queryset = queryset.annotate(full_name=Concat("last_name", "first_name"))
        for word in words:
            queryset = queryset.filter(
                Q(username__icontains=word) | Q(full_name__icontains=word)
                | Q(first_name__icontains=word) | Q(last_name__icontains=word)
                | Q(email__icontains=word) | Q(profile__phone__icontains=word))
        return queryset
