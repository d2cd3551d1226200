"""Forms for service requests."""

from itsm.core.forms import RecordForm

from .models import ServiceRequest


class ServiceRequestForm(RecordForm):
    customer_fields = ("title", "description", "category")

    class Meta:
        model = ServiceRequest
        fields = ["organization", "requester", "title", "description", "category", "channel",
                  "priority", "assignee_team", "assignee", "owner", "due_at"]
