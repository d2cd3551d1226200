"""Pages of controlled documents: the generic record pages with the document's own parts
(versions with preview, check-out and check-in, the tiered review, confirmation,
loans, the access log), and the pages of versions' files, the access log, loans and
disposal. Settings (categories, templates, clearances) are in ``settings_views``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request

from itsm.core import access
from itsm.core import views as base
from itsm.core.exceptions import UploadTooLarge, WorkflowError
from itsm.core.filtersets import MAX_ID
from itsm.core.models import Organization, display_name
from itsm.core.pagination import RecordCursorPagination
from itsm.core.scoping import people_in_scope
from itsm.core.uploads import check_request_size
from itsm.core.views import SignedInMixin, add_errors
from itsm.servicedesk.models import ServiceRequest

from . import disposal, files, loans, requirements, services
from . import permissions as perms
from .choices import AccessAction, DocumentStatus, LoanStatus, ReviewDecision
from .filtersets import AccessFilterSet, DocumentFilterSet, LoanFilterSet
from .forms import (
    CommentOnlyForm,
    DocumentForm,
    LoanRequestForm,
    ReasonForm,
    RequirementForm,
    ReviewForm,
    VersionForm,
)
from .models import (
    ControlledDocument,
    DisposalRecord,
    DocumentAccess,
    DocumentCategory,
    DocumentLoan,
    DocumentTemplate,
)
from .resources import DocumentResource

#: Entries of the access log a document's page shows (the rest on its log page).
RECENT_ACCESSES = 10


class DocumentMixin:
    model = ControlledDocument
    form_class = DocumentForm
    filterset_class = DocumentFilterSet
    export_resource = DocumentResource
    detail_fields = ("department", "effective_date", "published_at", "archived_at")

    def get_queryset(self):
        return super().get_queryset().select_related(
            "document_category__parent", "current_version", "department", "reviewer",
            "checked_out_by", "confirmed_by", "source_request", "supersedes", "created_by")

    def may_create(self) -> bool:
        return perms.may_create(self.request.user)

    def panels(self, record: ControlledDocument, page: dict[str, Any]) -> list[base.Panel]:
        user = self.request.user
        return [*super().panels(record, page),
                base.Panel("documents/_facts.html", facts(record, user), slot="side"),
                base.Panel("documents/_versions.html", versions_part(record, user, page)),
                base.Panel("documents/_review.html", review_part(record, user, page)),
                base.Panel("documents/_loans.html", loans_part(record, user, page)),
                base.Panel("documents/_accesses.html", accesses_part(record, user))]


def facts(document: ControlledDocument, user) -> dict[str, Any]:
    holder = document.checked_out_by_id
    return {
        "document": document,
        "can_check_out": (perms.may_edit(user, document) and holder is None
                          and document.status == DocumentStatus.DRAFT),
        "can_release": holder is not None and holder == user.pk,
        "can_force_release": (holder is not None and holder != user.pk
                              and perms.may_force_release(user, document)),
        "can_dispose": (perms.may_dispose(user) and document.status == DocumentStatus.ARCHIVED
                        and document.retained_until <= timezone.localdate()),
        "superseded_by": list(document.superseded_by.visible_to(user).only("pk", "number")),
    }


def versions_part(document: ControlledDocument, user, page: dict[str, Any]) -> dict[str, Any]:
    holder = document.checked_out_by_id
    return {
        "versions": list(document.versions.select_related("created_by")),
        "current": document.current_version,
        "can_add_version": perms.may_add_version(user, document),
        "checking_in": holder is not None and holder == user.pk,
        "version_form": page.get("version_form") or VersionForm(),
        "can_confirm": (perms.may_confirm(user, document) and not document.is_confirmed
                        and document.status not in (DocumentStatus.ARCHIVED,
                                                    DocumentStatus.SUPERSEDED)),
    }


def review_part(document: ControlledDocument, user, page: dict[str, Any]) -> dict[str, Any]:
    staff = access.is_provider_staff(user)
    return {
        "reviews": list(document.reviews.select_related("reviewer", "version"))
        if staff else [],
        "can_review": perms.may_review(user, document),
        "review_form": page.get("review_form") or ReviewForm(),
    }


def loans_part(document: ControlledDocument, user, page: dict[str, Any]) -> dict[str, Any]:
    return {
        "document_loans": list(DocumentLoan.objects.visible_to(user).filter(
            document=document).select_related("borrower")[:20]),
        "can_borrow": not access.is_read_only(user),
        "loan_form": page.get("loan_form") or LoanRequestForm(),
    }


def accesses_part(document: ControlledDocument, user) -> dict[str, Any]:
    allowed = perms.may_read_access_log(user, document)
    return {
        "can_read_accesses": allowed,
        "recent_accesses": list(document.accesses.select_related("user", "version")
                                [:RECENT_ACCESSES]) if allowed else [],
    }


class DocumentDetailView(base.RecordDetailView):
    """A document's page; every visit is in its access log."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        document = self.get_record()
        services.log_access(document, user=request.user, action=AccessAction.VIEW,
                            request=request)
        return self.render_to_response(self.get_context_data(record=document))


