"""Forms for changes."""

from itsm.catalog.models import Service
from itsm.core.forms import RecordForm

from .models import Change, ChangeBoard, ChangeTemplate


class ChangeForm(RecordForm):
    customer_fields = ()

    class Meta:
        model = Change
        fields = ["organization", "requester", "title", "change_type", "template", "board",
                  "description", "reason", "scope", "services", "expected_impact",
                  "implementation_plan", "backout_plan", "test_plan", "planned_start",
                  "planned_end", "priority", "assignee_team", "assignee", "owner", "due_at"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        if "services" in self.fields:
            self.fields["services"].queryset = Service.objects.visible_to(user)
        if "template" in self.fields:
            self.fields["template"].queryset = ChangeTemplate.objects.visible_to(user).filter(
                is_active=True)
        if "board" in self.fields:
            self.fields["board"].queryset = ChangeBoard.objects.visible_to(user).filter(
                is_active=True)
