"""Forms of the directory pages: organizations, departments, teams and people.

Every model choice is scoped to the person filling the form in (``ScopedForm`` /
``ScopedModelForm``); what they may write is checked again by ``core.directory``.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import access, directory
from . import rules as perms
from .choices import Language, OrganizationKind, Role
from .forms import ScopedForm, ScopedModelForm
from .models import Department, Organization, Profile, Team, display_name

User = get_user_model()


def field_label(model, name: str) -> str:
    """A model field's verbose name as a form label (translated, capitalized)."""
    return capfirst(model._meta.get_field(name).verbose_name)


def person_label(user) -> str:
    """A person as pickers show them: 姓名 and login name."""
    name = display_name(user)
    return name if name == user.get_username() else f"{name} ({user.get_username()})"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_label(obj)


class OrganizationObjectChoiceField(forms.ModelChoiceField):
    """A department or team, with its organization's name when several may be shown."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.organization} · {obj}"


class OrganizationObjectsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.organization} · {obj}"


def _people(user):
    return (User.objects.filter(is_active=True)
            .filter(profile__organization__in=access.scope_organization_ids(user))
            .order_by("last_name", "first_name", "username"))


class OrganizationForm(ScopedModelForm):
    """A provider or a customer organization (a customer names its provider)."""

    class Meta:
        model = Organization
        fields = ["name", "code", "kind", "provider", "time_zone", "is_active"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Organization.objects.filter(
            kind=OrganizationKind.PROVIDER)
        if not self.instance.pk:
            self.fields["kind"].initial = OrganizationKind.CUSTOMER
            self.fields["provider"].initial = access.provider_id_of(self.user)

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        if value not in zoneinfo.available_timezones():
            raise ValidationError(_("Enter a time zone such as Asia/Shanghai."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind, provider = cleaned.get("kind"), cleaned.get("provider")
        if kind == OrganizationKind.CUSTOMER and provider is None:
            self.add_error("provider", _("A customer needs a provider."))
        if kind == OrganizationKind.PROVIDER and provider is not None:
            self.add_error("provider", _("A provider has no provider."))
        return cleaned


class DepartmentForm(ScopedModelForm):
    """A department: its organization, its place in the tree and its head."""

    parent = OrganizationObjectChoiceField(
        queryset=Department.objects.select_related("organization"), required=False,
        label=field_label(Department, "parent"))
    head = PersonChoiceField(queryset=User.objects.none(), required=False,
                             label=field_label(Department, "head"),
                             help_text=Department._meta.get_field("head").help_text)

    class Meta:
        model = Department
        fields = ["organization", "name", "parent", "head"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["head"].queryset = _people(self.user)
        if self.instance.pk:
            self.fields["parent"].queryset = Department.objects.select_related(
                "organization").filter(organization=self.instance.organization_id).exclude(
                pk=self.instance.pk)
            self.fields["head"].queryset = self.fields["head"].queryset.filter(
                profile__organization=self.instance.organization_id)


class TeamForm(ScopedModelForm):
    """A team records can be assigned to: its members and lead are people of the
    provider's staff (or of the team's own organization)."""

    lead = PersonChoiceField(queryset=User.objects.none(), required=False,
                             label=field_label(Team, "lead"))
    members = PeopleChoiceField(queryset=User.objects.none(), required=False,
                                label=field_label(Team, "members"),
                                widget=forms.SelectMultiple(attrs={"size": 10}))

    class Meta:
        model = Team
        fields = ["organization", "name", "description", "email", "lead", "members"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        organizations = {access.provider_id_of(self.user)}
        if self.instance.pk:
            organizations.add(self.instance.organization_id)
        people = _people(self.user).filter(profile__organization__in=organizations)
        self.fields["lead"].queryset = people
        self.fields["members"].queryset = people
        if not self.instance.pk:
            self.fields["organization"].initial = access.provider_id_of(self.user)


class PersonForm(ScopedForm):
    """A person: login account, profile, roles (by their translated names) and, for the
    provider's administrators, team memberships. A customer administrator fills it in for
    their own organization and chooses among the customer roles only."""

    username = forms.CharField(label=field_label(User, "username"),
                               max_length=150,
                               help_text=_("What the person logs in with: letters, digits "
                                           "and @ . + - _ only."))
    last_name = forms.CharField(label=field_label(User, "last_name"),
                                max_length=150, required=False)
    first_name = forms.CharField(label=field_label(User, "first_name"),
                                 max_length=150, required=False)
    email = forms.EmailField(label=field_label(User, "email"), required=False)
    phone = forms.CharField(label=field_label(Profile, "phone"),
                            max_length=32, required=False)
    job_title = forms.CharField(label=field_label(Profile, "job_title"),
                                max_length=100, required=False)
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.all(),
        label=field_label(Profile, "organization"))
    department = OrganizationObjectChoiceField(
        queryset=Department.objects.select_related("organization"), required=False,
        label=field_label(Profile, "department"))
    teams = OrganizationObjectsChoiceField(
        queryset=Team.objects.select_related("organization"), required=False,
        label=capfirst(Team._meta.verbose_name_plural), widget=forms.CheckboxSelectMultiple)
    roles = forms.MultipleChoiceField(label=_("Roles"), widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(label=field_label(Profile, "language"),
                                 choices=Language.choices, initial=Language.ZH_HANS)
    is_active = forms.BooleanField(
        label=field_label(User, "is_active"), required=False, initial=True,
        help_text=_("An inactive person cannot log in; deactivating ends their sessions "
                    "and deletes their API tokens."))
    send_invitation = forms.BooleanField(
        label=_("Send an invitation now"), required=False, initial=True,
        help_text=_("An email with a link to set a password. Without it the person cannot "
                    "log in until you send one from their page."))

    #: The fields that go to the account (the rest to the profile, roles and teams).
    account_fields = ("username", "first_name", "last_name", "email", "is_active")
    profile_fields = ("organization", "department", "phone", "job_title", "language")

    def __init__(self, data=None, *, instance=None, user, initial=None, **kwargs) -> None:
        self.instance = instance
        if instance is not None:
            initial = self.initial_of(instance)
        else:
            own = access.organization_of(user)
            initial = {"organization": own.pk if own else None, "roles": [Role.REQUESTER],
                       **(initial or {})}
        super().__init__(data, user=user, initial=initial, **kwargs)
        self.fields["roles"].choices = [(role.value, role.label)
                                        for role in directory.assignable_roles(user)]
        if not perms.can_manage_master_data(user):
            # A customer administrator: their own organization, no teams.
            del self.fields["organization"]
            del self.fields["teams"]
        if instance is not None:
            del self.fields["send_invitation"]
            if instance.pk == user.pk:
                del self.fields["is_active"]
        else:
            del self.fields["is_active"]

    @staticmethod
    def initial_of(person) -> dict[str, Any]:
        profile = person.profile
        return {"username": person.username, "first_name": person.first_name,
                "last_name": person.last_name, "email": person.email,
                "is_active": person.is_active, "phone": profile.phone,
                "job_title": profile.job_title, "organization": profile.organization_id,
                "department": profile.department_id, "language": profile.language,
                "teams": [team.pk for team in person.teams.all()],
                "roles": [group.name for group in person.groups.all()]}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("send_invitation") and not cleaned.get("email"):
            self.add_error("email", _("An invitation needs an email address."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        """What ``directory.create_person`` / ``update_person`` take. Roles the form does
        not offer (given by a provider administrator) stay as they are."""
        cleaned = self.cleaned_data
        data = {name: cleaned[name] for name in self.account_fields if name in self.fields}
        profile = {name: cleaned[name] for name in self.profile_fields if name in self.fields}
        if "organization" not in self.fields and self.instance is None:
            profile["organization"] = access.organization_of(self.user)
        offered = {value for value, _label in self.fields["roles"].choices}
        kept = [] if self.instance is None else [
            group.name for group in self.instance.groups.all() if group.name not in offered]
        data.update(profile=profile, roles=sorted({*cleaned["roles"], *kept}))
        if "teams" in self.fields:
            data["teams"] = list(cleaned["teams"])
        return data
