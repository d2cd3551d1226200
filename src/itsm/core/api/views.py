"""Base viewsets: scoping and role checks happen here, before any view code runs."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import (
    access,
    accounts,
    bulk,
    directory,
    exports,
    global_search,
    links,
    notifications,
    services,
    templating,
    twofactor,
)
from .. import rules as perms
from ..choices import Role
from ..filtersets import IdFilter, PersonFilterSet, ScopedFilterSet
from ..models import (
    Attachment,
    AuditEntry,
    Department,
    Notification,
    NotificationChannel,
    NotificationTemplate,
    Organization,
    Team,
)
from ..pagination import NamePagination
from ..uploads import attachment_response, check_request_size
from . import serializers as s
from .parsers import JSONParser

User = get_user_model()


class ReadOnlyForAuditors(permissions.BasePermission):
    """Authenticated, and no unsafe method for a read-only role.

    On a route that names one object the role check waits for the scoped lookup
    (``has_object_permission``), so an object outside the scope is a 404 for
    everybody, never a 403 that would confirm it exists.
    """

    message = _("Your role is read-only.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if _names_an_object(view):
            return True
        return self.allowed(request)

    def has_object_permission(self, request, view, obj) -> bool:
        return self.allowed(request)

    def allowed(self, request) -> bool:
        return request.method in permissions.SAFE_METHODS or not access.is_read_only(
            request.user
        )


def _names_an_object(view) -> bool:
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
    return lookup in getattr(view, "kwargs", {})


class DirectoryWritePermission(ReadOnlyForAuditors):
    message = _("Only administrators may change the directory.")

    def allowed(self, request) -> bool:
        if not super().allowed(request):
            return False
        return request.method in permissions.SAFE_METHODS or perms.can_manage_master_data(
            request.user
        )


class PeopleWritePermission(ReadOnlyForAuditors):
    """Provider administrators and customer administrators write people; which people,
    which organizations and which roles ``core.directory`` decides."""

    message = _("Only administrators may change people.")

    def allowed(self, request) -> bool:
        if not super().allowed(request):
            return False
        return request.method in permissions.SAFE_METHODS or directory.may_manage_people(
            request.user)


class ScopedViewSetMixin:
    """Every queryset starts from ``Model.objects.visible_to(user)``: out of scope is 404."""

    permission_classes = [ReadOnlyForAuditors]

    def base_queryset(self):
        return self.queryset.model.objects.all()

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)


class LinksMixin:
    """``GET/POST …/{id}/links/`` and ``DELETE …/{id}/links/{link_id}/``: related records."""

    @extend_schema(methods=["get"], responses=s.RecordLinkSerializer(many=True))
    @extend_schema(methods=["post"], request=s.LinkCreateSerializer,
                   responses={201: s.RecordLinkSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def links(self, request, pk=None):
        """GET: the linked records you may see. POST ``{"target": number, "kind"}`` (or
        ``target_type`` + ``target_id``): link a record of any type (service staff;
        400 for itself, an unknown record or an existing link)."""
        record = self.get_object()
        if request.method == "POST":
            if not access.is_staff_writer(request.user):
                raise PermissionDenied(_("Only service staff may link records."))
            body = s.LinkCreateSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
            other = links.find_visible_record(
                request.user, number=data["target"], type_name=data["target_type"],
                pk=data["target_id"])
            if other is None:
                raise ValidationError({"target": [_("No record “%(target)s” that you can see.")
                                                  % {"target": data["target"] or
                                                     f"{data['target_type']} "
                                                     f"{data['target_id']}"}]})
            link = links.link_records(record, other, kind=data["kind"],
                                            actor=request.user)
            item = next(i for i in links.linked_records(record, request.user)
                        if i.link.pk == link.pk)
            return Response(s.RecordLinkSerializer.from_linked(item),
                            status=status.HTTP_201_CREATED)
        items = links.linked_records(record, request.user)
        return Response([s.RecordLinkSerializer.from_linked(i) for i in items])

    @extend_schema(parameters=[OpenApiParameter("link_id", int, OpenApiParameter.PATH)],
                   request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"links/(?P<link_id>[0-9]+)",
            url_name="link-detail")
    def link_detail(self, request, pk=None, link_id=None):
        """Remove a link of this record (service staff; 404 for a link that is not
        this record's or whose other record you cannot see)."""
        record = self.get_object()
        if not access.is_staff_writer(request.user):
            raise PermissionDenied(_("Only service staff may remove links."))
        item = next((i for i in links.linked_records(record, request.user)
                     if str(i.link.pk) == str(link_id)), None)
        if item is None:
            raise NotFound(_("No such link."))
        links.unlink_records(item.link, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecordViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """CRUD, transitions, comments, attachments, timeline and export for a record type.

    A record type's viewset sets ``queryset``, ``serializer_class``,
    ``filterset_class``, ``ordering_fields`` and ``export_resource``.
    """

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    ordering_fields = ["created_at", "updated_at", "priority", "number", "status", "due_at"]
    export_resource = None

    def base_queryset(self):
        return self.queryset.model.objects.select_related(
            "organization", "requester", "owner", "assignee", "assignee_team"
        )

    def perform_destroy(self, instance) -> None:
        services.delete_record(instance, actor=self.request.user)

    @extend_schema(request=s.TransitionSerializer, responses={200: None})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the record along its workflow (409 if not allowed in its status)."""
        record = self.get_object()
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = self._transition_values(record, body.validated_data["transition"],
                                         body.validated_data["values"])
        record = services.transition_record(
            record, body.validated_data["transition"], actor=request.user, values=values,
            comment=body.validated_data["comment"],
            expected_version=body.validated_data.get("version"),
        )
        return Response(self.get_serializer(record).data)

    @extend_schema(request=s.BulkSerializer, responses=s.BulkResultSerializer(many=True))
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """One operation on many records (at most 200), each through the same checks as
        alone and in its own transaction: the answer has a line per record, ``ok`` or the
        ``message`` saying why not (a record outside your scope is "not found").
        Provider staff who may write only."""
        actor = request.user
        if not access.is_staff_writer(actor):
            raise PermissionDenied(_("Bulk actions are for service staff."))
        body = s.BulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data

        def operation(record) -> None:
            if data["transition"]:
                values = self._transition_values(record, data["transition"], data["values"])
                services.transition_record(record, data["transition"], actor=actor,
                                           values=values, comment=data["comment"])
            elif data["changes"]:
                serializer = self.get_serializer(record, data=data["changes"], partial=True)
                serializer.is_valid(raise_exception=True)
                serializer.save()
            else:
                services.add_comment(record, actor=actor, body=data["comment"],
                                     internal=data["internal"])

        results = bulk.apply_each(self.get_queryset(), data["ids"], operation)
        return Response(s.BulkResultSerializer(results, many=True).data)

    def _transition_values(self, record, name: str, raw: dict) -> dict:
        """Validate the values of the fields the transition sets (scoped choices).

        The record serializer cannot do it: fields a transition sets (``resolution``)
        may be read-only there. Values for other fields are passed on unchanged so the
        service refuses them with a field message.
        """
        transition = record.workflow.get(name)
        if transition is None or not raw:
            return dict(raw)
        if not transition.allowed_for(self.request.user, record):
            # Refused before its values are read: someone who may not act learns
            # nothing from their validation.
            raise PermissionDenied(_("You may not perform “%(action)s” on this record.")
                                   % {"action": transition.label})
        values = {k: v for k, v in raw.items() if k not in transition.fields}
        settable = {k: v for k, v in raw.items() if k in transition.fields}
        if not settable:
            return values
        serializer_class = s.transition_values_serializer(record, list(settable),
                                                          user=self.request.user)
        serializer = serializer_class(record, data=settable, partial=True,
                                     context={"request": self.request})
        if not serializer.is_valid():
            raise s.serializers.ValidationError({"values": serializer.errors})
        return {**values, **serializer.validated_data}

    @extend_schema(responses=s.AvailableTransitionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="transitions", pagination_class=None)
    def available_transitions(self, request, pk=None):
        """The transitions you may perform now."""
        record = self.get_object()
        data = [
            {"name": t.name, "label": str(t.label), "target": t.target, "fields": t.fields,
             "required": t.required, "comment_required": t.comment_required}
            for t in record.workflow.available(record, request.user)
        ]
        return Response(data)

    def _staff_view(self) -> bool:
        return access.is_provider_staff(self.request.user)

    @extend_schema(methods=["get"], responses=s.CommentSerializer(many=True))
    @extend_schema(methods=["post"], request=s.CommentSerializer,
                   responses={201: s.CommentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, pk=None):
        record = self.get_object()
        if request.method == "POST":
            body = s.CommentSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            comment = services.add_comment(
                record, actor=request.user, body=body.validated_data["body"],
                internal=body.validated_data.get("internal", False),
            )
            return Response(s.CommentSerializer(comment).data, status=201)
        qs = record.comments.select_related("author")
        if not self._staff_view():
            qs = qs.filter(internal=False)
        return Response(s.CommentSerializer(qs, many=True).data)

    @extend_schema(methods=["get"], responses=s.AttachmentSerializer(many=True))
    @extend_schema(methods=["post"], request={"multipart/form-data": s.AttachmentUploadSerializer},
                   responses={201: s.AttachmentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attachments(self, request, pk=None):
        record = self.get_object()
        if request.method == "POST":
            check_request_size(request)
            body = s.AttachmentUploadSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            attachment = services.add_attachment(
                record, actor=request.user, upload=body.validated_data["file"],
                internal=body.validated_data["internal"],
            )
            return Response(s.AttachmentSerializer(attachment).data, status=201)
        qs = record.attachments.select_related("uploaded_by")
        if not self._staff_view():
            qs = qs.filter(internal=False)
        return Response(s.AttachmentSerializer(qs, many=True).data)

    @extend_schema(responses=s.TimelineEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def timeline(self, request, pk=None):
        record = self.get_object()
        qs = record.timeline.select_related("actor")
        if not self._staff_view():
            qs = qs.filter(internal=False)
        return Response(s.TimelineEventSerializer(qs, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("file_format", enum=["csv", "xlsx"], default="xlsx")],
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        """The filtered list as CSV or XLSX (what you may see, nothing more)."""
        queryset = self.filter_queryset(self.get_queryset())
        return exports.export_response(
            self.export_resource, queryset, request.query_params.get("file_format", "xlsx"),
            actor=request.user,
        )


class AttachmentViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Attachment metadata and download; visible exactly when its record is."""

    queryset = Attachment.objects.all()
    serializer_class = s.AttachmentSerializer
    permission_classes = [ReadOnlyForAuditors]

    def get_object(self):
        attachment = Attachment.objects.select_related("content_type").filter(
            pk=self.kwargs["pk"]
        ).first() if str(self.kwargs["pk"]).isdigit() else None
        if attachment is None or not exports.attachment_visible(attachment, self.request.user):
            raise NotFound()
        self.check_object_permissions(self.request, attachment)
        return attachment

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return attachment_response(self.get_object(), request.user)


class OrganizationViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    queryset = Organization.objects.all()
    serializer_class = s.OrganizationSerializer
    permission_classes = [DirectoryWritePermission]
    pagination_class = NamePagination
    filterset_fields = ["kind", "is_active", "provider"]
    ordering_fields = ["name", "code", "id"]

    def perform_destroy(self, instance) -> None:
        directory.delete_object(instance, actor=self.request.user)


class DepartmentViewSet(OrganizationViewSet):
    queryset = Department.objects.select_related("organization")
    serializer_class = s.DepartmentSerializer
    filterset_fields = ["organization", "parent"]
    ordering_fields = ["name", "id"]


class TeamViewSet(OrganizationViewSet):
    queryset = Team.objects.select_related("organization").prefetch_related("members")
    serializer_class = s.TeamSerializer
    filterset_fields = ["organization", "lead"]
    ordering_fields = ["name", "id"]


class PersonViewSet(OrganizationViewSet):
    """People (account + profile + roles). Customers see their own organization only.

    Provider administrators write the people of their scope; customer administrators
    those of their own organization, with customer roles only (another role is a 400).
    DELETE deactivates: the person's sessions end and their API tokens are deleted."""

    queryset = User.objects.all()
    serializer_class = s.PersonSerializer
    permission_classes = [PeopleWritePermission]
    filterset_class = PersonFilterSet
    filterset_fields = None
    ordering_fields = ["username", "id"]

    def get_queryset(self):
        return directory.people_of(self.request.user).select_related(
            "profile").prefetch_related("groups")

    def perform_destroy(self, instance) -> None:
        directory.update_person(instance, actor=self.request.user, data={"is_active": False})

    @extend_schema(request=None, responses={202: inline_serializer(
        "PasswordLinkSent", {"sent_to": serializers.EmailField()})})
    @action(detail=True, methods=["post"], url_path="send-invitation")
    def send_invitation(self, request, pk=None):
        """Email the person a link to set their first password (an active person with
        an email address; 400 otherwise)."""
        return self._send_link(accounts.INVITATION)

    @extend_schema(request=None, responses={202: inline_serializer(
        "PasswordResetLinkSent", {"sent_to": serializers.EmailField()})})
    @action(detail=True, methods=["post"], url_path="send-password-reset")
    def send_password_reset(self, request, pk=None):
        """Email the person a link to set a new password (their current one keeps
        working until they do)."""
        return self._send_link(accounts.RESET_LINK)

    def _send_link(self, kind: str) -> Response:
        person = self.get_object()
        accounts.send_password_link(person, actor=self.request.user, kind=kind)
        return Response({"sent_to": person.email}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: inline_serializer(
        "TwoFactorReset", {"two_factor_enabled": serializers.BooleanField()})})
    @action(detail=True, methods=["post"], url_path="reset-two-factor")
    def reset_two_factor(self, request, pk=None):
        """Remove the person's authenticator and backup codes (administrators; a lost
        phone). When two-factor authentication is required for them, they set it up
        again at their next login."""
        person = self.get_object()
        twofactor.reset(person, actor=request.user)
        return Response({"two_factor_enabled": False})


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log (auditors and administrators of the provider)."""

    queryset = AuditEntry.objects.all()
    serializer_class = s.AuditEntrySerializer
    permission_classes = [ReadOnlyForAuditors]
    pagination_class = NamePagination
    filterset_fields = ["object_type", "object_id", "actor_id", "action", "source"]
    ordering_fields = ["id"]

    def get_queryset(self):
        if not perms.can_read_audit_log(self.request.user):
            return AuditEntry.objects.none()
        return AuditEntry.objects.filter(
            organization_id__in=access.scope_organization_ids(self.request.user)
        )


class RoleListView(APIView):
    """The roles a person can hold."""

    @extend_schema(responses={200: dict})
    def get(self, request):
        return Response([{"code": r.value, "label": str(r.label)} for r in Role])


class GlobalSearchView(APIView):
    """Every record type you may search at once: per type the newest
    records containing every word of ``q`` (or numbered ``q``), with the count of all
    of them and the list page showing them (``core.global_search``)."""

    @extend_schema(parameters=[s.SearchQuerySerializer],
                   responses={200: s.SearchResultSerializer})
    def get(self, request):
        params = s.SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["q"]
        sections = global_search.search_records(request.user, query)
        return Response({"query": query,
                         "results": [s.SearchSectionSerializer.from_section(section)
                                     for section in sections]})


class MeView(APIView):
    """The signed-in person; PATCH ``language`` to switch the UI language."""

    @extend_schema(responses=s.PersonSerializer)
    def get(self, request):
        return Response(s.PersonSerializer(request.user, context={"request": request}).data)

    @extend_schema(request=s.MeSerializer, responses=s.PersonSerializer)
    @transaction.atomic
    def patch(self, request):
        body = s.MeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        directory.set_language(request.user, body.validated_data["language"])
        request.user.profile.refresh_from_db()
        return Response(s.PersonSerializer(request.user, context={"request": request}).data)


# --- Notifications ----------------------------------------------------------------------


class NotificationChannelViewSet(viewsets.ModelViewSet):
    """Robots, webhooks and mailing lists of your provider (administrators write)."""

    queryset = NotificationChannel.objects.all()
    serializer_class = s.NotificationChannelSerializer
    permission_classes = [DirectoryWritePermission]
    pagination_class = NamePagination
    filterset_fields = ["kind", "is_active"]
    ordering_fields = ["name", "id"]

    def get_queryset(self):
        user = self.request.user
        if not access.is_provider_staff(user):
            return NotificationChannel.objects.none()
        return NotificationChannel.objects.filter(organization_id=access.provider_id_of(user))

    def perform_destroy(self, instance) -> None:
        notifications.delete_channel(instance, actor=self.request.user)


class NotificationTemplateViewSet(viewsets.ModelViewSet):
    """Your provider's own notification texts per event and language (administrators
    write, other staff read; customers see none). ``preview`` renders a template on a
    sample ticket without saving it."""

    queryset = NotificationTemplate.objects.all()
    serializer_class = s.NotificationTemplateSerializer
    permission_classes = [DirectoryWritePermission]
    pagination_class = NamePagination
    filterset_fields = ["event", "language", "is_active"]
    ordering_fields = ["event", "language", "id"]

    def get_queryset(self):
        return NotificationTemplate.objects.visible_to(self.request.user).select_related(
            "updated_by")

    def perform_destroy(self, instance) -> None:
        templating.delete_template(instance, actor=self.request.user)

    @extend_schema(request=s.NotificationTemplatePreviewSerializer,
                   responses=s.NotificationTemplatePreviewSerializer)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def preview(self, request):
        """The subject and body as the sample ticket would get them; 400 with the
        field's message for a template that would be refused."""
        serializer = s.NotificationTemplatePreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rendered = templating.preview(data["subject_template"], data["body_template"],
                                      event=data["event"], language=data["language"])
        return Response({**data, **rendered})


