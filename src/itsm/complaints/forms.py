"""Forms of complaints and improvement actions."""

from itsm.core.forms import RecordForm

from .models import Complaint, ImprovementAction


class ComplaintForm(RecordForm):
    #: What a complainant fills in on the portal.
    customer_fields = ("title", "description", "system", "service", "remedy_sought")

    class Meta:
        model = Complaint
        fields = ["organization", "requester", "channel", "received_at", "title",
                  "description", "service", "system", "remedy_sought", "level",
                  "assignee_team", "assignee"]


class ImprovementActionForm(RecordForm):
    customer_fields = ()

    class Meta:
        model = ImprovementAction
        fields = ["organization", "requester", "title", "description", "cause_category",
                  "measure", "priority", "assignee_team", "assignee", "due_at"]
