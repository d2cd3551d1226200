"""Forms for problems."""

from django.utils.translation import gettext_lazy as _

from itsm.changes.models import Change
from itsm.core.forms import RecordForm

from .models import Problem


class ProblemForm(RecordForm):
    customer_fields = ()

    class Meta:
        model = Problem
        fields = ["organization", "requester", "title", "description", "service", "category",
                  "affected_system", "root_cause", "workaround", "fix_description",
                  "accepted_risk", "fix_change", "priority", "assignee_team", "assignee",
                  "owner", "due_at"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        if "fix_change" in self.fields:
            # Changes the user may see; the model checks that it is of the same provider.
            changes = Change.objects.visible_to(user).exclude(status="cancelled")
            if self.instance.fix_change_id:
                changes = changes | Change.objects.visible_to(user).filter(
                    pk=self.instance.fix_change_id)
            self.fields["fix_change"].queryset = changes.order_by("-created_at")
            self.fields["fix_change"].help_text = _("The change that removes the root cause; "
                                                    "its page lists this problem.")
