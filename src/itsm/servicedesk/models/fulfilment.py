"""What a request of a catalogue request type carries: the approvals it waits for and
the tasks that fulfil it (SLM-1, REQ-4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.catalog.choices import ApproverKind
from itsm.core import access
from itsm.core.choices import Role
from itsm.core.limits import COMMENT_MAX_LENGTH, DESCRIPTION_MAX_LENGTH
from itsm.core.models import Team

from ..choices import ApprovalDecision, TaskStatus


class RequestChildQuerySet(models.QuerySet):
    """Approvals and tasks are seen by whoever may see their request."""

    def visible_to(self, user) -> RequestChildQuerySet:
        from .tickets import ServiceRequest

        return self.filter(request__in=ServiceRequest.objects.visible_to(user).values("pk"))


class RequestApproval(models.Model):
    """One approval step of a service request, from its request type's steps."""

    request = models.ForeignKey("servicedesk.ServiceRequest", verbose_name=_("service request"),
                                on_delete=models.CASCADE, related_name="approvals")
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("approver"), max_length=20, choices=ApproverKind.choices)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    #: Who may decide the step, chosen when the request was raised.
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("approvers"),
                                       related_name="request_approvals_to_decide")
    decision = models.CharField(_("decision"), max_length=16, choices=ApprovalDecision.choices,
                                default=ApprovalDecision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = RequestChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("request approval")
        verbose_name_plural = _("request approvals")
        ordering = ["request", "order", "id"]
        indexes = [models.Index(fields=["decision", "request"], name="req_approval_open")]

    def __str__(self) -> str:
        label = (str(Role(self.role).label) if self.kind == ApproverKind.ROLE
                 and self.role in Role.values else str(self.get_kind_display()))
        return f"{self.order}. {label}"

    @property
    def organization_id(self) -> int | None:
        return self.request.organization_id


class FulfilmentTask(models.Model):
    """One task of a service request's fulfilment, for a team of the provider."""

    request = models.ForeignKey("servicedesk.ServiceRequest", verbose_name=_("service request"),
                                on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True,
                                   max_length=DESCRIPTION_MAX_LENGTH)
    team = models.ForeignKey(Team, verbose_name=_("team"), on_delete=models.PROTECT,
                             related_name="+")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN)
    note = models.TextField(_("note"), blank=True, max_length=COMMENT_MAX_LENGTH)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"),
                                on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = RequestChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")
        ordering = ["request", "order", "id"]
        indexes = [models.Index(fields=["team", "status"], name="req_task_team_open")]

    def __str__(self) -> str:
        return self.title

    @property
    def organization_id(self) -> int | None:
        return self.request.organization_id

    @property
    def status_color(self) -> str:
        return TaskStatus(self.status).color

    def may_complete(self, user) -> bool:
        """Members of the task's team, its assignee and team leads of the provider."""
        if self.status != TaskStatus.OPEN or not access.is_staff_writer(user):
            return False
        return (self.assignee_id == user.pk or self.team_id in access.team_ids_of(user)
                or access.has_role(user, Role.TEAM_LEAD, Role.ADMINISTRATOR))
