"""Web pages of surveys and feedback: the answer page (signed link, no login; or the
portal for a logged-in recipient), the campaign list and results (staff who read
results) with their XLSX, and the generic record pages of feedback items."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from itsm.core import access
from itsm.core import views as base

from . import filtersets, forms, resources, results, services
from .choices import LIKERT_LABELS, SurveyChannel
from .models import Campaign, FeedbackItem, Recipient


class FeedbackItemMixin:
    model = FeedbackItem
    form_class = forms.FeedbackItemForm
    filterset_class = filtersets.FeedbackItemFilterSet
    export_resource = resources.FeedbackItemResource
    detail_fields = ("classification", "source", "score", "source_number", "analysis",
                     "handling", "handled_at", "confirmed_at")


FEEDBACK_VIEWS = base.views_for(FeedbackItemMixin)


# --- Answering ------------------------------------------------------------------------


def _questions(recipient: Recipient, language: str) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    for question in services.questions_of(recipient.campaign.questionnaire):
        section = question.section
        if not sections or sections[-1]["id"] != section.pk:
            sections.append({"id": section.pk, "title": section.text("title", language),
                             "questions": []})
        sections[-1]["questions"].append({
            "id": question.pk, "name": f"q{question.pk}", "kind": question.kind,
            "title": question.text("title", language), "required": question.required,
            "allow_na": question.allow_not_applicable,
            "options": question.option_labels(language)})
    return sections


class AnswerMixin:
    """Renders the questionnaire in the recipient's language and stores the answers."""

    template_name = "surveys/answer.html"
    channel = SurveyChannel.EMAIL

    def language_for(self, recipient: Recipient) -> str:
        profile = getattr(recipient.person, "profile", None)
        return (profile.language if profile and profile.language
                else settings.LANGUAGE_CODE)

    def page(self, request: HttpRequest, recipient: Recipient, *, values=None,
             errors=None, status: int = 200) -> HttpResponse:
        language = self.language_for(recipient)
        with translation.override(language):
            questionnaire = recipient.campaign.questionnaire
            context = {"recipient": recipient, "campaign": recipient.campaign,
                       "title": questionnaire.text("title", language),
                       "introduction": questionnaire.text("introduction", language),
                       "sections": _questions(recipient, language),
                       "likert": [(str(k), str(v)) for k, v in LIKERT_LABELS.items()],
                       "values": values or {}, "errors": errors or {},
                       "general_error": (errors or {}).get("__all__", ""),
                       "language": language}
            response = render(request, self.template_name, context, status=status)
        response["Content-Language"] = language
        return response

    def submit(self, request: HttpRequest, recipient: Recipient, actor) -> HttpResponse:
        values: dict[str, Any] = {}
        for key in request.POST:
            if key.startswith("q") and key[1:].isdigit():
                items = request.POST.getlist(key)
                values[key[1:]] = items if len(items) > 1 else items[0]
        try:
            services.submit_response(recipient.campaign, values=values, recipient=recipient,
                                     channel=self.channel, actor=actor)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {
                "__all__": exc.messages}
            return self.page(request, recipient, values=request.POST, errors={
                k: " ".join(v) for k, v in errors.items()}, status=400)
        with translation.override(self.language_for(recipient)):
            response = render(request, "surveys/answered.html",
                              {"campaign": recipient.campaign})
        return response

    def refused(self, request: HttpRequest, exc: services.SurveyLinkError) -> HttpResponse:
        return render(request, "surveys/answered.html", {"message": exc.message},
                      status=exc.status)


class AnswerView(AnswerMixin, View):
    """The signed link: no login; one use; closed after the campaign's close time."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            recipient = services.recipient_for_token(token)
        except services.SurveyLinkError as exc:
            return self.refused(request, exc)
        return self.page(request, recipient)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            recipient = services.recipient_for_token(token)
        except services.SurveyLinkError as exc:
            return self.refused(request, exc)
        return self.submit(request, recipient, None)


class PortalAnswerView(LoginRequiredMixin, AnswerMixin, View):
    """The portal: a logged-in person answers a campaign they were asked to answer."""

    channel = SurveyChannel.PORTAL

    def recipient(self, request: HttpRequest, pk: int) -> Recipient:
        recipient = services.open_recipient_for(request.user, pk)
        if recipient is None:
            raise Http404
        return recipient

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        recipient = self.recipient(request, pk)
        try:
            services.check_may_answer(recipient)
        except services.SurveyLinkError as exc:
            return self.refused(request, exc)
        return self.page(request, recipient)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        recipient = self.recipient(request, pk)
        try:
            services.check_may_answer(recipient)
        except services.SurveyLinkError as exc:
            return self.refused(request, exc)
        return self.submit(request, recipient, request.user)


# --- Campaigns and results ------------------------------------------------------------


class ResultsAccessMixin(LoginRequiredMixin):
    """Provider staff who read results; other staff 403; customers 404 (the campaign is
    not theirs to know of)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            if not access.is_provider_staff(request.user):
                raise Http404
            if "pk" in kwargs:  # another provider's campaign: 404 before any 403
                self.campaign()
            if not services.can_read_results(request.user):
                raise PermissionDenied(_("Only quality managers, management and "
                                         "administrators may see survey results."))
        return super().dispatch(request, *args, **kwargs)

    def campaign(self) -> Campaign:
        if hasattr(self, "_campaign"):
            return self._campaign
        campaign = (Campaign.objects.visible_to(self.request.user)
                    .select_related("questionnaire").filter(pk=self.kwargs["pk"]).first())
        if campaign is None:
            raise Http404
        self._campaign = campaign
        return campaign


class CampaignListView(ResultsAccessMixin, TemplateView):
    template_name = "surveys/campaign_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        campaigns = (Campaign.objects.visible_to(self.request.user)
                     .select_related("questionnaire").order_by("-period_start", "-pk")[:200])
        return super().get_context_data(**kwargs) | {"campaigns": campaigns}


class ResultsView(ResultsAccessMixin, TemplateView):
    template_name = "surveys/results.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        data = results.campaign_results(self.campaign())
        return super().get_context_data(**kwargs) | {
            "results": data, "campaign": data.campaign,
            "charts": [("chart-dimensions", _("Average per dimension"),
                        results.dimension_chart(data)),
                       ("chart-organizations", _("Organizations compared"),
                        results.organization_chart(data)),
                       ("chart-trend", _("Trend across campaigns"),
                        results.trend_chart(data))]}


class ResultsExportView(ResultsAccessMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return resources.results_response(results.campaign_results(self.campaign()),
                                          request.user)
