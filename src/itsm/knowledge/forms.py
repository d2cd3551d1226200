"""Forms of the knowledge base: an article, a category, and the readers' small forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import CUSTOMER_ROLES, OrganizationKind, Role
from itsm.core.forms import RecordForm, ScopedModelForm
from itsm.core.limits import COMMENT_MAX_LENGTH
from itsm.core.search import MAX_QUERY

from .models import Article, ArticleFlag, KnowledgeCategory
from .services import SUMMARY_MAX_LENGTH

#: The roles an article can be restricted to (provider roles).
STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r not in CUSTOMER_ROLES]


class ArticleForm(RecordForm):
    """An article's content, classification, readers and review interval; the change
    summary goes with the revision it makes."""

    customer_fields = ()
    restricted_roles = forms.MultipleChoiceField(
        label=_("roles admitted"), choices=STAFF_ROLE_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Restricted articles: staff holding one of these roles may read them."))
    summary = forms.CharField(label=_("What changed"), required=False,
                              max_length=SUMMARY_MAX_LENGTH,
                              help_text=_("Kept with the revision this save makes."))

    class Meta:
        model = Article
        fields = ["title", "description", "article_type", "article_category", "keywords",
                  "symptom", "cause", "solution", "body", "services", "configuration_items",
                  "visibility", "customer_organizations", "restricted_roles",
                  "restricted_teams", "owner", "review_interval_days", "valid_to"]
        labels = {"description": _("Summary")}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "symptom": forms.Textarea(attrs={"rows": 3}),
            "cause": forms.Textarea(attrs={"rows": 3}),
            "solution": forms.Textarea(attrs={"rows": 5}),
            "body": forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
            "valid_to": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        if "customer_organizations" in self.fields:
            field = self.fields["customer_organizations"]
            field.queryset = field.queryset.filter(kind=OrganizationKind.CUSTOMER)
        self.fields["description"].help_text = _("One or two sentences readers see in "
                                                 "lists and suggestions.")
        self.fields["symptom"].help_text = _("Fault-handling procedures and solved problems: "
                                             "what the user sees.")


class CategoryForm(ScopedModelForm):
    class Meta:
        model = KnowledgeCategory
        fields = ["name", "parent", "order"]


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(choices=[("1", _("Helpful")), ("0", _("Not helpful"))],
                                     coerce=lambda v: v == "1")
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)


class FlagForm(forms.ModelForm):
    class Meta:
        model = ArticleFlag
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class DeflectForm(forms.Form):
    q = forms.CharField(required=False, max_length=MAX_QUERY)


class ResolveFlagForm(forms.Form):
    resolution = forms.CharField(label=_("What was done"), required=False,
                                 max_length=COMMENT_MAX_LENGTH)


class UseForm(forms.Form):
    record = forms.CharField(label=_("Record number"), max_length=32)


class RestoreForm(forms.Form):
    revision = forms.IntegerField(min_value=1, max_value=1_000_000)


class DiffForm(forms.Form):
    """``?from=&to=``: the revisions to compare (default: the current and the one
    before)."""

    from_ = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)
    to = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def __init__(self, data=None, **kwargs) -> None:
        if data is not None:
            data = {"from_": data.get("from"), "to": data.get("to")}
        super().__init__(data, **kwargs)


class BrowseForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=MAX_QUERY)
    category = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)