class DocumentFormView(base.RecordFormView):
    """Create (``?template=`` starts from a template: its category and text) or edit a
    document through ``documents.services``."""

    template_name = "documents/document_form.html"
    update_with = staticmethod(services.update_document)

    def get_record_or_none(self):
        record = super().get_record_or_none()
        user = self.request.user
        if record is None:
            provider = Organization.objects.get(pk=access.provider_id_of(user))
            if not DocumentCategory.objects.filter(provider=provider).exists():
                services.ensure_default_categories(provider)
        elif not perms.may_edit(user, record):
            raise PermissionDenied(_("Only the document's owner, author, assignee or an "
                                     "administrator may change it."))
        return record

    def template(self) -> DocumentTemplate | None:
        value = self.request.GET.get("template", "")
        if "pk" in self.kwargs or not value.isdigit() or int(value) > MAX_ID:
            return None
        return DocumentTemplate.objects.visible_to(self.request.user).filter(
            pk=int(value), is_active=True).select_related("category").first()

    def get_form(self, record):
        user = self.request.user
        if self.request.method == "POST":
            return self.form_class(self.request.POST, self.request.FILES, instance=record,
                                   user=user)
        initial = {}
        template = self.template()
        if template is not None:
            initial = {"document_category": template.category, "text": template.body}
        return self.form_class(None, instance=record, user=user, initial=initial)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["from_template"] = self.template()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            check_request_size(request)
        except UploadTooLarge as exc:
            messages.error(request, exc.message)
            return redirect(request.path)
        return super().post(request, *args, **kwargs)

    def save(self, form, record):
        if record is not None:
            return super().save(form, record)
        return services.create_document(actor=self.request.user, data=form.service_data(),
                                        upload=form.cleaned_data.get("file"),
                                        text=form.cleaned_data.get("text", ""))


class DocumentActionView(base.RecordActionView):
    """A POST about a document; a service's ValidationError re-renders its page with
    the form's errors (400)."""

    form_key = ""

    def act(self, record: ControlledDocument) -> dict | None:
        try:
            return self.do(record)
        except ValidationError as exc:
            form = getattr(self, "form", None)
            if form is not None:
                add_errors(form, exc)
                return {self.form_key: form}
            for message in exc.messages:
                messages.error(self.request, message)
            return {}

    def do(self, record: ControlledDocument) -> dict | None:
        raise NotImplementedError

    def done(self, message: str, record: ControlledDocument) -> None:
        messages.success(self.request, message % {"number": record.number})


class CheckOutView(DocumentActionView):
    def do(self, record):
        services.check_out(record, actor=self.request.user)
        self.done(_("%(number)s is checked out to you."), record)


class ReleaseView(DocumentActionView):
    def do(self, record):
        services.release(record, actor=self.request.user,
                         force=self.request.POST.get("force") == "1")
        self.done(_("%(number)s is released."), record)


