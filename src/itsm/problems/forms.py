"""Forms for problems."""

from django.utils.translation import gettext_lazy as _

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
            # The form base keeps the choices to the changes the user may see; the model
            # checks the provider. A cancelled change only if it is the current choice.
            visible = self.fields["fix_change"].queryset
            changes = visible.exclude(status="cancelled")
            if self.instance.fix_change_id:
                changes = changes | visible.filter(pk=self.instance.fix_change_id)
            self.fields["fix_change"].queryset = changes.order_by("-created_at")
            self.fields["fix_change"].help_text = _("The change that removes the root cause; "
                                                    "its page lists this problem.")
