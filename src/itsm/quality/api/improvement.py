"""API of continual improvement: ``/api/improvement-plans/`` (with their measures and the
effect check), ``/api/improvement-suggestions/`` and ``/api/quality-reviews/`` (with the
target evaluations of their period). Provider staff read them (anyone else: 404);
quality managers, management, team leads and administrators manage plans and reviews
and decide suggestions (others: 403); any staff member submits a suggestion; a measure's
owner completes it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from itsm.core import access
from itsm.core.api.serializers import (
    PersonNameField,
    RecordNumbersField,
    RecordSerializer,
    ScopedModelSerializer,
    StrictPrimaryKeyRelatedField,
    request_user,
)
from itsm.core.api.views import RecordViewSet
from itsm.core.filtersets import MAX_ID

from .. import improvement
from ..improvement_filtersets import (
    ImprovementPlanFilterSet,
    ImprovementSuggestionFilterSet,
    QualityReviewFilterSet,
)
from ..improvement_resources import (
    ImprovementPlanResource,
    ImprovementSuggestionResource,
    QualityReviewResource,
)
from ..models import ImprovementMeasure, ImprovementPlan, ImprovementSuggestion, QualityReview
from .serializers import TargetEvaluationSerializer


def provider_staff(user):
    return get_user_model().objects.filter(
        is_active=True, profile__organization_id=access.provider_id_of(user))


class ImprovementMeasureSerializer(ScopedModelSerializer):
    """A measure of a plan: a task with an owner (a member of the provider's staff) and a
    due date; ``done_at`` is set by completing it."""

    owner_name = PersonNameField(source="owner")

    class Meta:
        model = ImprovementMeasure
        fields = ["id", "plan", "title", "owner", "owner_name", "due_date", "done_at",
                  "note", "created_at"]
        read_only_fields = ["plan", "done_at", "created_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.method not in ("GET", "HEAD"):
            fields["owner"].queryset = provider_staff(request.user)
        return fields


class CompleteMeasureSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class OwnedRecordSerializer(RecordSerializer):
    """A record of the provider's staff: its organization (the actor's) and requester
    (the actor) need not be given; ``create_with``/``update_with`` are the services."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name in ("organization", "requester"):
            fields[name].required = False
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and attrs.get("organization") is None:
            attrs["organization"] = access.organization_of(request_user(self))
        return super().validate(attrs)


class ImprovementPlanSerializer(OwnedRecordSerializer):
    """An improvement plan; ``about`` (write-only, on creation): numbers of records it is
    opened from (a complaint, a problem), linked to it. The baseline and the effect check
    (``baseline_*``, ``before_*``, ``after_*``, ``effect_*``) are the system's."""

    about = RecordNumbersField()
    source_kind_label = serializers.CharField(source="get_source_kind_display",
                                              read_only=True)
    indicator_name = serializers.SerializerMethodField()
    direction = serializers.SerializerMethodField()
    measures = ImprovementMeasureSerializer(many=True, read_only=True)

    class Meta(RecordSerializer.Meta):
        model = ImprovementPlan
        fields = [*RecordSerializer.Meta.fields, "source_kind", "source_kind_label",
                  "source_cause", "source_problem", "source_evaluation",
                  "source_suggestion", "source_review", "source_detail", "root_cause",
                  "indicator", "indicator_name", "direction", "scope_team",
                  "scope_customer", "scope_service", "target_value", "window_days",
                  "evaluation_date", *ImprovementPlan.system_fields, "outcome",
                  "closed_at", "measures", "about"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields,
                            *ImprovementPlan.system_fields, "closed_at"]

    def get_indicator_name(self, plan: ImprovementPlan) -> str | None:
        found = plan.indicator_definition
        return str(found.name) if found else None

    def get_direction(self, plan: ImprovementPlan) -> str | None:
        found = plan.indicator_definition
        return found.direction if found else None

    def create(self, validated_data: dict[str, Any]) -> ImprovementPlan:
        validated_data.pop("version", None)
        about = validated_data.pop("about", [])
        return improvement.create_plan(actor=request_user(self), data=validated_data,
                                       about=about)

    def update(self, instance: ImprovementPlan, validated_data: dict[str, Any]
               ) -> ImprovementPlan:
        validated_data.pop("about", None)
        version = validated_data.pop("version", None)
        return improvement.update_plan(instance, actor=request_user(self),
                                       changes=validated_data, expected_version=version)


