"""What the knowledge base declares in the registries: the article record type and the
knowledge menu, the review reminder, the home card and inbox entries, "Write an article"
on resolved tickets and known errors, suggestions on the ticket page and below the
request form."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from itsm.core.choices import Role
from itsm.core.registry import (
    ListColumn,
    everyone,
    provider_staff,
    register_form_panel,
    register_inbox_source,
    register_menu_item,
    register_record_action,
    register_record_panel,
    register_record_type,
    register_widget,
    role_predicate,
)
from itsm.core.reminders import register_reminder
from itsm.problems.models import Problem
from itsm.servicedesk.models import Incident, ServiceRequest

from . import widgets
from .choices import REVIEWER_ROLES, ArticleStatus
from .models import Article
from .views import article_from, ticket_suggestions

register_menu_item("knowledge", _("Knowledge base"), "knowledge:browse", visible=everyone,
                   order=10, key="knowledge-base")
register_record_type(Article, group="knowledge", label=_("Knowledge articles"),
                     visible=provider_staff, order=20, menu_key="knowledge-articles",
                     columns=(ListColumn("article_type", _("Type")),
                              ListColumn("visibility", _("Visibility")),
                              ListColumn("review_due", _("Review due"))))
register_menu_item("knowledge", _("Articles due for review"), "knowledge:stale",
                   visible=provider_staff, order=30, key="knowledge-stale")
register_menu_item("knowledge", _("Deflected requests"), "knowledge:deflections",
                   visible=provider_staff, order=40, key="knowledge-deflections")
register_menu_item("knowledge", _("Knowledge categories"), "knowledge:category-list",
                   visible=provider_staff, order=50, key="knowledge-categories")

register_reminder(
    "knowledge-review", _("Knowledge article review"),
    queryset=lambda: Article.objects.filter(status=ArticleStatus.PUBLISHED).select_related(
        "owner__profile", "requester__profile"),
    date_field="review_due", recipients=lambda a: [a.owner or a.requester],
    days_before=(14, 1))

register_widget("knowledge", _("Knowledge"), "knowledge/widgets/knowledge.html",
                widgets.knowledge_card, order=58, width=4,
                visible=role_predicate(Role.AGENT, *REVIEWER_ROLES))
register_inbox_source("knowledge-reviews", _("Articles waiting for my review"),
                      widgets.reviews_for_me, order=70)
register_inbox_source("knowledge-due", _("Articles due for review"), widgets.due_for_review,
                      order=72)
register_inbox_source("knowledge-flags", _("Error reports on my articles"),
                      widgets.flags_on_my_articles, order=74)

register_record_action("knowledge-article", _("Write a knowledge article"), article_from,
                       models=(ServiceRequest, Incident, Problem), order=30)
register_record_panel("knowledge-suggestions", ticket_suggestions,
                      models=(ServiceRequest, Incident))
register_form_panel("knowledge-suggest", "knowledge/_suggest_box.html",
                    models=(ServiceRequest, Incident))

