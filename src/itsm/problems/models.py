"""Problems (问题) and known errors (已知错误), on the record base (PRB-1)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from itsm.core.limits import LONG_TEXT_MAX_LENGTH
from itsm.core.models import Record

from .choices import KNOWN_ERROR_STATUSES, PROBLEM_WORKFLOW, ProblemStatus


class Problem(Record):
    """The underlying cause of one or more incidents."""

    number_prefix = "PRB"
    workflow = PROBLEM_WORKFLOW
    customers_may_create = False
    customers_may_view = False
    url_prefix = "problems:problem"

    service = models.ForeignKey("catalog.Service", verbose_name=_("service"),
                                on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    category = models.CharField(_("category"), max_length=100, blank=True)
    affected_system = models.CharField(_("affected system / CI"), max_length=200, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    workaround = models.TextField(_("workaround"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    known_error = models.BooleanField(_("known error"), default=False, editable=False)
    fix_description = models.TextField(_("fix"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    accepted_risk = models.TextField(_("accepted risk"), blank=True,
                                     max_length=LONG_TEXT_MAX_LENGTH)
    fix_change = models.ForeignKey("changes.Change", verbose_name=_("fixing change"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="fixed_problems",
                                   help_text=_("The change that removes the root cause."))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)

    class Meta(Record.Meta):
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"],
                         name="prb_org_status"),
            models.Index(fields=["known_error", "-created_at"], name="prb_known_error"),
            models.Index(fields=["assignee_team", "status"], name="prb_team_status"),
        ]


    def clean(self) -> None:
        super().clean()
        if self.status in KNOWN_ERROR_STATUSES and self.workaround.strip():
            self.known_error = True  # set by the "known error" transition
        if self.fix_change_id and (
                self.fix_change.provider_id != self.provider_id):
            raise ValidationError({"fix_change": _("Choose a change of the same provider.")})
        if self.status == ProblemStatus.KNOWN_ERROR and not self.workaround.strip():
            raise ValidationError({"workaround": _("A known error needs a workaround.")})
        if self.status == ProblemStatus.CLOSED:
            errors = {}
            if not self.root_cause.strip():
                errors["root_cause"] = _("Closing a problem requires a root cause.")
            if not (self.fix_description.strip() or self.accepted_risk.strip()):
                message = _("Closing a problem requires a fix or an accepted risk.")
                errors["fix_description"] = message
                errors["accepted_risk"] = message
            if errors:
                raise ValidationError(errors)