class VersionAddView(DocumentActionView):
    """A new version of the draft; with ``checkin`` it also ends the check-out."""

    form_key = "version_form"

    def do(self, record):
        check_request_size(self.request)
        self.form = VersionForm(self.request.POST, self.request.FILES)
        if not self.form.is_valid():
            return {"version_form": self.form}
        data = self.form.cleaned_data
        version = services.add_version(
            record, actor=self.request.user, upload=data.get("file"), text=data["text"],
            change_summary=data["change_summary"], major=data["major"],
            release=self.request.POST.get("checkin") == "1")
        messages.success(self.request, _("Version %(version)s added.")
                         % {"version": version.label})
        return None


class ReviewView(DocumentActionView):
    form_key = "review_form"

    def do(self, record):
        self.form = ReviewForm(self.request.POST)
        if not self.form.is_valid():
            return {"review_form": self.form}
        approve = self.form.cleaned_data["decision"] == ReviewDecision.APPROVED
        services.decide_review(record, actor=self.request.user, approve=approve,
                               comment=self.form.cleaned_data["comment"])
        self.done(_("%(number)s approved and published.") if approve
                  else _("%(number)s sent back to its author."), record)


class ConfirmView(DocumentActionView):
    def do(self, record):
        requirements.confirm_requirements(record, actor=self.request.user)
        self.done(_("You confirmed the requirements of %(number)s."), record)


class LoanRequestView(DocumentActionView):
    form_key = "loan_form"

    def do(self, record):
        self.form = LoanRequestForm(self.request.POST)
        if not self.form.is_valid():
            return {"loan_form": self.form}
        loans.request_loan(record, actor=self.request.user, request=self.request,
                           purpose=self.form.cleaned_data["purpose"],
                           due_date=self.form.cleaned_data["due_date"])
        self.done(_("Your loan of %(number)s is requested."), record)


class VersionFileView(base.RecordViewMixin, TemplateView):
    """A version's file (or text): downloaded, or shown in the page (``preview``)."""

    preview = False

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        document = self.get_record()
        version_id = int(kwargs["version_id"])
        version = (document.versions.filter(pk=version_id).first()
                   if version_id <= MAX_ID else None)
        if version is None:
            raise Http404
        version.document = document
        return files.version_response(version, request, preview=self.preview)


class VersionPreviewView(VersionFileView):
    preview = True


class DocumentAccessLogView(base.RecordViewMixin, TemplateView):
    """The whole access log of one document (its owner, author and the roles that read
    access logs; 403 for other people who see the document)."""

    template_name = "documents/access_log.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        document = self.get_record()
        if not perms.may_read_access_log(request.user, document):
            raise PermissionDenied(_("Only the document's owner and those who audit "
                                     "documents read its access log."))
        return access_log_page(self, request, {"document": document.pk}, document=document)


def paged(request: HttpRequest, filterset, ordering: tuple[str, ...]
          ) -> tuple[list, RecordCursorPagination, Any]:
    """One cursor page of ``filterset``'s results in ``ordering``, its paginator, and for
    bad parameters their messages (no rows then: the page answers 400)."""
    paginator = RecordCursorPagination()
    paginator.ordering = ordering
    try:
        if filterset.is_bound and not filterset.is_valid():
            raise DRFValidationError({k: list(v) for k, v in filterset.errors.items()})
        return paginator.paginate_queryset(filterset.qs, Request(request)), paginator, None
    except DRFValidationError as exc:
        return [], paginator, exc.detail


def access_log_page(view, request: HttpRequest, fixed: dict[str, Any], **context: Any
                    ) -> HttpResponse:
    """A page of the access log filtered by the query (and ``fixed``), newest first."""
    data = request.GET.copy()
    for key, value in fixed.items():
        data[key] = str(value)
    queryset = DocumentAccess.objects.visible_to(request.user).select_related(
        "document", "version", "user")
    filterset = AccessFilterSet(data, queryset=queryset, request=request)
    rows, paginator, error = paged(request, filterset, ("-occurred_at", "-id"))
    return view.render_to_response(view.get_context_data(
        entries=rows, filterset=filterset, error=error,
        next_link=paginator.get_next_link() if rows else None,
        previous_link=paginator.get_previous_link() if rows else None, **context),
        status=400 if error else 200)


