"""Web UI forms of the CMDB: list filters, configuration items and relations."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.catalog.models import Service
from itsm.core import safejson
from itsm.core.forms import ScopedForm
from itsm.core.limits import DESCRIPTION_MAX_LENGTH
from itsm.core.models import Organization, Team
from itsm.core.scoping import provider_staff

from .choices import CIStatus, Environment, RelationKind
from .models import CIType, ConfigurationItem


class ItemForm(ScopedForm):
    """Create or edit a configuration item (provider staff writers)."""

    organization = forms.ModelChoiceField(label=_("Organization"),
                                          queryset=Organization.objects.none())
    name = forms.CharField(label=_("Name"), max_length=200)
    ci_type = forms.ModelChoiceField(label=_("Type"), queryset=CIType.objects.all())
    status = forms.ChoiceField(label=_("Status"), choices=CIStatus.choices,
                               initial=CIStatus.ACTIVE)
    environment = forms.ChoiceField(label=_("Environment"), choices=Environment.choices,
                                    initial=Environment.PRODUCTION)
    owner = forms.ModelChoiceField(label=_("Owner"), required=False, queryset=None)
    owner_team = forms.ModelChoiceField(label=_("Owner team"), required=False,
                                        queryset=Team.objects.none())
    service = forms.ModelChoiceField(label=_("Service"), required=False,
                                     queryset=Service.objects.none())
    description = forms.CharField(label=_("Description"), required=False,
                                  max_length=DESCRIPTION_MAX_LENGTH,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    attributes = forms.CharField(
        label=_("Attributes"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('A JSON object with the attributes of the item\'s type, e.g. '
                    '{"ip_address": "10.0.0.5", "os": "openEuler 22.03"}.'))

    def __init__(self, *args: Any, user, item: ConfigurationItem | None = None,
                 **kwargs: Any) -> None:
        if item is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "organization": item.organization_id, "name": item.name,
                "ci_type": item.ci_type_id, "status": item.status,
                "environment": item.environment, "owner": item.owner_id,
                "owner_team": item.owner_team_id, "service": item.service_id,
                "description": item.description,
                "attributes": json.dumps(item.attributes, ensure_ascii=False)
                if item.attributes else "",
            }
        super().__init__(*args, user=user, **kwargs)
        self.fields["organization"].queryset = Organization.objects.visible_to(user)
        self.fields["owner"].queryset = provider_staff(user)
        self.fields["owner_team"].queryset = Team.objects.visible_to(user)
        self.fields["service"].queryset = Service.objects.visible_to(user)
        if item is not None:
            del self.fields["organization"]

    def clean_attributes(self) -> dict:
        raw = (self.cleaned_data.get("attributes") or "").strip()
        if not raw:
            return {}
        try:
            value = safejson.loads(raw)
        except safejson.JSONTooDeep as exc:
            raise forms.ValidationError(str(exc)) from exc
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a valid JSON object.")) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Enter a valid JSON object."))
        return value


class RelationForm(ScopedForm):
    """Add a relation from the item shown to another item in scope."""

    kind = forms.ChoiceField(label=_("Relation"), choices=RelationKind.choices)
    target = forms.ModelChoiceField(label=_("Target item"),
                                    queryset=ConfigurationItem.objects.none())

    def __init__(self, *args: Any, user, source: ConfigurationItem, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["target"].queryset = (ConfigurationItem.objects.visible_to(user)
                                          .exclude(pk=source.pk).select_related("ci_type"))
