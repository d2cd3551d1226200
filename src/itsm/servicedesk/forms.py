"""Forms for tickets."""

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import Priority
from itsm.core.forms import RecordForm
from itsm.core.imports import MAX_IMPORT_ROWS

from .models import Incident, MajorIncident, ServiceRequest

TICKET_FIELDS = ["organization", "requester", "title", "description", "service", "category",
                 "channel", "impact", "urgency", "affected_system", "priority", "assignee_team",
                 "assignee", "owner", "due_at"]


class TicketForm(RecordForm):
    customer_fields = ("title", "description", "service", "category", "affected_system",
                       "urgency")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, user=user, **kwargs)
        if "priority" in self.fields and not self.instance.pk:
            # Empty means: derive it from impact × urgency (the priority matrix, INC-2).
            field = self.fields["priority"]
            field.choices = [("", _("Computed from impact × urgency")),
                             *Priority.choices]
            field.initial = None
            self.initial.pop("priority", None)


class ServiceRequestForm(TicketForm):
    class Meta:
        model = ServiceRequest
        fields = TICKET_FIELDS


class IncidentForm(TicketForm):
    class Meta:
        model = Incident
        fields = [*TICKET_FIELDS, "cause"]


class MajorIncidentForm(RecordForm):
    customer_fields = ()

    class Meta:
        model = MajorIncident
        fields = ["organization", "requester", "title", "description", "service",
                  "impact_scope", "event_report", "analysis_report", "priority",
                  "assignee_team", "assignee", "owner"]


class TicketImportForm(forms.Form):
    """A CSV or XLSX file of tickets to import (GEN-9)."""

    file = forms.FileField(label=_("File (CSV or XLSX)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "The first row names the columns; at most %(limit)s rows. All rows are imported, "
            "or none if any row is invalid.") % {"limit": MAX_IMPORT_ROWS}
