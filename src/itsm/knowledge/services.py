"""The write path of the knowledge base: articles and their revisions, the review date,
readers' votes, error reports and deflections, links to the records an article solved,
and categories. Each function checks who may act, validates, audits and (through
``core.services``) writes the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from itsm.core import access, audit, links, objects, services
from itsm.core.choices import AuditAction, LinkKind, NotificationEvent, TimelineKind
from itsm.core.models import Organization, Record, RecordLink
from itsm.core.notifications import absolute, by_language, notify
from itsm.problems.models import Problem
from itsm.servicedesk.models import Incident, ServiceRequest

from . import content
from .choices import REVIEWER_ROLES, ArticleStatus, ArticleType, FlagStatus
from .models import (
    REVISION_FIELDS,
    Article,
    ArticleFeedback,
    ArticleFlag,
    ArticleRevision,
    Deflection,
    KnowledgeCategory,
)

#: The longest change summary kept with a revision.
SUMMARY_MAX_LENGTH = ArticleRevision._meta.get_field("summary").max_length


def provider_of(user) -> Organization | None:
    """The provider organization a staff member writes articles for."""
    organization = access.organization_of(user)
    if organization is None:
        return None
    if organization.serving_provider_id == organization.pk:
        return organization
    return Organization.objects.get(pk=organization.serving_provider_id)


def _require_writer(actor) -> None:
    if actor is not None and not access.is_staff_writer(actor):
        raise PermissionDenied(_("Only the service provider's staff may write knowledge "
                                 "articles."))


# --- Articles and revisions ----------------------------------------------------------------


@transaction.atomic
def create_article(*, actor, data: dict[str, Any], about: Record | None = None) -> Article:
    """A new draft in the actor's provider's knowledge base, written by the actor (its
    author and, unless named, its owner), saved as revision 1. ``about``: the ticket or
    problem it was written from, linked as "solved with"."""
    _require_writer(actor)
    data = dict(data)
    summary = (data.pop("summary", "") or "").strip()
    organization = data.get("organization")
    if organization is not None:
        if organization.serving_provider_id != organization.pk:
            organization = Organization.objects.get(pk=organization.serving_provider_id)
    elif actor is not None:
        organization = provider_of(actor)
    data["organization"] = organization
    if actor is not None:
        data["requester"] = actor
        data.setdefault("owner", actor)
    data["editor"] = data.get("requester")
    article = services.create_record(Article, actor=actor, data=data)
    write_revision(article, actor=actor, summary=summary or _("Created"))
    if about is not None:
        links.link_records(about, article, kind=LinkKind.SOLVED_WITH, actor=actor)
    return article


def write_revision(article: Article, *, actor, summary: str = "") -> ArticleRevision:
    """Keep the article's content as its next revision (the article row is the caller's:
    locked, or inserted in this transaction)."""
    last = article.revisions.aggregate(last=Max("number"))["last"] or 0
    revision = ArticleRevision.objects.create(
        article=article, number=last + 1, editor=actor, summary=summary[:SUMMARY_MAX_LENGTH],
        **{name: getattr(article, name) or "" for name in REVISION_FIELDS})
    article.current_revision = revision
    article.editor = actor if actor is not None else article.editor
    Article.objects.filter(pk=article.pk).update(current_revision=revision,
                                                 editor=article.editor)
    audit.log(action=AuditAction.CREATE, instance=revision, actor=actor,
              changes={"article": article.number, "revision": revision.number,
                       "summary": revision.summary},
              organization_id=article.organization_id)
    return revision


def _differs_from(article: Article, revision: ArticleRevision | None) -> bool:
    return revision is None or any((getattr(article, name) or "") != getattr(revision, name)
                                   for name in REVISION_FIELDS)


@transaction.atomic
def update_article(article: Article, *, actor, changes: dict[str, Any],
                   expected_version: int | None = None, force_revision: bool = False
                   ) -> Article:
    """Change an article (``core.services.update_record``); when its content changed, the
    new content is its next revision, with ``changes["summary"]`` saying why. A retired
    article is not edited any more."""
    _require_writer(actor)
    changes = dict(changes)
    summary = (changes.pop("summary", "") or "").strip()
    if article.status == ArticleStatus.RETIRED:
        raise ValidationError(_("A retired article cannot be edited."))
    if "body" in changes:
        changes["body"] = content.sanitize(changes["body"])
    article = services.update_record(article, actor=actor, changes=changes,
                                     expected_version=expected_version)
    current = (ArticleRevision.objects.filter(pk=article.current_revision_id).first()
               if article.current_revision_id else None)
    if force_revision or _differs_from(article, current):
        write_revision(article, actor=actor, summary=summary or _("Edited"))
    return article


def restore_revision(article: Article, number: int, *, actor) -> Article:
    """Make revision ``number``'s content the working copy again, as a new revision."""
    revision = article.revisions.filter(number=number).first()
    if revision is None:
        raise ValidationError({"revision": _("The article has no revision %(number)s.")
                               % {"number": number}})
    return update_article(article, actor=actor, force_revision=True, changes={
        **{name: getattr(revision, name) for name in REVISION_FIELDS},
        "summary": _("Restored revision %(number)s") % {"number": number}})


