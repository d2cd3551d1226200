"""The feedback item's form (staff and customers raise feedback by hand)."""

from itsm.core.forms import RecordForm

from .models import FeedbackItem


class FeedbackItemForm(RecordForm):
    customer_fields = ("title", "description")

    class Meta:
        model = FeedbackItem
        fields = ["organization", "requester", "title", "description", "classification",
                  "source", "analysis", "handling", "priority", "assignee_team", "assignee",
                  "due_at"]