class NotificationFilter(ScopedFilterSet):
    channel = IdFilter(field_name="channel_id")
    record_id = IdFilter()

    class Meta:
        model = Notification
        fields = ["status", "event"]


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The log of every notification with its delivery attempts (provider staff)."""

    queryset = Notification.objects.all()
    serializer_class = s.NotificationSerializer
    permission_classes = [ReadOnlyForAuditors]
    filterset_class = NotificationFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return (Notification.objects.visible_to(self.request.user)
                .select_related("channel").prefetch_related("attempt_log"))


class NotificationPreferencesView(APIView):
    """Your notification choices per event: ``email``, ``im`` and ``in_app`` (the bell;
    all on by default).

    PUT a list of ``{event, email, im, in_app}``; events you leave out keep their setting.
    """

    @extend_schema(responses=s.NotificationPreferenceSerializer(many=True))
    def get(self, request):
        return Response(notifications.get_preferences(request.user))

    @extend_schema(request=s.NotificationPreferenceSerializer(many=True),
                   responses=s.NotificationPreferenceSerializer(many=True))
    def put(self, request):
        body = s.NotificationPreferenceSerializer(data=request.data, many=True)
        body.is_valid(raise_exception=True)
        return Response(notifications.set_preferences(request.user, body.validated_data))
