"""Change management API: changes (approval steps, votes, conflicts, calendar, tasks),
change tasks, and the provider's boards, standard change templates, freeze windows and
CAB meetings.

Everything is internal to the service provider: customers and other providers get
404s and empty lists. Change managers and administrators write the master data (a
board's chair also writes its meetings); the auditor reads.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from itsm.core.api.views import LinksMixin, ReadOnlyForAuditors, RecordViewSet, ScopedViewSetMixin
from itsm.core.exceptions import WorkflowError
from itsm.core.filtersets import to_utc
from itsm.core.pagination import NamePagination
from itsm.servicedesk.api.views import ConfigurationItemsMixin

from .. import approvals as voting
from .. import filtersets, models, resources, schedule, services
from . import serializers as s

#: The longest range the calendar answers for at once.
CALENDAR_MAX_DAYS = 62


def _moment(params, name: str) -> dt.datetime:
    """A required query parameter as an aware datetime (a plain date: its midnight)."""
    raw = (params.get(name) or "").strip()
    if not raw:
        raise ValidationError({name: [_("This parameter is required.")]})
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day = parse_date(raw)
            moment = dt.datetime.combine(day, dt.time.min) if day else None
        if moment is not None:
            return to_utc(moment)
    except ValueError:
        pass
    raise ValidationError({name: [_("Enter an ISO 8601 date and time, e.g. "
                                    "2025-10-01T08:00:00+08:00.")]})


def visible_conflicts(change: models.Change, user) -> list[schedule.Conflict]:
    """The change's conflicts with other changes the user may see."""
    conflicts = schedule.conflicts_for(change)
    if not conflicts:
        return []
    visible = set(models.Change.objects.visible_to(user).filter(
        pk__in=[c.change.pk for c in conflicts]).values_list("pk", flat=True))
    return [c for c in conflicts if c.change.pk in visible]


def _approval_queryset():
    return models.Approval.objects.select_related("board", "change").prefetch_related(
        "approvers", Prefetch("votes", queryset=models.Vote.objects.select_related("voter")))


