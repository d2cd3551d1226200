"""API of the knowledge base (``/api/knowledge/``): articles with their revisions, diffs
and readers' actions, error reports, categories and suggestions."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Func, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from itsm.core import access
from itsm.core.api.views import LinksMixin, ReadOnlyForAuditors, RecordViewSet, ScopedViewSetMixin
from itsm.core.choices import LinkKind
from itsm.core.models import RecordLink
from itsm.core.pagination import NamePagination

from .. import content, search, services
from ..filtersets import ArticleFilterSet
from ..models import Article, ArticleFlag, KnowledgeCategory
from ..resources import ArticleResource
from . import serializers as s


def _count_links(side: str) -> Subquery:
    """How many "solved with" links have the article on ``side`` (source or target)."""
    links = RecordLink.objects.filter(
        kind=LinkKind.SOLVED_WITH, **{f"{side}_type": ContentType.objects.get_for_model(Article),
                                      f"{side}_id": OuterRef("pk")}
    ).order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(links, output_field=IntegerField()), Value(0))


class ArticleViewSet(LinksMixin, RecordViewSet):
    """Knowledge articles. Provider staff write them and read the working copy; anyone
    else reads the published content of the articles published for them (customers:
    published, not expired, for customers of their provider — all, or their
    organization). ``?q=`` searches as ticket lists do."""

    queryset = Article.objects.all()
    serializer_class = s.ArticleSerializer
    filterset_class = ArticleFilterSet
    export_resource = ArticleResource

    def base_queryset(self):
        return super().base_queryset().select_related(
            "article_category", "reviewer", "editor", "current_revision",
            "published_revision").prefetch_related(
            "services", "configuration_items", "customer_organizations",
            "restricted_teams").annotate(used_count=_count_links("target")
                                         + _count_links("source"))

    def staff_article(self) -> Article:
        """The article in the URL, for provider staff (anyone else: 404)."""
        article = self.get_object()
        if not access.is_provider_staff(self.request.user):
            raise NotFound()
        return article

    @extend_schema(responses=s.RevisionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def revisions(self, request, pk=None):
        """Every revision of the article, newest first (provider staff)."""
        article = self.staff_article()
        revisions = article.revisions.select_related("editor").order_by("-number")
        return Response(s.RevisionSerializer(revisions, many=True,
                                             context=self.get_serializer_context()).data)

    @extend_schema(parameters=[s.DiffQuerySerializer], responses=s.DiffSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def diff(self, request, pk=None):
        """What changed from ``from_revision`` to ``to_revision`` (default: the revision
        before the current one, and the current one), line by line with the changed
        characters marked (provider staff)."""
        article = self.staff_article()
        params = s.DiffQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        old, new = services.revision_pair(article, params.validated_data.get("from_revision"),
                                          params.validated_data.get("to_revision"))
        diffs = content.diff_fields(old.texts(), new.texts(), content.part_labels())
        return Response(s.DiffSerializer({"from_revision": old.number,
                                          "to_revision": new.number, "fields": diffs}).data)

    @extend_schema(request=s.RestoreSerializer, responses=s.ArticleSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Make a revision's content the working copy again, as a new revision."""
        article = self.get_object()
        body = s.RestoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        article = services.restore_revision(article, body.validated_data["revision"],
                                            actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=article.pk)).data)

    @extend_schema(request=None, responses=s.ArticleSerializer)
    @action(detail=True, methods=["post"])
    def reviewed(self, request, pk=None):
        """"Reviewed, still valid": the next review is an interval from today (the owner,
        the author or a reviewer)."""
        article = services.confirm_still_valid(self.get_object(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=article.pk)).data)

    @extend_schema(request=s.FeedbackSerializer, responses=s.FeedbackResultSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request, pk=None):
        """Your vote: helpful or not (one per person; voting again changes it)."""
        article = self.get_object()
        body = s.FeedbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        feedback = services.rate(article, actor=request.user, **body.validated_data)
        return Response({"helpful": feedback.helpful, "helpful_count": article.helpful_count,
                         "not_helpful_count": article.not_helpful_count})

    @extend_schema(methods=["get"], responses=s.FlagSerializer(many=True))
    @extend_schema(methods=["post"], request=s.FlagSerializer,
                   responses={201: s.FlagSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def flags(self, request, pk=None):
        """GET: the error reports on the article (staff: all, others: their own). POST
        ``{"text"}``: report an error; the owner is told and has it in their inbox."""
        article = self.get_object()
        if request.method == "POST":
            body = s.FlagSerializer(data=request.data, context=self.get_serializer_context())
            body.is_valid(raise_exception=True)
            flag = services.flag_error(article, actor=request.user,
                                       text=body.validated_data["text"])
            return Response(s.FlagSerializer(flag, context=self.get_serializer_context()).data,
                            status=status.HTTP_201_CREATED)
        flags = ArticleFlag.objects.visible_to(request.user).filter(article=article)
        return Response(s.FlagSerializer(flags.select_related(
            "article", "reporter", "resolved_by"), many=True,
            context=self.get_serializer_context()).data)

    @extend_schema(request=s.DeflectSerializer, responses={201: s.DeflectionResultSerializer})
    @action(detail=True, methods=["post"])
    def deflect(self, request, pk=None):
        """A customer's "this solved my problem": no request needed (counted as a
        deflection and as their helpful vote)."""
        article = self.get_object()
        body = s.DeflectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deflection = services.record_deflection(article, actor=request.user,
                                                query=body.validated_data.get("query", ""))
        return Response({"id": deflection.pk, "article": article.pk,
                         "query": deflection.query, "created_at": deflection.created_at},
                        status=status.HTTP_201_CREATED)


class ArticleFlagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """Error reports: provider staff see those on the articles they see (``?status=open``
    for the open ones), anyone else their own; staff resolve them."""

    queryset = ArticleFlag.objects.all()
    serializer_class = s.FlagSerializer
    permission_classes = [ReadOnlyForAuditors]
    pagination_class = NamePagination
    filterset_fields = ["status", "article"]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return ArticleFlag.objects.visible_to(self.request.user).select_related(
            "article", "reporter", "resolved_by")

    @extend_schema(request=s.ResolveFlagSerializer, responses=s.FlagSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Close the report, saying what was done (service staff)."""
        flag = self.get_object()
        body = s.ResolveFlagSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        flag = services.resolve_flag(flag, actor=request.user,
                                     resolution=body.validated_data.get("resolution", ""))
        return Response(self.get_serializer(flag).data)


class KnowledgeCategoryViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Knowledge categories: the shared defaults and your provider's own (administrators,
    team leads and quality managers write their provider's)."""

    queryset = KnowledgeCategory.objects.all()
    serializer_class = s.CategorySerializer
    pagination_class = NamePagination
    filterset_fields = ["parent"]
    ordering_fields = ["order", "name", "id"]

    def perform_destroy(self, instance) -> None:
        services.delete_category(instance, actor=self.request.user)


class SuggestionView(APIView):
    """``?q=``: the published articles you may read that may help with what you are
    typing — those with every word first, else those with the most of its words."""

    @extend_schema(parameters=[s.SuggestionQuerySerializer],
                   responses=s.SuggestionSerializer(many=True))
    def get(self, request):
        params = s.SuggestionQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        staff = access.is_provider_staff(request.user)
        articles = search.suggest(request.user, params.validated_data["q"],
                                  limit=params.validated_data["limit"])
        return Response([s.SuggestionSerializer.from_article(a, staff) for a in articles])