def revision_pair(article: Article, old: int | None, new: int | None
                  ) -> tuple[ArticleRevision, ArticleRevision]:
    """Two revisions of the article to compare: by default the current one and the one
    before it. A number the article does not have is a ValidationError."""
    numbers = dict(article.revisions.values_list("number", "pk"))
    if not numbers:
        raise ValidationError({"to": _("The article has no revisions yet.")})
    new = new if new is not None else max(numbers)
    old = old if old is not None else max(new - 1, 1)
    missing = {name: _("The article has no revision %(number)s.") % {"number": n}
               for name, n in (("from", old), ("to", new)) if n not in numbers}
    if missing:
        raise ValidationError(missing)
    found = {r.number: r for r in article.revisions.filter(number__in={old, new})
             .select_related("editor")}
    return found[old], found[new]


# --- Publishing and the review date --------------------------------------------------------


def review_date(article: Article, today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(days=article.review_interval_days)


def published(article: Article, *, actor) -> None:
    """After "approve" or "publish changes": readers read the working copy from now on,
    and the next review is an interval away (the transition holds the row)."""
    revision = (ArticleRevision.objects.filter(pk=article.current_revision_id).first()
                if article.current_revision_id else None)
    if _differs_from(article, revision):
        revision = write_revision(article, actor=actor, summary=_("Published"))
    before = {"published_revision": article.published_revision_id,
              "review_due": article.review_due}
    article.published_revision, article.review_due = revision, review_date(article)
    Article.objects.filter(pk=article.pk).update(published_revision=revision,
                                                 review_due=article.review_due)
    audit.log(action=AuditAction.UPDATE, instance=article, actor=actor, changes={
        "published_revision": [before["published_revision"], revision.pk],
        "review_due": [audit.to_json_value(before["review_due"]),
                       audit.to_json_value(article.review_due)]})


def may_confirm_review(user, article: Article) -> bool:
    """Who says a published article is still valid: its owner or author, or a reviewer
    (team lead, quality manager, administrator)."""
    return access.is_staff_writer(user) and (
        user.pk in {article.owner_id, article.requester_id}
        or access.has_role(user, *REVIEWER_ROLES))


@transaction.atomic
def confirm_still_valid(article: Article, *, actor) -> Article:
    """"Reviewed, still valid": the next review is an interval away from today."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    if actor is not None and not may_confirm_review(actor, article):
        raise PermissionDenied(_("Only the owner or a reviewer may confirm an article."))
    if article.status != ArticleStatus.PUBLISHED:
        raise ValidationError(_("Only a published article is reviewed."))
    old, article.review_due = article.review_due, review_date(article)
    article.version += 1
    article.updated_at = timezone.now()
    article.save(update_fields=["review_due", "version", "updated_at"])
    audit.log(action=AuditAction.UPDATE, instance=article, actor=actor, changes={
        "review_due": [audit.to_json_value(old), audit.to_json_value(article.review_due)]})
    services.add_timeline_event(article, TimelineKind.UPDATED, actor=actor,
                                fields=["review_due"],
                                reason=gettext_noop("reviewed, still valid"))
    return article


# --- Readers: votes, error reports, deflections ----------------------------------------------


def readable(article: Article, user) -> Article:
    """``article`` when ``user`` may read it; PermissionDenied otherwise (the pages and
    the API look it up in ``visible_to`` first: 404)."""
    if user is not None and not Article.objects.visible_to(user).filter(pk=article.pk).exists():
        raise PermissionDenied(_("You may not read this article."))
    return article


@transaction.atomic
def rate(article: Article, *, actor, helpful: bool, comment: str = "") -> ArticleFeedback:
    """The reader's vote (one per person; a second one changes it), and the article's
    helpful / not helpful counts anew."""
    readable(article, actor)
    if actor is None or access.is_read_only(actor):
        raise PermissionDenied(_("Your role is read-only."))
    comment = (comment or "").strip()[:1000]
    feedback = ArticleFeedback.objects.select_for_update().filter(
        article=article, user=actor).first()
    if feedback is None:
        feedback = ArticleFeedback.objects.create(article=article, user=actor,
                                                  helpful=helpful, comment=comment)
        audit.log(action=AuditAction.CREATE, instance=feedback, actor=actor,
                  changes={"article": article.number, "helpful": helpful, "comment": comment},
                  organization_id=article.organization_id)
    elif (feedback.helpful, feedback.comment) != (helpful, comment or feedback.comment):
        before = {"helpful": feedback.helpful, "comment": feedback.comment}
        feedback.helpful, feedback.comment = helpful, comment or feedback.comment
        feedback.updated_at = timezone.now()
        feedback.save(update_fields=["helpful", "comment", "updated_at"])
        audit.log(action=AuditAction.UPDATE, instance=feedback, actor=actor,
                  changes=audit.diff(before, {"helpful": feedback.helpful,
                                              "comment": feedback.comment}),
                  organization_id=article.organization_id)
    counts = article.feedback.aggregate(yes=Count("pk", filter=Q(helpful=True)),
                                        no=Count("pk", filter=Q(helpful=False)))
    Article.objects.filter(pk=article.pk).update(helpful_count=counts["yes"],
                                                 not_helpful_count=counts["no"])
    article.helpful_count, article.not_helpful_count = counts["yes"], counts["no"]
    return feedback


def flag_recipients(article: Article) -> list:
    """Who hears of an error report: the owner, else the author."""
    return [article.owner or article.requester]


@transaction.atomic
def flag_error(article: Article, *, actor, text: str) -> ArticleFlag:
    """A reader reports an error: an open error report, in the owner's inbox until
    resolved, and a notification to the owner."""
    readable(article, actor)
    if actor is None or access.is_read_only(actor):
        raise PermissionDenied(_("Your role is read-only."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Say what is wrong.")})
    if len(text) > ArticleFlag._meta.get_field("text").max_length:
        raise ValidationError({"text": _("The text is too long.")})
    flag = ArticleFlag.objects.create(article=article, reporter=actor, text=text)
    audit.log(action=AuditAction.CREATE, instance=flag, actor=actor,
              changes={"article": article.number, "text": text},
              organization_id=article.organization_id)
    for language, people in by_language(flag_recipients(article), actor).items():
        with translation.override(language):
            values = {"number": article.number, "title": article.title, "text": text,
                      "url": absolute(article.get_absolute_url())}
            notify(NotificationEvent.COMMENT_ADDED, record=article, recipients=people,
                   subject=_("[%(number)s] Error reported in your article") % values,
                   body=_("A reader reports an error in “%(title)s”:\n\n%(text)s\n\n"
                          "%(url)s") % values, language=language, actor=actor,
                   dedupe_key=f"knowledge-flag:{flag.pk}:{language}")
    return flag


def may_resolve_flag(user, flag: ArticleFlag) -> bool:
    return access.is_staff_writer(user)


@transaction.atomic
def resolve_flag(flag: ArticleFlag, *, actor, resolution: str = "") -> ArticleFlag:
    """Close an error report (service staff), saying what was done."""
    flag = ArticleFlag.objects.select_for_update().get(pk=flag.pk)
    if actor is not None and not may_resolve_flag(actor, flag):
        raise PermissionDenied(_("Only service staff may resolve error reports."))
    if flag.status == FlagStatus.RESOLVED:
        raise ValidationError(_("This error report is resolved already."))
    flag.status, flag.resolved_at, flag.resolved_by = (FlagStatus.RESOLVED, timezone.now(),
                                                       actor)
    flag.resolution = (resolution or "").strip()[:ArticleFlag._meta.get_field(
        "resolution").max_length]
    flag.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    audit.log(action=AuditAction.UPDATE, instance=flag, actor=actor,
              changes={"status": [FlagStatus.OPEN, FlagStatus.RESOLVED],
                       "resolution": flag.resolution},
              organization_id=flag.article.organization_id)
    return flag


@transaction.atomic
def record_deflection(article: Article, *, actor, query: str = "") -> Deflection:
    """The reader needs no request: the suggested article solved their problem. Counted
    as a deflection and as their "helpful" vote."""
    readable(article, actor)
    organization = access.organization_of(actor)
    if organization is None or access.is_provider_staff(actor):
        raise PermissionDenied(_("Deflections are counted for customers."))
    deflection = Deflection.objects.create(article=article, user=actor,
                                           organization=organization,
                                           query=(query or "").strip()[:200])
    audit.log(action=AuditAction.CREATE, instance=deflection, actor=actor,
              changes={"article": article.number, "query": deflection.query},
              organization_id=organization.pk)
    rate(article, actor=actor, helpful=True)
    return deflection


# --- Links to the records an article solved ------------------------------------------------


def solved_with_links(article: Article):
    """The "solved with" links of an article (in either direction)."""
    return links.links_of(article).filter(kind=LinkKind.SOLVED_WITH)


def used_to_resolve(article: Article, user) -> list[links.LinkedRecord]:
    """The records ``user`` may see that were solved with this article."""
    return [item for item in links.linked_records(article, user)
            if item.link.kind == LinkKind.SOLVED_WITH]


@transaction.atomic
def use_to_resolve(article: Article, record: Record, *, actor) -> RecordLink:
    """Note that ``record`` (a ticket, a problem) was solved with the article."""
    if isinstance(record, Article):
        raise ValidationError({"record": _("Choose a ticket or a problem.")})
    return links.link_records(record, article, kind=LinkKind.SOLVED_WITH, actor=actor)


# --- Categories -----------------------------------------------------------------------------


def may_manage_categories(user) -> bool:
    """Administrators, team leads and quality managers of a provider."""
    return access.is_staff_writer(user) and access.has_role(user, *REVIEWER_ROLES)


def _require_category_writer(actor, category: KnowledgeCategory | None) -> None:
    if actor is None:
        return
    if not may_manage_categories(actor):
        raise PermissionDenied(_("Only administrators, team leads and quality managers may "
                                 "change knowledge categories."))
    if category is not None and category.provider_id != access.provider_id_of(actor):
        raise PermissionDenied(_("The shared categories cannot be changed."))


def save_category(category: KnowledgeCategory | None, *, actor, data: dict[str, Any]
                  ) -> KnowledgeCategory:
    """Create or change one of the provider's own categories."""
    _require_category_writer(actor, category)
    data = dict(data)
    if category is None and actor is not None:
        data["provider"] = provider_of(actor)
    else:
        data.pop("provider", None)
    return objects.save_object(category or KnowledgeCategory, actor=actor, data=data)


def delete_category(category: KnowledgeCategory, *, actor) -> None:
    _require_category_writer(actor, category)
    objects.delete_object(category, actor=actor, in_use_message=_(
        "Articles or subcategories still use this category: move them first."))


# --- An article from a ticket or a known error ---------------------------------------------


def source_of(user, number: str) -> Record | None:
    """The resolved ticket or the known error ``number`` names, if ``user`` may write
    articles from it (see :func:`may_write_from`)."""
    record = links.find_visible_record(user, number=(number or "").strip()) if number else None
    return record if record is not None and may_write_from(user, record) else None


def may_write_from(user, record: Record) -> bool:
    """Staff who may write articles, about a resolved or closed ticket or a known error."""
    if not access.is_staff_writer(user):
        return False
    if isinstance(record, ServiceRequest | Incident):
        return record.status in ("resolved", "closed")
    if isinstance(record, Problem):
        return record.known_error
    return False


def prefill(record: Record) -> dict[str, Any]:
    """The first values of an article written from ``record``: a ticket's title, its
    description as the symptom and its resolution as the solution; a known error's
    root cause and workaround (and fix)."""
    if isinstance(record, Problem):
        solution = "\n\n".join(part for part in (record.workaround, record.fix_description)
                               if part.strip())
        return {"title": record.title, "article_type": ArticleType.SOLVED_PROBLEM,
                "symptom": record.description, "cause": record.root_cause,
                "solution": solution, "services": [record.service] if record.service_id
                else []}
    service = getattr(record, "service", None)
    return {"title": record.title, "article_type": ArticleType.FAULT,
            "symptom": record.description, "solution": getattr(record, "resolution", ""),
            "services": [service] if service is not None else []}
