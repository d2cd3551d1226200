"""The directory in the web app: organizations, departments (a tree under their
organization), teams and people, on the generic object pages (``core.object_views``).

Who reads: provider staff (the auditor included) and customer administrators (their own
organization); requesters get 404. Who writes (``core.directory`` decides, for these
pages and the API alike): provider administrators everything of their scope, customer
administrators the people of their own organization with customer roles; others 403.
A person is never deleted: they are deactivated, which ends their sessions and tokens.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from . import access, accounts, directory
from . import rules as perms
from .api.filters import StrictOrderingFilter
from .choices import CUSTOMER_ROLES, Role
from .directory_forms import (
    DepartmentForm,
    OrganizationForm,
    PersonForm,
    TeamForm,
    field_label,
)
from .filtersets import PersonFilterSet
from .models import Department, Organization, Profile, Team, display_name
from .object_views import ObjectDeleteView, ObjectDetailView, ObjectViewMixin, object_views
from .views import filtered_page

User = get_user_model()


def role_labels(person) -> list[str]:
    """The translated names of a person's roles, in the order of ``Role`` (from
    prefetched groups: no query)."""
    names = {group.name for group in person.groups.all()}
    return [str(role.label) for role in Role if role in names] + sorted(
        name for name in names if name not in Role.values)


def department_tree(departments: list[Department]) -> list[tuple[Department, int]]:
    """Departments in tree order with their depth: each one under its parent, siblings
    by name. A department whose parent is not among them is a root."""
    ids = {d.pk for d in departments}
    children: dict[int | None, list[Department]] = defaultdict(list)
    for department in sorted(departments, key=lambda d: d.name):
        children[department.parent_id if department.parent_id in ids else None].append(
            department)
    rows: list[tuple[Department, int]] = []
    stack = [(d, 0) for d in reversed(children[None])]
    seen: set[int] = set()
    while stack:
        department, depth = stack.pop()
        if department.pk in seen:
            continue
        seen.add(department.pk)
        rows.append((department, depth))
        stack.extend((child, depth + 1) for child in reversed(children[department.pk]))
    return rows


def field_labels() -> dict[str, str]:
    """Column and field names of the directory pages: the models' own verbose names
    (translated with them), capitalized."""
    label = field_label
    return {
        "organizations": capfirst(Organization._meta.verbose_name_plural),
        "departments": capfirst(Department._meta.verbose_name_plural),
        "teams": capfirst(Team._meta.verbose_name_plural),
        "team": capfirst(Team._meta.verbose_name),
        **{name: label(Organization, name) for name in (
            "name", "code", "kind", "provider", "time_zone", "is_active")},
        **{name: label(Department, name) for name in ("parent", "head")},
        **{name: label(Team, name) for name in ("lead", "members", "description")},
        **{name: label(User, name) for name in (
            "username", "email", "last_login", "date_joined")},
        **{name: label(Profile, name) for name in (
            "organization", "department", "phone", "job_title", "language")},
    }


class DirectoryMixin(ObjectViewMixin):
    """What the directory pages share: who reads, who writes, the tabs."""

    nav_template = "core/_directory_nav.html"
    success_view = "detail"
    write_denied = gettext_lazy("Only administrators of the provider may change the "
                                "directory.")

    def may_read(self) -> bool:
        return directory.may_read_directory(self.request.user)

    def may_write(self) -> bool:
        return perms.can_manage_master_data(self.request.user)

    def save(self, instance, data: dict[str, Any]):
        return directory.save_object(instance, model=self.model, actor=self.request.user,
                                     data=data)

    def delete_object(self, instance) -> None:
        directory.delete_object(instance, actor=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["labels"] = field_labels()
        return context


# --- Organizations --------------------------------------------------------------------------


class OrganizationMixin(DirectoryMixin):
    model = Organization
    form_class = OrganizationForm
    url_prefix = "organization"
    list_template = "core/organization_list.html"
    detail_template = "core/organization_detail.html"
    context_object_name = "org"  # ``organization`` is the reader's own (the user menu)
    select_related = ("provider",)

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().annotate(
            people_count=Count("profiles", filter=Q(profiles__user__is_active=True),
                               distinct=True),
            department_count=Count("departments", distinct=True),
        ).order_by("-kind", "name")


class OrganizationDetailView(OrganizationMixin, ObjectDetailView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        org, user = context["org"], self.request.user
        departments = Department.objects.visible_to(user).filter(
            organization=org).select_related("head").annotate(people_count=Count(
                "profiles", filter=Q(profiles__user__is_active=True)))
        context.update(
            departments=department_tree(list(departments)),
            teams=Team.objects.visible_to(user).filter(organization=org).select_related(
                "lead").annotate(member_count=Count("members")),
            may_manage_people=directory.may_manage_people(user),
        )
        return context


# --- Departments ----------------------------------------------------------------------------


class DepartmentMixin(DirectoryMixin):
    model = Department
    form_class = DepartmentForm
    url_prefix = "department"
    list_template = "core/department_list.html"
    context_object_name = "department"
    success_view = "list"
    initial_from_query = ("organization", "parent")
    select_related = ("organization", "head", "parent")


class DepartmentTreeMixin:
    """Each organization's departments as a tree, with their heads and people (the
    list page, and the delete view that shows it with a refusal)."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        departments = list(self.get_queryset().annotate(people_count=Count(
            "profiles", filter=Q(profiles__user__is_active=True))))
        by_org: dict[int, list[Department]] = defaultdict(list)
        for department in departments:
            by_org[department.organization_id].append(department)
        organizations = Organization.objects.visible_to(self.request.user).order_by(
            "-kind", "name")
        context["organizations"] = [(org, department_tree(by_org.get(org.pk, [])))
                                    for org in organizations]
        return context


