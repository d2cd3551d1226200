"""Knowledge article types, visibility and lifecycle (KB-1..3), declared as data.

An article is written as a draft, submitted to a reviewer, and published by the reviewer
(or a deputy: a team lead, quality manager or administrator) — never by its author or by
the person who edited it last. Changes to a published article are a new revision of its
working copy; readers keep reading the published revision until a reviewer publishes
the changes ("publish changes", published → published). A published article is marked
outdated when it no longer holds and retired when it is withdrawn; an outdated one can
be revised (back to draft).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core import access
from itsm.core.choices import ColoredTextChoices, Role
from itsm.core.workflow import STAFF, Transition, Workflow

if TYPE_CHECKING:
    from itsm.core.models import Record


class ArticleType(models.TextChoices):
    FAQ = "faq", _("FAQ")
    FAULT = "fault", _("Fault-handling procedure")
    MANUAL = "manual", _("Manual")
    BEST_PRACTICE = "best_practice", _("Best practice")
    SOLVED_PROBLEM = "solved_problem", _("Solved problem")


#: Types whose articles are written as symptom → cause → solution.
STRUCTURED_TYPES = frozenset({ArticleType.FAULT, ArticleType.SOLVED_PROBLEM})


class Visibility(ColoredTextChoices):
    INTERNAL = "internal", "secondary", _("Internal")
    CUSTOMERS = "customers", "success", _("Customers")
    RESTRICTED = "restricted", "warning", _("Restricted")


class ArticleStatus(ColoredTextChoices):
    DRAFT = "draft", "secondary", _("Draft")
    IN_REVIEW = "in_review", "info", _("In review")
    PUBLISHED = "published", "success", _("Published")
    OUTDATED = "outdated", "warning", _("Outdated")
    RETIRED = "retired", "dark", _("Retired")


class FlagStatus(ColoredTextChoices):
    OPEN = "open", "danger", _("Open")
    RESOLVED = "resolved", "success", _("Resolved")


#: Roles that may review any article of their provider (deputies of the named reviewer).
REVIEWER_ROLES = frozenset({Role.TEAM_LEAD, Role.QUALITY_MANAGER, Role.ADMINISTRATOR})
#: Days between reviews of a published article unless its owner chooses otherwise.
DEFAULT_REVIEW_INTERVAL_DAYS = 180


def wrote_it(user, article: Record) -> bool:
    """Whether ``user`` is the article's author or the last person who edited it."""
    return user.pk in {article.requester_id, article.created_by_id,
                       getattr(article, "editor_id", None)}


def may_review(user, article: Record) -> bool:
    """The named reviewer or a deputy (``REVIEWER_ROLES``), never the author or the last
    editor: four eyes on everything readers get to see."""
    if wrote_it(user, article):
        return False
    return user.pk == getattr(article, "reviewer_id", None) or access.has_role(
        user, *REVIEWER_ROLES)


class ReviewTransition(Transition):
    """A transition only a reviewer may perform (``may_review``); "publish changes" only
    while the working copy differs from the published revision."""

    def allowed_for(self, user, record: Record) -> bool:
        if not super().allowed_for(user, record):
            return False
        if self.sources == (self.target,) and not has_unpublished_changes(record):
            return False
        return user is None or may_review(user, record)


def has_unpublished_changes(article: Record) -> bool:
    """Whether the working copy is a later revision than the one readers read."""
    current = getattr(article, "current_revision_id", None)
    return current is not None and current != getattr(article, "published_revision_id", None)


A = ArticleStatus

ARTICLE_WORKFLOW = Workflow(
    statuses=A,
    initial=A.DRAFT,
    final=frozenset({A.RETIRED}),
    transitions=(
        Transition("submit", _("Submit for review"), (A.DRAFT,), A.IN_REVIEW,
                   frozenset({STAFF}), fields=("reviewer",), required=("reviewer",)),
        ReviewTransition("approve", _("Approve and publish"), (A.IN_REVIEW,), A.PUBLISHED,
                         frozenset({STAFF}), stamp="published_at", style="success"),
        ReviewTransition("reject", _("Send back to the author"), (A.IN_REVIEW,), A.DRAFT,
                         frozenset({STAFF}), comment_required=True, style="warning"),
        ReviewTransition("publish_changes", _("Publish the changes"), (A.PUBLISHED,),
                         A.PUBLISHED, frozenset({STAFF}), stamp="published_at",
                         style="success"),
        Transition("mark_outdated", _("Mark as outdated"), (A.PUBLISHED,), A.OUTDATED,
                   frozenset({STAFF}), style="warning"),
        Transition("revise", _("Revise"), (A.OUTDATED,), A.DRAFT, frozenset({STAFF})),
        Transition("retire", _("Retire"), (A.PUBLISHED, A.OUTDATED), A.RETIRED,
                   frozenset({STAFF}), comment_required=True, style="danger"),
    ),
)
#: Transitions after which readers read the working copy (it becomes the published one).
PUBLISHING = frozenset({"approve", "publish_changes"})

#: The shared default categories (two levels), seeded once; providers add their own.
DEFAULT_CATEGORIES = (
    ("办公设备", ("打印机与复印机", "电脑与外设")),
    ("网络与远程访问", ("VPN", "无线网络")),
    ("邮件与协作", ("邮箱", "即时通讯")),
    ("账号与权限", ("密码与登录", "权限申请")),
    ("业务系统", ("财务系统", "办公自动化")),
)


def seed_default_categories(model) -> None:
    """Create the :data:`DEFAULT_CATEGORIES` that ``model`` (KnowledgeCategory, or its
    historical version in a migration) lacks: after the data migration and after every
    migrate or flush (``receivers``), so tests that flush the database find them too."""
    for order, (name, children) in enumerate(DEFAULT_CATEGORIES):
        parent, _created = model.objects.get_or_create(
            provider=None, parent=None, name=name, defaults={"order": order})
        for child_order, child in enumerate(children):
            model.objects.get_or_create(provider=None, parent=parent, name=child,
                                        defaults={"order": child_order})