class PersonAccessLogView(SignedInMixin, TemplateView):
    """The access log by person (``?user=``): one's own, anyone's for the roles that read
    access logs; filter by document and action too."""

    template_name = "documents/access_log.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fixed = {} if perms.may_read_access_logs(request.user) else {"user": request.user.pk}
        person = None
        chosen = fixed.get("user") or request.GET.get("user", "")
        if str(chosen).isdigit() and int(chosen) <= MAX_ID:
            person = get_user_model().objects.filter(pk=int(chosen)).first()
        people = []
        if not fixed:
            people = [(p.pk, display_name(p)) for p in people_in_scope(request.user).filter(
                profile__organization_id=access.provider_id_of(request.user))
                .order_by("last_name", "first_name", "pk")[:500]]
        return access_log_page(self, request, fixed, person=person, people=people,
                               may_choose=not fixed)


class DisposeView(base.RecordViewMixin, TemplateView):
    """Confirm (GET) and dispose of (POST, with a reason) an archived document past its
    retention period: administrators and management."""

    template_name = "documents/dispose.html"

    def get_document(self) -> ControlledDocument:
        document = self.get_record()
        if not perms.may_dispose(self.request.user):
            raise PermissionDenied(_("Only administrators and management dispose of "
                                     "documents."))
        return document

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(record=self.get_document(),
                                                             form=ReasonForm()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        document = self.get_document()
        form = ReasonForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                record = disposal.dispose(document, actor=request.user,
                                          reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_errors(form, exc)
            except WorkflowError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(request, _("%(number)s was disposed of.")
                                 % {"number": record.number})
                return redirect("documents:disposal")
        return self.render_to_response(self.get_context_data(record=document, form=form),
                                       status=status)


DOCUMENT_VIEWS = base.views_for(DocumentMixin, {
    "detail": DocumentDetailView, "form": DocumentFormView, "checkout": CheckOutView,
    "release": ReleaseView, "version-add": VersionAddView, "review": ReviewView,
    "confirm": ConfirmView, "loan": LoanRequestView, "download": VersionFileView,
    "preview": VersionPreviewView, "access-log": DocumentAccessLogView,
    "dispose": DisposeView})


# --- Loans ------------------------------------------------------------------------------------


class LoanListView(SignedInMixin, TemplateView):
    """The loans one may see: one's own, those one decides or keeps (filter by status,
    document, borrower)."""

    template_name = "documents/loan_list.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        queryset = DocumentLoan.objects.visible_to(request.user).select_related(
            "document", "borrower")
        filterset = LoanFilterSet(request.GET or None, queryset=queryset, request=request)
        rows, paginator, error = paged(request, filterset, ("-requested_at", "-id"))
        return self.render_to_response(self.get_context_data(
            loans=rows, filterset=filterset, error=error, statuses=LoanStatus.choices,
            next_link=paginator.get_next_link() if rows else None,
            previous_link=paginator.get_previous_link() if rows else None),
            status=400 if error else 200)


class LoanMixin(SignedInMixin):
    def get_queryset(self):
        return DocumentLoan.objects.visible_to(self.request.user).select_related(
            "document", "borrower", "approved_by")

    def get_loan(self) -> DocumentLoan:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])


class LoanDetailView(LoanMixin, TemplateView):
    template_name = "documents/loan_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        loan = kwargs.get("loan") or self.get_loan()
        user = self.request.user
        context.update(
            loan=loan, form=kwargs.get("form") or CommentOnlyForm(),
            can_decide=(loan.status == LoanStatus.REQUESTED
                        and perms.may_decide_loan(user, loan)),
            can_lend=loan.status == LoanStatus.APPROVED and perms.may_hand_over(user, loan),
            can_take_back=(loan.status in (LoanStatus.LENT, LoanStatus.OVERDUE)
                           and perms.may_hand_over(user, loan)))
        return context