class DepartmentListView(DepartmentTreeMixin, DepartmentMixin, TemplateView):
    def get_template_names(self) -> list[str]:
        return [self.list_template]


class DepartmentDeleteView(DepartmentTreeMixin, DepartmentMixin, ObjectDeleteView):
    pass


# --- Teams ----------------------------------------------------------------------------------


class TeamMixin(DirectoryMixin):
    model = Team
    form_class = TeamForm
    url_prefix = "team"
    list_template = "core/team_list.html"
    detail_template = "core/team_detail.html"
    context_object_name = "team"
    select_related = ("organization", "lead")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().annotate(member_count=Count("members"))


class TeamDetailView(TeamMixin, ObjectDetailView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        members = list(context["team"].members.select_related("profile").prefetch_related(
            "groups").order_by("-is_active", "last_name", "first_name", "username"))
        for member in members:
            member.role_labels = role_labels(member)
        context["members"] = members
        return context


# --- People ---------------------------------------------------------------------------------


class PersonMixin(DirectoryMixin):
    model = User
    form_class = PersonForm
    url_prefix = "person"
    list_template = "core/person_list.html"
    detail_template = "core/person_detail.html"
    form_template = "core/person_form.html"
    context_object_name = "person"
    initial_from_query = ("organization", "department")
    title = gettext_lazy("People")
    new_title = gettext_lazy("New person")
    write_denied = gettext_lazy("Only administrators may change people.")

    def may_write(self) -> bool:
        return directory.may_manage_people(self.request.user)

    def get_queryset(self) -> QuerySet:
        return directory.people_of(self.request.user).select_related(
            "profile__organization", "profile__department").prefetch_related(
            "groups", Prefetch("teams", queryset=Team.objects.order_by("name")))

    def form_data(self, form: PersonForm) -> dict[str, Any]:
        return {**form.service_data(),
                "send_invitation": bool(form.cleaned_data.get("send_invitation"))}

    def save(self, instance, data: dict[str, Any]):
        invite = data.pop("send_invitation", False)
        if instance is not None:
            return directory.update_person(instance, actor=self.request.user, data=data)
        person = directory.create_person(actor=self.request.user, data=data)
        if invite and person.email:
            accounts.send_password_link(person, actor=self.request.user)
            messages.info(self.request, _("An invitation was sent to %(email)s.")
                          % {"email": person.email})
        return person

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["is_administrator"] = perms.can_manage_master_data(self.request.user)
        if context.get("instance") is not None:
            context["person_name"] = display_name(context["instance"])
        return context


class PersonListView(PersonMixin, TemplateView):
    """Filter (``PersonFilterSet``), sort (allow-listed fields) and page (cursor)
    through the people in scope; a fixed number of queries per page."""

    ordering = ("username", "id")
    ordering_fields = ("username", "last_name", "date_joined", "last_login")
    filter_backends = (StrictOrderingFilter,)  # the cursor paginator's ordering

    def get_template_names(self) -> list[str]:
        return [self.list_template]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filterset = PersonFilterSet(request.GET, request=request,
                                    queryset=self.get_queryset())
        page, paginator, error = filtered_page(request, self, filterset)
        for person in page:
            person.role_labels = role_labels(person)
        context = self.get_context_data(
            form=filterset.form, people=page, error=error,
            role_choices=[(role.value, role.label) for role in Role
                          if access.is_provider_staff(request.user)
                          or role in CUSTOMER_ROLES],
            next_link=paginator.get_next_link() if page else None,
            previous_link=paginator.get_previous_link() if page else None)
        return self.render_to_response(context, status=400 if error else 200)


class PersonDetailView(PersonMixin, ObjectDetailView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        person = context["person"]
        context.update(
            person_name=display_name(person), role_labels=role_labels(person),
            led_teams=Team.objects.visible_to(self.request.user).filter(lead=person),
            headed_departments=Department.objects.visible_to(self.request.user).filter(
                head=person),
            invited=not person.has_usable_password() and person.last_login is None)
        return context


class PersonActionView(PersonDetailView):
    """POST one action on a person: a refusal shows their page with the reason (400)."""

    http_method_names = ["post"]

    def act(self, person) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = self.get_object()
        self.require_writer()
        try:
            done = self.act(person)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self.render_to_response(self.get_context_data(instance=person),
                                           status=400)
        messages.success(request, done)
        return redirect(self.url("detail", person.pk))


class PersonInviteView(PersonActionView):
    def act(self, person) -> str:
        accounts.send_password_link(person, actor=self.request.user, kind=accounts.INVITATION)
        return _("An invitation was sent to %(email)s.") % {"email": person.email}


class PersonResetLinkView(PersonActionView):
    def act(self, person) -> str:
        accounts.send_password_link(person, actor=self.request.user, kind=accounts.RESET_LINK)
        return _("A link to set a new password was sent to %(email)s.") % {
            "email": person.email}


class PersonDeactivateView(PersonActionView):
    def act(self, person) -> str:
        directory.update_person(person, actor=self.request.user, data={"is_active": False})
        return _("%(person)s was deactivated: their sessions ended and their API tokens "
                 "were deleted.") % {"person": display_name(person)}


class PersonActivateView(PersonActionView):
    def act(self, person) -> str:
        directory.update_person(person, actor=self.request.user, data={"is_active": True})
        return _("%(person)s was activated.") % {"person": display_name(person)}


ORGANIZATION_VIEWS = object_views(OrganizationMixin, only=("list", "form", "delete"),
                                  extra={"detail": OrganizationDetailView})
DEPARTMENT_VIEWS = object_views(DepartmentMixin, only=("form",), extra={
    "list": DepartmentListView, "delete": DepartmentDeleteView})
TEAM_VIEWS = object_views(TeamMixin, only=("list", "form", "delete"),
                          extra={"detail": TeamDetailView})
PERSON_VIEWS = object_views(PersonMixin, only=("form",), extra={
    "list": PersonListView, "detail": PersonDetailView})
PERSON_ACTIONS = {"invite": PersonInviteView, "reset-link": PersonResetLinkView,
                  "deactivate": PersonDeactivateView, "activate": PersonActivateView}
