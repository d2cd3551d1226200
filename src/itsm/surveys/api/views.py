"""Surveys and feedback API (FBK-2, FBK-3).

- Questionnaires and campaigns: provider staff read their provider's (and the shipped
  questionnaires); quality managers and administrators write. Customers get 404.
- ``campaigns/{id}/launch/`` opens a campaign; ``…/results/`` and ``…/export/`` (XLSX)
  are the results, for staff who read results; ``…/answers/`` (POST) takes answers
  given by phone or in an interview, typed by the interviewer.
- Survey answers: staff read those of their scope, a customer administrator those of
  their organization, a requester their own named ones.
- Feedback items: a record type like the others.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from itsm.core.api.views import ReadOnlyForAuditors, RecordViewSet, ScopedViewSetMixin
from itsm.core.pagination import NamePagination

from .. import resources, results, services
from ..filtersets import FeedbackItemFilterSet, SurveyResponseFilterSet
from ..models import Campaign, FeedbackItem, Questionnaire, SurveyResponse
from . import serializers as s


class ManagerWritePermission(ReadOnlyForAuditors):
    message = _("Only quality managers and administrators may manage questionnaires and "
                "survey campaigns.")

    def allowed(self, request) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allowed(request) and services.can_manage(request.user)


class SurveyObjectViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    permission_classes = [ManagerWritePermission]
    pagination_class = NamePagination
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]


class QuestionnaireViewSet(SurveyObjectViewSet):
    """Questionnaires (调查问卷); changing one a campaign used makes a new version."""

    queryset = Questionnaire.objects.all()
    serializer_class = s.QuestionnaireSerializer
    filterset_fields = ["code", "is_active"]

    def perform_destroy(self, instance: Questionnaire) -> None:
        services.delete_questionnaire(instance, actor=self.request.user)


class CampaignViewSet(SurveyObjectViewSet):
    """Survey campaigns (调查活动)."""

    queryset = Campaign.objects.all()
    serializer_class = s.CampaignSerializer
    filterset_fields = ["status", "questionnaire"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    @extend_schema(request=None, responses={200: OpenApiResponse(description="recipients")})
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        """Open the campaign: its questionnaire is frozen and every recipient gets a link."""
        campaign = self.get_object()
        tokens = services.launch_campaign(campaign, actor=request.user)
        return Response({"recipients": len(tokens), "status": "open"})

    @extend_schema(request=None, responses={200: OpenApiResponse(description="closed")})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an open campaign now: its links stop working, its results are final."""
        campaign = services.close_campaign(self.get_object(), actor=request.user)
        return Response({"status": campaign.status, "closes_at": campaign.closes_at})

    def _results(self, request) -> results.CampaignResults:
        campaign = self.get_object()
        if not services.can_read_results(request.user):
            raise PermissionDenied(_("Only quality managers, management and administrators "
                                     "may see survey results."))
        return results.campaign_results(campaign)

    @extend_schema(responses={200: OpenApiResponse(description="results")})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        """Response rate and averages per dimension, question, organization, department;
        the trend across campaigns; the period's SLA attainment and ticket ratings."""
        return Response(self._results(request).as_dict())

    @extend_schema(responses={200: OpenApiResponse(description="XLSX workbook")})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The results as an XLSX workbook (audited)."""
        return resources.results_response(self._results(request), request.user)

    @extend_schema(request=s.StaffAnswerSerializer,
                   responses={201: s.SurveyResponseSerializer})
    @action(detail=True, methods=["post"], permission_classes=[ReadOnlyForAuditors])
    def answers(self, request, pk=None):
        """Answers given by phone or in an interview, typed in by staff (the interviewer
        is recorded)."""
        campaign = self.get_object()
        body = s.StaffAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        found = body.resolve(campaign, request.user)
        response = services.submit_response(
            campaign, values=body.validated_data["answers"],
            channel=body.validated_data["channel"], actor=request.user, **found)
        return Response(s.SurveyResponseSerializer(response, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class SurveyResponseViewSet(ScopedViewSetMixin, mixins.ListModelMixin,
                            mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Survey answers of your scope (customers: their organization's, requesters their
    own)."""

    queryset = SurveyResponse.objects.all()
    serializer_class = s.SurveyResponseSerializer
    filterset_class = SurveyResponseFilterSet
    pagination_class = NamePagination

    def get_queryset(self):
        return super().get_queryset().select_related(
            "organization", "respondent", "interviewer").prefetch_related("answers")


class FeedbackItemViewSet(RecordViewSet):
    queryset = FeedbackItem.objects.all()
    serializer_class = s.FeedbackItemSerializer
    filterset_class = FeedbackItemFilterSet
    export_resource = resources.FeedbackItemResource