class ImprovementSuggestionSerializer(OwnedRecordSerializer):
    """A staff member's suggestion; ``plans``: the plan it became when adopted."""

    plans = StrictPrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(RecordSerializer.Meta):
        model = ImprovementSuggestion
        fields = [*RecordSerializer.Meta.fields, "service", "decision_reason", "decided_at",
                  "plans"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "decision_reason",
                            "decided_at"]

    def create(self, validated_data: dict[str, Any]) -> ImprovementSuggestion:
        validated_data.pop("version", None)
        return improvement.submit_suggestion(actor=request_user(self), data=validated_data)


class QualityReviewSerializer(OwnedRecordSerializer):
    """A quality review of a period; ``plans``: its follow-up improvement plans."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    plans = StrictPrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(RecordSerializer.Meta):
        model = QualityReview
        fields = [*RecordSerializer.Meta.fields, "kind", "kind_label", "period_start",
                  "period_end", "participants", "conclusions", "concluded_at", "closed_at",
                  "plans"]
        read_only_fields = [*RecordSerializer.Meta.read_only_fields, "concluded_at",
                            "closed_at"]
        extra_kwargs = {"period_start": {"required": True, "allow_null": False},
                        "period_end": {"required": True, "allow_null": False}}

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and request.method not in ("GET", "HEAD"):
            fields["participants"].child_relation.queryset = provider_staff(request.user)
        return fields

    def create(self, validated_data: dict[str, Any]) -> QualityReview:
        validated_data.pop("version", None)
        return improvement.create_review(actor=request_user(self), data=validated_data)

    def update(self, instance: QualityReview, validated_data: dict[str, Any]
               ) -> QualityReview:
        version = validated_data.pop("version", None)
        return improvement.update_review(instance, actor=request_user(self),
                                         changes=validated_data, expected_version=version)


MEASURE_ID = OpenApiParameter("measure_id", int, OpenApiParameter.PATH)


class ImprovementPlanViewSet(RecordViewSet):
    """Service improvement plans (PDCA): provider staff read them, plan managers open and
    move them (an agent: 403); ``…/measures/`` their measures, ``…/check-effect/`` the
    effect check on demand once the evaluation date is over."""

    queryset = ImprovementPlan.objects.all()
    serializer_class = ImprovementPlanSerializer
    filterset_class = ImprovementPlanFilterSet
    export_resource = ImprovementPlanResource

    def base_queryset(self):
        return super().base_queryset().prefetch_related(Prefetch(
            "measures", queryset=ImprovementMeasure.objects.select_related("owner")))

    def create(self, request, *args, **kwargs):
        improvement.require_plan_manager(request.user)  # 403 before reading the body
        return super().create(request, *args, **kwargs)

    def _measure(self, plan: ImprovementPlan, measure_id: str) -> ImprovementMeasure:
        measure = (plan.measures.select_related("owner", "plan").filter(
            pk=int(measure_id)).first() if int(measure_id) <= MAX_ID else None)
        if measure is None:
            raise NotFound(_("No such measure."))
        return measure

    def _measure_body(self, data, measure: ImprovementMeasure | None = None) -> dict:
        body = ImprovementMeasureSerializer(measure, data=data, partial=measure is not None,
                                            context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return body.validated_data

    def _measure_data(self, measure: ImprovementMeasure, code: int = 200) -> Response:
        return Response(ImprovementMeasureSerializer(
            measure, context=self.get_serializer_context()).data, status=code)

    @extend_schema(methods=["get"], responses=ImprovementMeasureSerializer(many=True))
    @extend_schema(methods=["post"], request=ImprovementMeasureSerializer,
                   responses={201: ImprovementMeasureSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None,
            filterset_class=None)
    def measures(self, request, pk=None):
        """GET: the plan's measures. POST: add one (plan managers; 409 after "do")."""
        plan = self.get_object()
        if request.method == "POST":
            improvement.require_plan_manager(request.user)
            measure = improvement.save_measure(plan, None, actor=request.user,
                                               data=self._measure_body(request.data))
            return self._measure_data(measure, status.HTTP_201_CREATED)
        return Response(ImprovementMeasureSerializer(
            plan.measures.select_related("owner"), many=True,
            context=self.get_serializer_context()).data)

    @extend_schema(methods=["patch"], parameters=[MEASURE_ID],
                   request=ImprovementMeasureSerializer,
                   responses=ImprovementMeasureSerializer)
    @extend_schema(methods=["delete"], parameters=[MEASURE_ID], request=None,
                   responses={204: None})
    @action(detail=True, methods=["patch", "delete"], filterset_class=None,
            url_path=r"measures/(?P<measure_id>[0-9]+)", url_name="measure-detail")
    def measure_detail(self, request, pk=None, measure_id=None):
        """PATCH: change a measure; DELETE: remove it (plan managers)."""
        plan = self.get_object()
        measure = self._measure(plan, measure_id)
        improvement.require_plan_manager(request.user)
        if request.method == "DELETE":
            improvement.delete_measure(measure, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        measure = improvement.save_measure(plan, measure, actor=request.user,
                                           data=self._measure_body(request.data, measure))
        return self._measure_data(measure)

    @extend_schema(parameters=[MEASURE_ID], request=CompleteMeasureSerializer,
                   responses=ImprovementMeasureSerializer)
    @action(detail=True, methods=["post"], filterset_class=None,
            url_path=r"measures/(?P<measure_id>[0-9]+)/complete", url_name="measure-complete")
    def complete_measure(self, request, pk=None, measure_id=None):
        """The measure is done: its owner or a plan manager (anyone else: 403)."""
        measure = self._measure(self.get_object(), measure_id)
        body = CompleteMeasureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        measure = improvement.complete_measure(measure, actor=request.user,
                                               note=body.validated_data["note"])
        return self._measure_data(measure)

    @extend_schema(request=None, responses=ImprovementPlanSerializer)
    @action(detail=True, methods=["post"], url_path="check-effect", url_name="check-effect",
            filterset_class=None)
    def check_effect(self, request, pk=None):
        """Check the plan's effect now (plan managers): 400 before its evaluation date is
        over, 409 before it has a baseline."""
        plan = improvement.check_effect(self.get_object(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)


class ImprovementSuggestionViewSet(RecordViewSet):
    """Staff improvement suggestions: any staff member submits one; plan managers adopt
    it (it becomes an improvement plan) or decline it with a reason."""

    queryset = ImprovementSuggestion.objects.all()
    serializer_class = ImprovementSuggestionSerializer
    filterset_class = ImprovementSuggestionFilterSet
    export_resource = ImprovementSuggestionResource

    def base_queryset(self):
        return super().base_queryset().select_related("service").prefetch_related("plans")


class QualityReviewViewSet(RecordViewSet):
    """Quality reviews (quarterly, half-yearly, ad hoc): plan managers hold them;
    ``…/evaluations/`` the stored target evaluations of the review's period."""

    queryset = QualityReview.objects.all()
    serializer_class = QualityReviewSerializer
    filterset_class = QualityReviewFilterSet
    export_resource = QualityReviewResource

    def base_queryset(self):
        return super().base_queryset().prefetch_related("participants", "plans")

    def create(self, request, *args, **kwargs):
        improvement.require_plan_manager(request.user)
        return super().create(request, *args, **kwargs)

    @extend_schema(request=None, responses=TargetEvaluationSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def evaluations(self, request, pk=None):
        """The target evaluations of the review's period (targets against actual values,
        their state), read from the stored history."""
        rows = improvement.review_evaluations(self.get_object())
        return Response(TargetEvaluationSerializer(rows, many=True).data)
