"""API of controlled documents (``/api/documents/``), their versions, categories,
templates, clearances, loans, access log and disposals. Every queryset starts from the
model's ``visible_to``: a document one may not see is a 404 on every route."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from itsm.core import access
from itsm.core.api.parsers import JSONParser
from itsm.core.api.views import ReadOnlyForAuditors, RecordViewSet, ScopedViewSetMixin
from itsm.core.models import Organization
from itsm.core.pagination import NamePagination, RecordCursorPagination
from itsm.core.uploads import check_request_size
from itsm.servicedesk.models import ServiceRequest

from .. import disposal, files, loans, requirements, services
from .. import permissions as perms
from ..choices import AccessAction, ReviewDecision
from ..filtersets import AccessFilterSet, DocumentFilterSet, LoanFilterSet
from ..models import (
    ControlledDocument,
    DisposalRecord,
    DocumentAccess,
    DocumentCategory,
    DocumentClearance,
    DocumentLoan,
    DocumentTemplate,
    DocumentVersion,
)
from ..resources import DocumentResource
from . import serializers as s

#: A new version's body: multipart with a file, or JSON with a text.
UPLOAD = {"multipart/form-data": s.DocumentVersionUploadSerializer,
          "application/json": s.DocumentVersionUploadSerializer}


class NewestPagination(RecordCursorPagination):
    ordering = ("-id",)


class DocumentViewSet(RecordViewSet):
    """Controlled documents: CRUD (a DELETE is refused: documents are disposed of),
    transitions, comments, attachments, timeline, export; versions with check-out and
    check-in, the tiered review, loans, the access log, confirmation (REQ-5) and
    disposal. Reading one is logged in its access log."""

    queryset = ControlledDocument.objects.all()
    serializer_class = s.DocumentSerializer
    filterset_class = DocumentFilterSet
    export_resource = DocumentResource

    def base_queryset(self):
        return super().base_queryset().select_related(
            "document_category__parent", "current_version", "reviewer", "checked_out_by",
            "confirmed_by")

    def create(self, request, *args, **kwargs):
        if not perms.may_create(request.user):  # before the body is read
            raise PermissionDenied(_("Only service staff create documents."))
        provider = access.provider_id_of(request.user)
        if not DocumentCategory.objects.filter(provider_id=provider).exists():
            services.ensure_default_categories(Organization.objects.get(pk=provider))
        return super().create(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        document = self.get_object()
        services.log_access(document, user=request.user, action=AccessAction.VIEW,
                            request=request)
        return Response(self.get_serializer(document).data)

    def _answer(self, document: ControlledDocument) -> Response:
        document = self.base_queryset().get(pk=document.pk)
        return Response(self.get_serializer(document).data)

    @extend_schema(methods=["get"], responses=s.DocumentVersionSerializer(many=True))
    @extend_schema(methods=["post"], request=UPLOAD, responses={201: s.DocumentVersionSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None,
            parser_classes=[MultiPartParser, FormParser, JSONParser])
    def versions(self, request, pk=None):
        """GET: the versions, newest first. POST: add a version to a draft (a file or a
        text; a change summary from the second on): refused (409) while someone else has
        it checked out."""
        document = self.get_object()
        if request.method == "POST":
            return self._add_version(document, release=False)
        return Response(s.DocumentVersionSerializer(document.versions.select_related("created_by"),
                                            many=True).data)

    def _add_version(self, document: ControlledDocument, *, release: bool) -> Response:
        check_request_size(self.request)
        body = s.DocumentVersionUploadSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        version = services.add_version(document, actor=self.request.user,
                                       upload=data.get("file"), text=data.get("text", ""),
                                       change_summary=data.get("change_summary", ""),
                                       major=data["major"], release=release)
        return Response(s.DocumentVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.DocumentSerializer)
    @action(detail=True, methods=["post"])
    def checkout(self, request, pk=None):
        """Check the draft out: nobody else adds a version until it is checked in
        (409 when someone else holds it)."""
        return self._answer(services.check_out(self.get_object(), actor=request.user))

    @extend_schema(request=UPLOAD, responses={201: s.DocumentVersionSerializer})
    @action(detail=True, methods=["post"],
            parser_classes=[MultiPartParser, FormParser, JSONParser])
    def checkin(self, request, pk=None):
        """Check in: the new version, and the check-out ends."""
        return self._add_version(self.get_object(), release=True)

    @extend_schema(request=s.DocumentReleaseSerializer, responses=s.DocumentSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """End a check-out without a new version (its holder; ``force``: an
        administrator for someone else, audited)."""
        body = s.DocumentReleaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(services.release(self.get_object(), actor=request.user,
                                             force=body.validated_data["force"]))

    @extend_schema(methods=["get"], responses=s.DocumentReviewSerializer(many=True))
    @extend_schema(methods=["post"], request=s.DocumentReviewDecisionSerializer,
                   responses={201: s.DocumentReviewSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def reviews(self, request, pk=None):
        """GET: the review decisions. POST ``{decision, comment}``: decide the review
        (who fits the tier of its importance; 403 otherwise, also for its author)."""
        document = self.get_object()
        if request.method == "POST":
            body = s.DocumentReviewDecisionSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            review = services.decide_review(
                document, actor=request.user,
                approve=body.validated_data["decision"] == ReviewDecision.APPROVED,
                comment=body.validated_data["comment"])
            return Response(s.DocumentReviewSerializer(review).data, status=status.HTTP_201_CREATED)
        return Response(s.DocumentReviewSerializer(
            document.reviews.select_related("reviewer", "version"), many=True).data)

    @extend_schema(request=None, responses=s.DocumentSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The requester confirms a requirement document's current version (REQ-5)."""
        return self._answer(requirements.confirm_requirements(self.get_object(),
                                                              actor=request.user))

    @extend_schema(request=s.DisposalReasonSerializer, responses={201: s.DisposalSerializer})
    @action(detail=True, methods=["post"])
    def dispose(self, request, pk=None):
        """Dispose of an archived document after its retention period (administrators
        and management, with a reason; 409 inside the period)."""
        document = self.get_object()
        body = s.DisposalReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = disposal.dispose(document, actor=request.user,
                                  reason=body.validated_data["reason"])
        return Response(s.DisposalSerializer(record, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.DocumentSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="due-for-disposal")
    def due_for_disposal(self, request):
        """Archived documents past their retention period (administrators and
        management)."""
        if not perms.may_dispose(request.user):
            raise PermissionDenied(_("Only administrators and management dispose of "
                                     "documents."))
        queryset = disposal.due_for_disposal(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=s.RequirementDocumentSerializer, responses={201: s.DocumentSerializer})
    @action(detail=False, methods=["post"])
    def requirements(self, request):
        """The requirement document of a service request you serve (REQ-5): its four
        sections become the first version; its requester is asked to confirm it."""
        body = s.RequirementDocumentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        service_request = get_object_or_404(ServiceRequest.objects.visible_to(request.user),
                                            pk=data.pop("request"))
        title = data.pop("title")
        document = requirements.create_requirement_document(
            service_request, actor=request.user, title=title, sections=data)
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)


class VersionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Versions of the documents you may see (``?document=``), their download and their
    preview (PDF and images inline); every read is logged."""

    queryset = DocumentVersion.objects.all()
    serializer_class = s.DocumentVersionSerializer
    pagination_class = NamePagination
    filterset_fields = ["document"]

    def base_queryset(self):
        return DocumentVersion.objects.select_related("document", "created_by")

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return files.version_response(self.get_object(), request, preview=False)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        return files.version_response(self.get_object(), request, preview=True)


class ObjectViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pagination_class = NamePagination
    permission_classes = [ReadOnlyForAuditors]  # writes: the services decide who


class CategoryViewSet(ObjectViewSet):
    """Your provider's document categories and sub-categories with their codes
    (administrators and management write)."""

    queryset = DocumentCategory.objects.all()
    serializer_class = s.DocumentCategorySerializer
    filterset_fields = ["parent", "kind", "is_active"]

    def perform_destroy(self, instance) -> None:
        services.delete_category(instance, actor=self.request.user)


class TemplateViewSet(ObjectViewSet):
    """Templates of the categories (administrators and management write)."""

    queryset = DocumentTemplate.objects.all()
    serializer_class = s.DocumentTemplateSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["category", "is_active"]

    def base_queryset(self):
        return DocumentTemplate.objects.select_related("category")

    def perform_destroy(self, instance) -> None:
        services.delete_template(instance, actor=self.request.user)


class ClearanceViewSet(ObjectViewSet):
    """Clearances for confidential and secret documents (administrators and security
    officers grant them; others of the staff see their own)."""

    queryset = DocumentClearance.objects.all()
    serializer_class = s.DocumentClearanceSerializer
    filterset_fields = ["user", "level"]

    def base_queryset(self):
        return DocumentClearance.objects.select_related("user", "granted_by")

    def perform_destroy(self, instance) -> None:
        services.delete_clearance(instance, actor=self.request.user)


class LoanViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Loans of the documents you may see: your own, and those you decide or keep.
    POST asks for one; ``approve``/``reject`` (the owner or management), ``lend`` and
    ``return`` (the owner or the keepers) move it on."""

    queryset = DocumentLoan.objects.all()
    serializer_class = s.DocumentLoanSerializer
    filterset_class = LoanFilterSet
    pagination_class = NamePagination

    def base_queryset(self):
        return DocumentLoan.objects.select_related("document", "borrower", "approved_by")

    def _step(self, step, **kwargs) -> Response:
        loan = step(self.get_object(), actor=self.request.user, request=self.request,
                    **kwargs)
        return Response(self.get_serializer(
            self.base_queryset().get(pk=loan.pk)).data)

    def _decide(self, approve: bool) -> Response:
        body = s.DocumentLoanDecisionSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        return self._step(loans.decide_loan, approve=approve,
                          comment=body.validated_data["comment"])

    @extend_schema(request=s.DocumentLoanDecisionSerializer, responses=s.DocumentLoanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(True)

    @extend_schema(request=s.DocumentLoanDecisionSerializer, responses=s.DocumentLoanSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(False)

    @extend_schema(request=None, responses=s.DocumentLoanSerializer)
    @action(detail=True, methods=["post"])
    def lend(self, request, pk=None):
        return self._step(loans.lend)

    @extend_schema(request=None, responses=s.DocumentLoanSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._step(loans.return_loan)


class AccessViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The access log (查阅记录): views, previews, downloads and loan steps, with who,
    when and from where; filter by ``document``, ``user`` (a person's), ``action``.
    Yours, your documents', or all you may see for the roles that read access logs."""

    queryset = DocumentAccess.objects.all()
    serializer_class = s.DocumentAccessSerializer
    filterset_class = AccessFilterSet
    pagination_class = NewestPagination

    def base_queryset(self):
        return DocumentAccess.objects.select_related("document", "version", "user")


class DisposalViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Disposal records: what was disposed of, when, by whom and why (administrators,
    management, auditors)."""

    queryset = DisposalRecord.objects.all()
    serializer_class = s.DisposalSerializer
    pagination_class = NamePagination

    def base_queryset(self):
        return DisposalRecord.objects.select_related("disposed_by")