class ChangeViewSet(LinksMixin, ConfigurationItemsMixin, RecordViewSet):
    """Changes: CRUD, transitions, comments, attachments, timeline, export, links to
    other records, configuration items, approval steps and votes, conflicts, the change
    calendar and implementation tasks."""

    queryset = models.Change.objects.all()
    serializer_class = s.ChangeSerializer
    filterset_class = filtersets.ChangeFilterSet
    export_resource = resources.ChangeResource

    def _step_data(self, approval: models.Approval, serializer=s.ApprovalSerializer) -> dict:
        step = _approval_queryset().get(pk=approval.pk)
        return serializer(step, context={"request": self.request}).data

    def _current_step(self, change: models.Change) -> models.Approval:
        step = voting.current_approval(change)
        if step is None:
            raise WorkflowError(_("%(number)s has no approval step open for votes.")
                                % {"number": change.number}, code="no_open_approval")
        return step

    @extend_schema(responses=s.ApprovalSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def approvals(self, request, pk=None):
        """Every approval step of the change (all rounds) with votes and tally;
        ``may_vote`` tells whether you may vote on it now."""
        change = self.get_object()
        steps = _approval_queryset().filter(change=change).order_by("round", "position")
        return Response(s.ApprovalSerializer(steps, many=True,
                                             context={"request": request}).data)

    @extend_schema(request=s.CastVoteSerializer, responses={201: s.ApprovalResultSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def vote(self, request, pk=None):
        """Vote on the step that is open now: ``{"decision": approve|reject|abstain,
        "comment"}`` (a rejection needs a comment). 403: you are not an approver of the
        step or have voted; 409: no step is open. Answers the step and the change's
        status, which the vote may have moved on."""
        change = self.get_object()
        body = s.CastVoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        step = self._current_step(change)
        voting.cast_vote(step, voter=request.user, decision=body.validated_data["decision"],
                            comment=body.validated_data["comment"])
        return Response(self._step_data(step, s.ApprovalResultSerializer),
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ApprovalResultSerializer)
    @action(detail=True, methods=["post"], url_path="close-voting", filter_backends=[])
    def close_voting(self, request, pk=None):
        """The chair or a change manager closes the board's voting once the quorum has
        voted; the votes cast decide (400 before the quorum, 409 if no step is open)."""
        change = self.get_object()
        step = self._current_step(change)
        voting.close_voting(step, actor=request.user)
        return Response(self._step_data(step, s.ApprovalResultSerializer))

    @extend_schema(responses=s.ConflictsSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def conflicts(self, request, pk=None):
        """Other planned changes overlapping this one's window on a shared configuration
        item or service, and the freeze windows it falls in."""
        change = self.get_object()
        data = {"conflicts": visible_conflicts(change, request.user),
                "freezes": models.FreezeWindow.objects.covering(change)}
        return Response(s.ConflictsSerializer(data, context={"request": request}).data)

    @extend_schema(
        parameters=[OpenApiParameter("start", dt.datetime, required=True),
                    OpenApiParameter("end", dt.datetime, required=True)],
        responses=s.ChangeCalendarSerializer)
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def calendar(self, request):
        """The change calendar: changes you may see planned in [``start``, ``end``)
        (ISO date-times, at most 62 days apart) with their conflicts, and your
        provider's freeze windows in that range."""
        start = _moment(request.query_params, "start")
        end = _moment(request.query_params, "end")
        if end <= start:
            raise ValidationError({"end": [_("The end must be after the start.")]})
        if end - start > dt.timedelta(days=CALENDAR_MAX_DAYS):
            raise ValidationError({"end": [_("Ask for at most %(days)d days at once.")
                                           % {"days": CALENDAR_MAX_DAYS}]})
        user = request.user
        entries, freezes = schedule.calendar(
            models.Change.objects.visible_to(user),
            models.FreezeWindow.objects.visible_to(user), start, end)
        for entry in entries:
            entry.conflicts = visible_conflicts(entry.change, user)
        data = {"start": start, "end": end, "changes": entries, "freezes": freezes}
        return Response(s.ChangeCalendarSerializer(data, context={"request": request}).data)

    @extend_schema(methods=["get"], responses=s.ChangeTaskSerializer(many=True))
    @extend_schema(methods=["post"], request=s.ChangeTaskSerializer,
                   responses={201: s.ChangeTaskSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def tasks(self, request, pk=None):
        """GET: the change's implementation tasks. POST: add one (staff who may change
        the change)."""
        change = self.get_object()
        context = {"request": request}
        if request.method == "POST":
            body = s.ChangeTaskSerializer(data=request.data, context=context)
            body.is_valid(raise_exception=True)
            task = body.save(change=change)
            return Response(s.ChangeTaskSerializer(task, context=context).data,
                            status=status.HTTP_201_CREATED)
        tasks = change.tasks.select_related("change", "assignee")
        return Response(s.ChangeTaskSerializer(tasks, many=True, context=context).data)


class ChangeTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Implementation tasks of the changes you may see (``?change=id``); PATCH to
    update one. Create them on ``/api/changes/{id}/tasks/``."""

    queryset = models.ChangeTask.objects.all()
    serializer_class = s.ChangeTaskSerializer
    permission_classes = [ReadOnlyForAuditors]
    pagination_class = NamePagination
    filterset_class = filtersets.ChangeTaskFilterSet
    ordering_fields = ["id", "position"]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        visible = models.Change.objects.visible_to(self.request.user)
        return (models.ChangeTask.objects.filter(change__in=visible)
                .select_related("change", "assignee"))


# --- Master data ------------------------------------------------------------------------------


class ChangeManagerWrite(ReadOnlyForAuditors):
    """Reads for the provider's staff (the queryset scopes them); writes for change
    managers and administrators."""

    message = gettext_lazy("Only change managers and administrators may do this.")

    def allowed(self, request) -> bool:
        return super().allowed(request) and (
            request.method in permissions.SAFE_METHODS or services.is_manager(request.user))


class MeetingWrite(ChangeManagerWrite):
    """New meetings: change managers; a meeting's minutes, agenda and decisions: also
    the chair of its board."""

    def has_object_permission(self, request, view, obj) -> bool:
        if not ReadOnlyForAuditors.allowed(self, request):
            return False
        return (request.method in permissions.SAFE_METHODS
                or services.may_write_meeting(request.user, obj))


class ChangeMasterViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    permission_classes = [ChangeManagerWrite]
    pagination_class = NamePagination
    ordering_fields = ["name", "id"]

    def perform_destroy(self, instance) -> None:
        services.delete_master(instance, actor=self.request.user)


class ChangeBoardViewSet(ChangeMasterViewSet):
    """Change advisory boards (CAB) of your provider: members, chair, emergency
    approvers and quorum. A board in use cannot be deleted (400): deactivate it."""

    queryset = models.ChangeBoard.objects.all()
    serializer_class = s.ChangeBoardSerializer
    filterset_fields = ["is_active", "is_default"]

    def base_queryset(self):
        return models.ChangeBoard.objects.select_related("chair").prefetch_related(
            "members", "emergency_approvers")


class ChangeTemplateViewSet(ChangeMasterViewSet):
    """Standard change templates (pre-approved changes) of your provider."""

    queryset = models.ChangeTemplate.objects.all()
    serializer_class = s.ChangeTemplateSerializer
    filterset_fields = ["is_active"]

    def base_queryset(self):
        return models.ChangeTemplate.objects.select_related("approved_by")


class FreezeWindowViewSet(ChangeMasterViewSet):
    """Change freeze windows of your provider: no change but an emergency change may be
    scheduled into one."""

    queryset = models.FreezeWindow.objects.all()
    serializer_class = s.FreezeWindowSerializer
    ordering_fields = ["start", "name", "id"]

    def base_queryset(self):
        return models.FreezeWindow.objects.prefetch_related("services")


class CabMeetingViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Meetings of your provider's boards with their agenda and decisions. A new
    meeting's agenda is the changes waiting for the board's votes."""

    queryset = models.CabMeeting.objects.all()
    serializer_class = s.CabMeetingSerializer
    permission_classes = [MeetingWrite]
    pagination_class = NamePagination
    filterset_fields = ["board", "status"]
    ordering_fields = ["scheduled_at", "id"]
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def base_queryset(self):
        return models.CabMeeting.objects.select_related("board", "created_by").prefetch_related(
            "attendees", Prefetch("items", queryset=models.MeetingItem.objects.select_related(
                "change")))

    @extend_schema(request=s.AgendaItemSerializer, responses={201: s.MeetingItemSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def items(self, request, pk=None):
        """Put a change (by id) on the agenda (400: one you cannot see, or already on
        it)."""
        meeting = self.get_object()
        body = s.AgendaItemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = models.Change.objects.visible_to(request.user).filter(
            pk=body.validated_data["change"]).first()
        if change is None:
            raise ValidationError({"change": [_("No change that you can see.")]})
        item = services.add_agenda_item(meeting, change, actor=request.user)
        return Response(s.MeetingItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MeetingDecisionSerializer, responses=s.MeetingItemSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def decisions(self, request, pk=None):
        """Record the meeting's decision on an agenda item (also on the change's
        timeline)."""
        meeting = self.get_object()
        body = s.MeetingDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = meeting.items.filter(pk=body.validated_data["item"]).first()
        if item is None:
            raise ValidationError({"item": [_("No such item on this meeting's agenda.")]})
        item = services.record_decision(item, actor=request.user,
                                        decision=body.validated_data["decision"],
                                        notes=body.validated_data["notes"])
        return Response(s.MeetingItemSerializer(item).data)
