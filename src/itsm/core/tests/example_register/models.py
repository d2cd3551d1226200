from django.db import models

from itsm.core.choices import ColoredTextChoices
from itsm.core.models import Record
from itsm.core.workflow import REQUESTER, STAFF, Transition, Workflow


class NoteStatus(ColoredTextChoices):
    OPEN = "open", "info", "Open"
    DONE = "done", "success", "Done"
    CANCELLED = "cancelled", "secondary", "Cancelled"


NOTE_WORKFLOW = Workflow(
    statuses=NoteStatus, initial=NoteStatus.OPEN,
    final=frozenset({NoteStatus.DONE, NoteStatus.CANCELLED}),
    transitions=(
        Transition("finish", "Finish", (NoteStatus.OPEN,), NoteStatus.DONE, frozenset({STAFF}),
                   fields=("category",), required=("category",)),
        Transition("cancel", "Cancel", (NoteStatus.OPEN,), NoteStatus.CANCELLED,
                   frozenset({STAFF, REQUESTER}), comment_required=True),
    ),
)


class Note(Record):
    number_prefix = "NTE"
    workflow = NOTE_WORKFLOW
    url_prefix = "example_register:note"

    category = models.CharField("category", max_length=100, blank=True)

    class Meta(Record.Meta):
        verbose_name = "note"
        verbose_name_plural = "notes"

