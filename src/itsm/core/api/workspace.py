"""The workspace over the API: the person's in-app notifications (the bell), their
inbox, as the pages ``/notifications/`` and ``/inbox/`` show them, and the type-ahead
of person pickers."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import pickers, saved_views, workspace
from ..models import Notification, SavedView
from ..pagination import NamePagination
from ..workspace import INBOX_ROWS, notification_url, own_notifications, unread_count
from .fields import StrictIntegerField
from .serializers import ObjectSerializer, ScopedModelSerializer
from .views import ScopedViewSetMixin


class MyNotificationSerializer(ScopedModelSerializer):
    event_label = serializers.CharField(source="get_event_display", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "event_label", "subject", "body", "url", "created_at",
                  "read_at"]
        read_only_fields = fields

    def get_url(self, obj: Notification) -> str | None:
        return notification_url(obj)


UNREAD = inline_serializer("UnreadCount", {"unread": StrictIntegerField()})


class MyNotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your in-app notifications, newest first (``?unread=true``: the unread ones).
    POST ``{id}/read/`` marks one read, ``read-all/`` all of them; another person's
    notification is a 404."""

    serializer_class = MyNotificationSerializer
    queryset = Notification.objects.none()
    filter_backends: list = []
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        mine = own_notifications(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            mine = mine.filter(read_at__isnull=True)
        return mine

    @extend_schema(parameters=[OpenApiParameter("unread", bool)])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=UNREAD)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = get_object_or_404(own_notifications(request.user), pk=pk)
        if notification.read_at is None:
            own_notifications(request.user).filter(pk=notification.pk).update(
                read_at=timezone.now())
        return Response({"unread": unread_count(request.user)})

    @extend_schema(request=None, responses=UNREAD)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        own_notifications(request.user).filter(read_at__isnull=True).update(
            read_at=timezone.now())
        return Response({"unread": 0})


class InboxItemSerializer(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    due = serializers.DateTimeField(allow_null=True)


class InboxSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = StrictIntegerField()
    items = InboxItemSerializer(many=True)


class MyInboxView(APIView):
    """Everything waiting for you, per kind of work (approvals and CAB votes, records
    assigned to you, change tasks, resolutions to confirm …), the first 50 of each."""

    @extend_schema(responses=InboxSectionSerializer(many=True))
    def get(self, request: Request) -> Response:
        sections = workspace.inbox(request.user, INBOX_ROWS)
        return Response(InboxSectionSerializer(sections, many=True).data)


class PickSerializer(serializers.Serializer):
    id = StrictIntegerField()
    label = serializers.CharField()


#: People a type-ahead answer lists.
PICK_ROWS = 20


class PeoplePickerView(APIView):
    """Type-ahead for person fields: ``for=assignee`` (the provider's staff with a
    working role) or ``for=requester`` (people of ``organization``, in your scope),
    whose name or login contains ``q``; each named 姓名 (teams or organization)."""

    @extend_schema(parameters=[
        OpenApiParameter("for", str, enum=["assignee", "requester"]),
        OpenApiParameter("q", str), OpenApiParameter("organization", int)],
        responses=PickSerializer(many=True))
    def get(self, request: Request) -> Response:
        kind = request.query_params.get("for", "assignee")
        if kind not in ("assignee", "requester"):
            raise serializers.ValidationError({"for": [_("Use assignee or requester.")]})
        organization = request.query_params.get("organization")
        if organization is not None and not organization.isdigit():
            raise serializers.ValidationError({"organization": [_("A number is required.")]})
        people = (pickers.assignees(request.user) if kind == "assignee"
                  else pickers.requesters(request.user,
                                          int(organization) if organization else None))
        query = request.query_params.get("q", "").strip()[:50]
        if query:
            people = people.filter(Q(username__icontains=query) | Q(first_name__icontains=query)
                                   | Q(last_name__icontains=query))
        return Response([{"id": pk, "label": text}
                         for pk, text in pickers.choices(people[:PICK_ROWS])])


class SavedViewSerializer(ObjectSerializer):
    save_with = staticmethod(saved_views.save_view)

    class Meta:
        model = SavedView
        fields = ["id", "record_type", "name", "query", "shared", "owner", "created_at"]
        read_only_fields = ["owner", "created_at"]


class SavedViewViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Saved views of record lists: yours, and those your colleagues share
    (``?record_type=servicerequest``). Only the owner changes or deletes one (403)."""

    queryset = SavedView.objects.all()
    serializer_class = SavedViewSerializer
    pagination_class = NamePagination
    filter_backends: list = []
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        views = super().get_queryset()
        record_type = self.request.query_params.get("record_type")
        return views.filter(record_type=record_type) if record_type else views

    def perform_destroy(self, instance: SavedView) -> None:
        saved_views.delete_view(instance, actor=self.request.user)
