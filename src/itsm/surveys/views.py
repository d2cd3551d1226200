"""Web pages of surveys and feedback: the answer page (signed link, no login; or the
portal for a logged-in recipient), the campaign list and results (staff who read
results) with their XLSX, the generic record pages of feedback items, and the pages
that manage questionnaires and campaigns (``core.object_views``: provider staff read,
quality managers and administrators write, as in the API) with the page where staff
type in an answer given by phone or in an interview."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from itsm.core import access
from itsm.core import views as base
from itsm.core.object_views import (
    ObjectDetailView,
    ObjectFormView,
    ObjectViewMixin,
    object_views,
)

from . import filtersets, forms, resources, results, services
from .choices import LIKERT_LABELS, CampaignStatus, Dimension, SurveyChannel, dimension_label
from .models import Campaign, FeedbackItem, Questionnaire, Recipient


class FeedbackItemMixin:
    model = FeedbackItem
    form_class = forms.FeedbackItemForm
    filterset_class = filtersets.FeedbackItemFilterSet
    export_resource = resources.FeedbackItemResource
    detail_fields = ("classification", "source", "score", "source_number", "analysis",
                     "handling", "handled_at", "confirmed_at")


FEEDBACK_VIEWS = base.views_for(FeedbackItemMixin)


# --- Answering ------------------------------------------------------------------------


def _questions(questionnaire: Questionnaire, language: str) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    for question in services.questions_of(questionnaire):
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


def question_context(questionnaire: Questionnaire, language: str, *, values=None,
                     errors=None) -> dict[str, Any]:
    """What ``surveys/_questions.html`` shows: the questions, the five points of a
    rating, what was answered and the message of each question refused."""
    return {"sections": _questions(questionnaire, language),
            "likert": [(str(k), str(v)) for k, v in LIKERT_LABELS.items()],
            "values": values or {}, "errors": errors or {}}


def posted_answers(post) -> dict[str, Any]:
    """The answers of a posted form (fields ``q<question id>``) as the service takes
    them: question id → value, or list of values for several choices."""
    values: dict[str, Any] = {}
    for key in post:
        if key.startswith("q") and key[1:].isdigit():
            items = post.getlist(key)
            values[key[1:]] = items if len(items) > 1 else items[0]
    return values


def error_texts(exc: ValidationError) -> dict[str, str]:
    """A service's ValidationError as one message per field (``__all__``: the rest)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return {key: " ".join(messages_) for key, messages_ in errors.items()}


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
                       **question_context(questionnaire, language, values=values,
                                          errors=errors),
                       "general_error": (errors or {}).get("__all__", ""),
                       "language": language}
            response = render(request, self.template_name, context, status=status)
        response["Content-Language"] = language
        return response

    def submit(self, request: HttpRequest, recipient: Recipient, actor) -> HttpResponse:
        try:
            services.submit_response(recipient.campaign, values=posted_answers(request.POST),
                                     recipient=recipient, channel=self.channel, actor=actor)
        except ValidationError as exc:
            return self.page(request, recipient, values=request.POST,
                             errors=error_texts(exc), status=400)
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
        return super().get_context_data(**kwargs) | {
            "campaigns": campaigns, "can_manage": services.can_manage(self.request.user)}


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


# --- Managing questionnaires and campaigns --------------------------------------------


class SurveyObjectMixin(ObjectViewMixin):
    """Provider staff read questionnaires and campaigns; quality managers and
    administrators write them (the API's rule)."""

    success_view = "detail"
    write_denied = gettext_lazy("Only quality managers and administrators may manage "
                                "questionnaires and survey campaigns.")

    def may_read(self) -> bool:
        return access.is_provider_staff(self.request.user)

    def may_write(self) -> bool:
        return services.can_manage(self.request.user)


class QuestionnaireMixin(SurveyObjectMixin):
    model = Questionnaire
    form_class = forms.QuestionnaireForm
    url_prefix = "surveys:questionnaire"
    list_template = "surveys/questionnaire_list.html"
    detail_template = "surveys/questionnaire_detail.html"
    form_template = "surveys/questionnaire_form.html"
    context_object_name = "questionnaire"
    title = gettext_lazy("Questionnaires")
    new_title = gettext_lazy("New questionnaire")

    save_with = staticmethod(services.save_questionnaire)

    def delete_object(self, instance: Questionnaire) -> None:
        services.delete_questionnaire(instance, actor=self.request.user)