class LoanActionView(LoanDetailView):
    """POST ``approve``, ``reject``, ``lend`` or ``return``."""

    http_method_names = ["post"]
    STEPS = {"approve", "reject", "lend", "return"}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        loan = self.get_loan()
        step = kwargs["step"]
        if step not in self.STEPS:
            raise Http404
        form = CommentOnlyForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        status = 400
        try:
            if step in ("approve", "reject"):
                loans.decide_loan(loan, actor=request.user, approve=step == "approve",
                                  comment=comment, request=request)
            elif step == "lend":
                loans.lend(loan, actor=request.user, request=request)
            else:
                loans.return_loan(loan, actor=request.user, request=request)
        except ValidationError as exc:
            add_errors(form, exc)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("The loan is updated."))
            return redirect(loan.get_absolute_url())
        return self.render_to_response(self.get_context_data(loan=self.get_loan(), form=form),
                                       status=status)


# --- Requirement analysis (REQ-5) -------------------------------------------------------------


def requirement_action(record: ServiceRequest, user) -> str | None:
    """"Requirement analysis" on a service request's page, for staff who may write."""
    if not perms.may_create(user):
        return None
    return f"{reverse('documents:requirement-create')}?{urlencode({'request': record.pk})}"


class RequirementCreateView(SignedInMixin, TemplateView):
    """The requirement analysis of a request (``?request=``): four sections."""

    template_name = "documents/requirement_form.html"

    def service_request(self) -> ServiceRequest:
        value = self.request.GET.get("request") or self.request.POST.get("request") or ""
        if not value.isdigit() or int(value) > MAX_ID:
            raise Http404
        found = get_object_or_404(ServiceRequest.objects.visible_to(self.request.user),
                                  pk=int(value))
        if not requirements.may_analyse(self.request.user, found):
            raise PermissionDenied(_("Only service staff analyse requests."))
        return found

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = self.service_request()
        form = RequirementForm(user=request.user, initial={"title": _(
            "Requirements: %(title)s") % {"title": found.title}})
        return self.render_to_response(self.get_context_data(form=form, service_request=found))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = self.service_request()
        form = RequirementForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                document = requirements.create_requirement_document(
                    found, actor=request.user, title=form.cleaned_data["title"],
                    sections=form.sections(), importance=form.cleaned_data["importance"],
                    confidentiality=form.cleaned_data["confidentiality"])
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("%(number)s saved.") % {"number": document.number})
                return redirect(document.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form, service_request=found),
                                       status=400)


def requirement_panel(record: ServiceRequest, user) -> base.Panel | None:
    """The requirement documents of a request, on its page (those the reader may see),
    with the requester's confirmation."""
    documents = list(ControlledDocument.objects.visible_to(user).filter(
        source_request_id=record.pk).select_related("current_version", "source_request")
        .order_by("-created_at"))
    if not documents:
        return None
    return base.Panel("documents/_request_panel.html", {"requirement_documents": [
        (d, perms.may_confirm(user, d) and not d.is_confirmed
         and d.status not in (DocumentStatus.ARCHIVED, DocumentStatus.SUPERSEDED))
        for d in documents]})


# --- Disposal -------------------------------------------------------------------------------


class DisposalListView(SignedInMixin, TemplateView):
    """The archived documents due for disposal and the disposal records (administrators,
    management; the auditor reads)."""

    template_name = "documents/disposal.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (perms.may_dispose(user) or (access.is_provider_staff(user)
                                            and access.is_read_only(user))):
            raise Http404
        due = disposal.due_for_disposal(ControlledDocument.objects.visible_to(user))
        records = DisposalRecord.objects.visible_to(user).select_related("disposed_by")[:100]
        return self.render_to_response(self.get_context_data(
            due=list(due.select_related("document_category").order_by("published_at",
                                                                        "created_at")[:200]),
            disposals=[(r, perms.covers(user, r.confidentiality)) for r in records],
            can_dispose=perms.may_dispose(user)))
