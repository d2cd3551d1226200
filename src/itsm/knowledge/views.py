"""Pages of the knowledge base.

Staff work on articles with the generic record pages (list, detail with the content,
revisions, error reports and the records an article solved; the form; transitions),
plus the diff of two revisions, the stale list, categories and the deflection report.
Everyone reads through the reader page and the browse page, and gets suggestions while
typing a request; all of them start from ``Article.objects.visible_to``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from itsm.core import access, links
from itsm.core import search as core_search
from itsm.core import views as base
from itsm.core.choices import LinkKind
from itsm.core.object_views import ObjectViewMixin, object_views
from itsm.core.uploads import attachment_response

from . import content, search, services
from .choices import ArticleStatus, ArticleType, FlagStatus, Visibility, has_unpublished_changes
from .filtersets import ArticleFilterSet
from .forms import (
    ArticleForm,
    BrowseForm,
    CategoryForm,
    DeflectForm,
    DiffForm,
    FeedbackForm,
    FlagForm,
    ResolveFlagForm,
    RestoreForm,
    UseForm,
)
from .models import Article, ArticleFeedback, Deflection, KnowledgeCategory
from .resources import ArticleResource

# --- The record pages -------------------------------------------------------------------------


class ArticleMixin:
    """The generic record pages of articles: provider staff only (readers use
    ``article-read``)."""

    model = Article
    form_class = ArticleForm
    filterset_class = ArticleFilterSet
    export_resource = ArticleResource
    detail_fields = ("article_type", "article_category", "visibility", "review_interval_days",
                     "published_at")

    def get_queryset(self):
        queryset = super().get_queryset().select_related(
            "article_category__parent", "reviewer", "editor", "current_revision",
            "published_revision")
        return queryset if access.is_provider_staff(self.request.user) else queryset.none()

    def may_create(self) -> bool:
        return access.is_staff_writer(self.request.user)

    def panels(self, record: Article, page: dict[str, Any]) -> list[base.Panel]:
        user = self.request.user
        writer = access.is_staff_writer(user)
        used = services.used_to_resolve(record, user)
        revisions = list(record.revisions.select_related("editor").order_by("-number"))
        return [*super().panels(record, page), base.Panel("knowledge/_article.html", {
            "article": record,
            "unpublished_changes": has_unpublished_changes(record),
            "used_records": used,
            "deflection_count": record.deflections.count(),
            "open_flags": list(record.flags.filter(status=FlagStatus.OPEN)
                               .select_related("reporter")),
            "resolve_form": page.get("resolve_form") or ResolveFlagForm(),
            "can_resolve_flags": writer,
            "can_confirm": (record.status == ArticleStatus.PUBLISHED
                            and services.may_confirm_review(user, record)),
            "files": [(a, reverse("knowledge:article-file", args=[record.pk, a.pk]))
                      for a in record.attachments.filter(internal=False)],
            "today": timezone.localdate(),
        }), base.Panel("knowledge/_revisions.html", {
            "revisions": revisions,
            "can_restore": writer and record.status != ArticleStatus.RETIRED,
        }, slot="side")]


class ArticleListView(base.RecordListView):
    template_name = "knowledge/article_list.html"

    def list_actions(self) -> dict[str, Any]:
        return {"type_choices": ArticleType.choices, "visibility_choices": Visibility.choices,
                "categories": list(KnowledgeCategory.objects.visible_to(self.request.user)
                                   .select_related("parent"))}


class ArticleFormView(base.RecordFormView):
    """Create (``?from=REQ-…`` writes it from a resolved ticket or a known error,
    prefilled and linked) or edit an article; every save of its content is a revision."""

    template_name = "knowledge/article_form.html"
    update_with = staticmethod(services.update_article)

    def source(self):
        if "pk" in self.kwargs:
            return None
        return services.source_of(self.request.user, self.request.GET.get("from", ""))

    def get_form(self, record):
        form = super().get_form(record)
        source = self.source() if record is None else None
        if source is not None and not form.is_bound:
            form.initial.update(services.prefill(source))
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "source": self.source()}

    def save(self, form, record):
        if record is None:
            data = form.service_data()
            data.pop("attachments", None)  # stored by the generic view once it is saved
            return services.create_article(actor=self.request.user, data=data,
                                           about=self.source())
        return super().save(form, record)


class RestoreView(base.RecordActionView):
    """POST ``revision``: its content becomes the working copy again (a new revision)."""

    def act(self, record: Article) -> dict | None:
        form = RestoreForm(self.request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("Choose a revision."))
            services.restore_revision(record, form.cleaned_data["revision"],
                                      actor=self.request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return {}
        messages.success(self.request, _("Revision %(number)s restored.")
                         % {"number": form.cleaned_data["revision"]})
        return None


class ConfirmReviewView(base.RecordActionView):
    """POST: "reviewed, still valid"."""

    def act(self, record: Article) -> dict | None:
        try:
            article = services.confirm_still_valid(record, actor=self.request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return {}
        messages.success(self.request, _("Reviewed; the next review is due on %(date)s.")
                         % {"date": article.review_due.isoformat()})
        return None


class ResolveFlagView(base.RecordActionView):
    """POST: close one of the article's error reports (``flag_id``)."""

    def act(self, record: Article) -> dict | None:
        flag = record.flags.filter(pk=self.kwargs["flag_id"]).first()
        if flag is None:
            raise Http404
        form = ResolveFlagForm(self.request.POST)
        if not form.is_valid():
            return {"resolve_form": form}
        try:
            services.resolve_flag(flag, actor=self.request.user,
                                  resolution=form.cleaned_data["resolution"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return {}
        messages.success(self.request, _("The error report is resolved."))
        return None


class UseView(base.RecordActionView):
    """POST ``record`` (a number): that ticket or problem was solved with the article;
    back to its page (``next``)."""

    def act(self, record: Article) -> dict | None:
        form = UseForm(self.request.POST)
        other = (links.find_visible_record(self.request.user,
                                           number=form.cleaned_data["record"].strip())
                 if form.is_valid() else None)
        try:
            if other is None:
                raise ValidationError(_("No record that you can see has this number."))
            services.use_to_resolve(record, other, actor=self.request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return {}
        messages.success(self.request, _("%(number)s was solved with %(article)s.")
                         % {"number": other.number, "article": record.number})
        self.used_on = other
        return None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        used_on = getattr(self, "used_on", None)
        if used_on is not None:
            return HttpResponseRedirect(base.next_page(request, used_on.get_absolute_url()))
        return response


class DiffView(ArticleMixin, base.RecordViewMixin, TemplateView):
    """``?from=N&to=M``: what changed between two revisions, side by side (by default the
    current revision and the one before)."""

    template_name = "knowledge/article_diff.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        article = self.get_record()
        form = DiffForm(request.GET)
        context = {"record": article, "form": form, "errors": []}
        status = 200
        try:
            if not form.is_valid():
                raise ValidationError(_("Revisions are numbers: ?from=1&to=2."))
            old, new = services.revision_pair(article, form.cleaned_data["from_"],
                                              form.cleaned_data["to"])
        except ValidationError as exc:
            context["errors"], status = exc.messages, 400
        else:
            diffs = content.diff_fields(old.texts(), new.texts(), content.part_labels())
            context.update(old=old, new=new, diffs=diffs,
                           changed=any(d.changed for d in diffs),
                           numbers=list(article.revisions.values_list("number", flat=True)))
        return self.render_to_response(self.get_context_data(**context), status=status)


ARTICLE_VIEWS = base.views_for(ArticleMixin, {
    "list": ArticleListView, "form": ArticleFormView, "restore": RestoreView,
    "reviewed": ConfirmReviewView, "flag-resolve": ResolveFlagView, "use": UseView})


# --- Reading ----------------------------------------------------------------------------------


class ReaderMixin(base.SignedInMixin):
    """A page or action on an article its reader may read (else 404)."""

    def get_queryset(self):
        return Article.objects.visible_to(self.request.user).select_related(
            "published_revision", "current_revision", "article_category__parent", "owner",
            "requester")

    def get_article(self) -> Article:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])


def reader_context(request: HttpRequest, article: Article, **forms: Any) -> dict[str, Any]:
    """What the reader page shows: the published content for readers, the working copy
    for staff (saying when it differs from what readers read)."""
    user = request.user
    staff = access.is_provider_staff(user)
    revision = article.published_revision
    text = article if staff or revision is None else revision
    vote = ArticleFeedback.objects.filter(article=article, user_id=user.pk).first()
    query = (request.GET.get("q") or request.POST.get("q") or "")[:core_search.MAX_QUERY]
    suggested = (request.GET.get("from") or request.POST.get("from")) == "suggest"
    return {
        "article": article, "text": text, "is_staff": staff,
        "unpublished_changes": staff and has_unpublished_changes(article),
        "structured": article.structured, "vote": vote,
        "feedback_form": forms.get("feedback_form") or FeedbackForm(),
        "flag_form": forms.get("flag_form") or FlagForm(),
        "may_act": not access.is_read_only(user),
        "deflect": suggested and not staff and article.status == ArticleStatus.PUBLISHED,
        "query": query,
    }


class ArticleReadView(ReaderMixin, TemplateView):
    template_name = "knowledge/article_read.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        article = self.get_article()
        return self.render_to_response(self.get_context_data(**reader_context(request,
                                                                              article)))


class ReaderActionView(ReaderMixin, TemplateView):
    """A reader's POST about an article; bad input shows the page again (400)."""

    template_name = "knowledge/article_read.html"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        article = self.get_article()
        try:
            response = self.act(article)
        except ValidationError as exc:
            response = None
            forms = getattr(self, "bound_forms", {})
            for form in forms.values():
                base.add_errors(form, exc)
            if not forms:
                for message in exc.messages:
                    messages.error(request, message)
        if response is not None:
            return response
        return self.render_to_response(self.get_context_data(**reader_context(
            request, article, **getattr(self, "bound_forms", {}))), status=400)

    def back(self, article: Article) -> HttpResponse:
        return HttpResponseRedirect(base.next_page(self.request, article.reader_url))

    def act(self, article: Article) -> HttpResponse | None:
        raise NotImplementedError


class FeedbackView(ReaderActionView):
    def act(self, article: Article) -> HttpResponse | None:
        form = FeedbackForm(self.request.POST)
        self.bound_forms = {"feedback_form": form}
        if not form.is_valid():
            return None
        services.rate(article, actor=self.request.user, helpful=form.cleaned_data["helpful"],
                      comment=form.cleaned_data["comment"])
        messages.success(self.request, _("Thank you for your feedback."))
        return self.back(article)


class FlagView(ReaderActionView):
    def act(self, article: Article) -> HttpResponse | None:
        form = FlagForm(self.request.POST)
        self.bound_forms = {"flag_form": form}
        if not form.is_valid():
            return None
        services.flag_error(article, actor=self.request.user, text=form.cleaned_data["text"])
        messages.success(self.request, _("Thank you: the article's owner will look at it."))
        return self.back(article)


class DeflectView(ReaderActionView):
    """"This solved my problem": no request needed; back to the portal's home page."""

    def act(self, article: Article) -> HttpResponse | None:
        form = DeflectForm(self.request.POST)
        query = form.cleaned_data["q"] if form.is_valid() else ""
        services.record_deflection(article, actor=self.request.user, query=query)
        messages.success(self.request, _("Glad it helped — no request was submitted."))
        return redirect("home")


class ArticleFileView(ReaderMixin, View):
    """A file of an article (an image of its content), for whoever may read the article;
    internal files for provider staff only."""

    def get(self, request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
        article = self.get_article()
        files = article.attachments.filter(pk=attachment_id)
        if not access.is_provider_staff(request.user):
            files = files.filter(internal=False)
        attachment = files.first()
        if attachment is None:
            raise Http404
        return attachment_response(attachment, request.user)


# --- Browsing and suggestions ------------------------------------------------------------------


BROWSE_PAGE = 20


class BrowseView(LoginRequiredMixin, TemplateView):
    """The knowledge base as readers see it: categories, a search box, the published
    articles (most helpful first; matches of the search by relevance of the words)."""

    template_name = "knowledge/browse.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = BrowseForm(request.GET)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, page=None),
                                           status=400)
        articles = search.readable_articles(request.user)
        categories = list(KnowledgeCategory.objects.visible_to(request.user)
                          .select_related("parent"))
        chosen = next((c for c in categories if c.pk == form.cleaned_data["category"]), None)
        if chosen is not None:
            articles = articles.filter(Q(article_category=chosen)
                                       | Q(article_category__parent=chosen))
        query = form.cleaned_data["q"].strip()
        if query:
            articles, _count = core_search.matching(articles, query)
        counts = dict(search.readable_articles(request.user).order_by()
                      .values_list("article_category").annotate(n=Count("pk")))
        page = Paginator(articles.order_by(*search.ORDER), BROWSE_PAGE).get_page(
            form.cleaned_data["page"] or 1)
        tree = [(c, counts.get(c.pk, 0) + sum(counts.get(s.pk, 0) for s in categories
                                              if s.parent_id == c.pk),
                 [(s, counts.get(s.pk, 0)) for s in categories if s.parent_id == c.pk])
                for c in categories if c.parent_id is None]
        return self.render_to_response(self.get_context_data(
            form=form, page=page, query=query, chosen=chosen, tree=tree,
            is_staff=access.is_provider_staff(request.user),
            is_staff_writer=access.is_staff_writer(request.user),
            base_query=urlencode({k: v for k, v in (("q", query), ("category", chosen.pk
                                                    if chosen else "")) if v})))


class SuggestView(LoginRequiredMixin, TemplateView):
    """``?q=``: the articles that may help with what is being typed (an HTML fragment for
    the request form and the ticket page)."""

    template_name = "knowledge/_suggestions.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        query = " ".join(request.GET.get(name, "") for name in ("q", "title", "description"))
        query = " ".join(query.split())[:core_search.MAX_QUERY]
        articles = search.suggest(request.user, query) if query else []
        staff = access.is_provider_staff(request.user)
        title = (request.GET.get("title") or request.GET.get("q") or "")[:core_search.MAX_QUERY]
        rows = [(a, a if staff or a.published_revision is None else a.published_revision,
                 f"{a.reader_url}?{urlencode({'from': 'suggest', 'q': title.strip()})}")
                for a in articles]
        return self.render_to_response(self.get_context_data(rows=rows, query=query))


def ticket_suggestions(record, user) -> base.Panel | None:
    """On a ticket's page, for provider staff: the articles that may help with it, those
    it was solved with, and "Use this article to resolve"."""
    if not access.is_provider_staff(user):
        return None
    used = [item.other for item in links.linked_records(record, user)
            if item.link.kind == LinkKind.SOLVED_WITH and isinstance(item.other, Article)]
    articles = [a for a in search.suggest(user, f"{record.title} {record.description}")
                if a.pk not in {u.pk for u in used}]
    return base.Panel("knowledge/_ticket_suggestions.html", {
        "kb_record": record, "kb_suggestions": articles, "kb_used": used,
        "kb_can_use": access.is_staff_writer(user) and not record.is_final,
        "kb_create_url": article_from(record, user)}, slot="side")


def article_from(record, user) -> str | None:
    """The page writing an article from ``record`` (a resolved ticket, a known error)."""
    if not services.may_write_from(user, record):
        return None
    return f"{reverse('knowledge:article-create')}?{urlencode({'from': record.number})}"


# --- Staff lists: stale articles, deflections -------------------------------------------------


class StaffPageMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not access.is_provider_staff(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


STALE_ROWS = 500


class StaleListView(StaffPageMixin, TemplateView):
    """Published articles whose review date has come, the longest overdue first."""

    template_name = "knowledge/stale_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        stale = Article.objects.visible_to(self.request.user).stale().select_related(
            "owner", "requester", "article_category")
        rows = list(stale.order_by("review_due", "pk")[:STALE_ROWS + 1])
        return super().get_context_data(rows=rows[:STALE_ROWS], more=len(rows) > STALE_ROWS,
                                        today=timezone.localdate(), **kwargs)


REPORT_MONTHS = 12


class DeflectionReportView(StaffPageMixin, TemplateView):
    """Requests customers did not need to submit: per month, and the articles that
    solved most of them (the last twelve months)."""

    template_name = "knowledge/deflections.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        first = timezone.localdate().replace(day=1)
        months = [first]
        for _i in range(REPORT_MONTHS - 1):
            months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
        start = timezone.make_aware(dt.datetime.combine(months[0], dt.time.min))
        deflections = Deflection.objects.visible_to(self.request.user).filter(
            created_at__gte=start)
        by_month: dict[dt.date, int] = {}
        for row in (deflections.order_by().annotate(month=TruncMonth("created_at"))
                    .values("month").annotate(n=Count("pk"))):
            month = row["month"]
            month = timezone.localtime(month).date() if isinstance(month, dt.datetime) else month
            by_month[month.replace(day=1)] = by_month.get(month.replace(day=1), 0) + row["n"]
        top = list(deflections.order_by().values("article").annotate(n=Count("pk"))
                   .order_by("-n", "article")[:10])
        articles = Article.objects.visible_to(self.request.user).in_bulk(
            [row["article"] for row in top])
        return super().get_context_data(
            months=[(m, by_month.get(m, 0)) for m in months],
            total=sum(by_month.values()),
            top=[(articles[row["article"]], row["n"]) for row in top
                 if row["article"] in articles], **kwargs)


# --- Categories --------------------------------------------------------------------------------


class CategoryMixin(ObjectViewMixin):
    """Categories: provider staff read them; administrators, team leads and quality
    managers change their provider's own (the shared defaults stay as they are)."""

    model = KnowledgeCategory
    form_class = CategoryForm
    url_prefix = "knowledge:category"
    list_template = "knowledge/category_list.html"
    select_related = ("parent",)
    save_with = staticmethod(services.save_category)

    def may_read(self) -> bool:
        return access.is_provider_staff(self.request.user)

    def may_write(self) -> bool:
        return services.may_manage_categories(self.request.user)

    def delete_object(self, instance: KnowledgeCategory) -> None:
        services.delete_category(instance, actor=self.request.user)

    def get_object(self) -> KnowledgeCategory:
        """A category to change: one of the reader's provider (a shared one: 403)."""
        category = super().get_object()
        if category.provider_id != access.provider_id_of(self.request.user):
            raise PermissionDenied(_("The shared categories cannot be changed."))
        return category

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "objects" in context:
            provider = access.provider_id_of(self.request.user)
            context["tree"] = [(c, c.provider_id == provider, [
                (s, s.provider_id == provider) for s in context["objects"]
                if s.parent_id == c.pk]) for c in context["objects"] if c.parent_id is None]
        return context


CATEGORY_VIEWS = object_views(CategoryMixin, only=("list", "form", "delete"))