class QuestionnaireDetailView(QuestionnaireMixin, ObjectDetailView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        questionnaire = context["questionnaire"]
        context.update(
            sections=[(section, [(q, dimension_label(q.dimension) if q.dimension else "")
                                 for q in section.questions.all()])
                      for section in questionnaire.sections.prefetch_related("questions")],
            campaigns=Campaign.objects.visible_to(self.request.user).filter(
                questionnaire=questionnaire).order_by("-period_start", "-pk"))
        return context


class QuestionnaireFormView(QuestionnaireMixin, ObjectFormView):
    """The questionnaire with its sections and questions; an "add" button shows the
    form again with one row more. Changing a frozen or shipped questionnaire saves a
    new version (the service decides; the page says so)."""

    def form_data(self, form: forms.QuestionnaireForm) -> dict[str, Any]:
        return {**super().form_data(form), "sections": form.editor.cleaned()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance()
        grown = self.get_form(instance, request.POST).grown()
        if grown is not None:
            return self.render_to_response(self.get_context_data(form=grown,
                                                                 instance=instance))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        instance = context.get("instance")
        context.update(
            dimensions=Dimension.choices,
            new_version=instance is not None and (instance.frozen_at is not None
                                                  or instance.provider_id is None))
        return context


class CampaignMixin(SurveyObjectMixin):
    model = Campaign
    form_class = forms.CampaignForm
    url_prefix = "surveys:campaign"
    detail_template = "surveys/campaign_detail.html"
    context_object_name = "campaign"
    title = gettext_lazy("Survey campaigns")
    select_related = ("questionnaire", "launched_by")

    save_with = staticmethod(services.save_campaign)


class CampaignFormView(CampaignMixin, ObjectFormView):
    """A draft campaign only: once launched, its targets and questionnaire stay."""

    def get_instance(self) -> Campaign | None:
        instance = super().get_instance()
        if instance is not None and instance.status != CampaignStatus.DRAFT:
            raise PermissionDenied(_("A launched campaign can no longer be edited."))
        return instance


class CampaignDetailView(CampaignMixin, ObjectDetailView):
    """The campaign, its targets and its response rate (answered / invited), with the
    actions the reader may take."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        campaign, user = context["campaign"], self.request.user
        answered = Count("pk", filter=Q(answered_at__isnull=False))
        rows = list(campaign.recipients.order_by("organization__name").values(
            "organization__name").annotate(invited=Count("pk"), answered=answered))
        invited = sum(row["invited"] for row in rows)
        done = sum(row["answered"] for row in rows)
        draft = campaign.status == CampaignStatus.DRAFT
        context.update(
            invited=invited, answered=done, responses=campaign.responses.count(),
            rate=round(100 * done / invited, 1) if invited else None,
            organization_rates=[{**row, "rate": round(100 * row["answered"] / row["invited"],
                                                      1)} for row in rows],
            channel_labels=[SurveyChannel(c).label for c in campaign.channels
                            if c in SurveyChannel.values],
            can_launch=context["can_write"] and draft,
            can_close=context["can_write"] and campaign.status == CampaignStatus.OPEN,
            can_edit=context["can_write"] and draft,
            can_record=access.is_staff_writer(user) and campaign.status == CampaignStatus.OPEN,
            can_read_results=services.can_read_results(user) and not draft)
        return context


class CampaignActionView(CampaignDetailView):
    """POST: one step of a campaign by its service (``act`` returns the message); a
    refusal is shown on the detail page (400)."""

    http_method_names = ["post"]

    def act(self, campaign: Campaign) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        campaign = self.get_object()
        self.require_writer()
        try:
            done = self.act(campaign)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self.render_to_response(self.get_context_data(instance=campaign),
                                           status=400)
        messages.success(request, done)
        return redirect("surveys:campaign-detail", pk=campaign.pk)


class CampaignLaunchView(CampaignActionView):
    """Open the campaign: its questionnaire is frozen, everyone asked gets a link
    (``services.launch_campaign``)."""

    def act(self, campaign: Campaign) -> str:
        tokens = services.launch_campaign(campaign, actor=self.request.user)
        return _("Campaign launched: %(count)d people asked.") % {"count": len(tokens)}


class CampaignCloseView(CampaignActionView):
    """Close an open campaign now (``services.close_campaign``)."""

    def act(self, campaign: Campaign) -> str:
        services.close_campaign(campaign, actor=self.request.user)
        return _("Campaign closed: its links no longer work.")


class StaffAnswerView(CampaignMixin, TemplateView):
    """An answer given by phone or in an interview, typed in by service staff: the
    questions of the answer page, who answered and who asked
    (``services.submit_response``)."""

    template_name = "surveys/staff_answer.html"

    def campaign(self) -> Campaign:
        campaign = self.get_object()
        if not access.is_staff_writer(self.request.user):
            raise PermissionDenied(_("Only service staff may type in answers given by "
                                     "phone or in an interview."))
        return campaign

    def page(self, campaign: Campaign, form, *, errors=None, status: int = 200
             ) -> HttpResponse:
        language = translation.get_language() or settings.LANGUAGE_CODE
        values = self.request.POST if self.request.method == "POST" else None
        return self.render_to_response(self.get_context_data(
            campaign=campaign, form=form, general_error=(errors or {}).get("__all__", ""),
            **question_context(campaign.questionnaire, language, values=values,
                               errors=errors)), status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        campaign = self.campaign()
        if campaign.status == CampaignStatus.DRAFT:
            messages.error(request, _("Launch the campaign first."))
            return redirect("surveys:campaign-detail", pk=campaign.pk)
        return self.page(campaign, forms.StaffAnswerForm(user=request.user,
                                                         campaign=campaign))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        campaign = self.campaign()
        form = forms.StaffAnswerForm(request.POST, user=request.user, campaign=campaign)
        values = posted_answers(request.POST)
        try:
            if not form.is_valid():  # the answers are checked too, to show every error
                services.parse_answers(campaign.questionnaire, values)
                return self.page(campaign, form, status=400)
            data = {name: form.cleaned_data[name] for name in (
                "recipient", "organization", "department", "interviewer")}
            services.submit_response(campaign, values=values, actor=request.user,
                                     channel=form.cleaned_data["channel"], **data)
        except ValidationError as exc:
            errors = error_texts(exc)
            base.add_errors(form, ValidationError({key: text for key, text in errors.items()
                                                   if key in form.fields}))
            return self.page(campaign, form, errors=errors, status=400)
        messages.success(request, _("The answer has been recorded."))
        return redirect("surveys:campaign-detail", pk=campaign.pk)


QUESTIONNAIRE_VIEWS = object_views(QuestionnaireMixin, only=("list", "delete"), extra={
    "detail": QuestionnaireDetailView, "form": QuestionnaireFormView})
CAMPAIGN_VIEWS = object_views(CampaignMixin, only=(), extra={
    "detail": CampaignDetailView, "form": CampaignFormView})
