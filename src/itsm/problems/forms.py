"""Forms for problems."""

from itsm.catalog.models import Service
from itsm.core.forms import RecordForm

from .models import Problem


class ProblemForm(RecordForm):
    customer_fields = ()

    class Meta:
        model = Problem
        fields = ["organization", "requester", "title", "description", "service", "category",
                  "affected_system", "root_cause", "workaround", "fix_description",
                  "accepted_risk", "priority", "assignee_team", "assignee", "owner", "due_at"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        if "service" in self.fields:
            self.fields["service"].queryset = Service.objects.visible_to(user)
