"""`itsm demo` loads a usable world and prints working credentials."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from itsm.core.audit import verify_chain
from itsm.core.choices import Role
from itsm.core.models import Organization, Team
from itsm.demo import history
from itsm.demo.management.commands.demo import DEMO_PASSWORD
from itsm.servicedesk.models import Incident, ServiceRequest, SLAClock


def test_demo_loads_once_and_prints_logins(empty_database):
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    text = out.getvalue()
    assert "Demo data loaded" in text and DEMO_PASSWORD in text
    assert Organization.objects.filter(kind="provider").count() == 1
    assert Organization.objects.filter(kind="customer").count() == 2
    assert Team.objects.count() >= 3
    assert ServiceRequest.objects.count() + Incident.objects.count() >= 8
    assert Incident.objects.count() >= 3
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert len(statuses | set(Incident.objects.values_list("status", flat=True))) >= 6
    tickets = ServiceRequest.objects.count() + Incident.objects.count()
    ticket_clocks = SLAClock.objects.filter(
        record_type__model__in=("servicerequest", "incident"))  # complaints have theirs
    assert ticket_clocks.count() == 2 * tickets
    from django.contrib.auth.models import Group

    for role in Role:
        assert Group.objects.get(name=role).user_set.exists(), f"no demo user for {role}"

    changes = check_change_demo()
    check_notification_template_demo()
    check_history_demo()

    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Organization.objects.count() == 3
    call_command("demo", stdout=StringIO())  # without --if-empty: no error, no duplicate
    assert Organization.objects.count() == 3
    assert check_change_demo() == changes
    assert verify_chain().ok


def check_notification_template_demo() -> None:
    """The provider's Chinese "resolved" template is valid and was used for the demo's
    resolved tickets."""
    from itsm.core import templating
    from itsm.core.models import Notification, NotificationTemplate

    template = NotificationTemplate.objects.get(event="record_resolved", language="zh-hans")
    templating.validate_template(template.subject_template, template.body_template,
                                 event=template.event, language=template.language)
    resolved = Notification.objects.filter(event="record_resolved")
    assert resolved.exists()
    assert all(n.subject.startswith("【") and "星云 IT 服务台" in n.body for n in resolved)


def check_change_demo() -> int:
    """The change-management demo: board, people, templates, freeze, changes."""
    from django.utils import timezone

    from itsm.changes import approvals, schedule
    from itsm.changes.models import CabMeeting, Change, ChangeBoard, ChangeTemplate, FreezeWindow
    from itsm.core.models import Department

    board = ChangeBoard.objects.get(name="IT服务管理委员会", is_default=True)
    members = list(board.members.all())
    assert len(members) >= 3
    assert all(m.groups.filter(name=Role.CAB_MEMBER).exists() for m in members)
    assert board.chair.groups.filter(name=Role.CHANGE_MANAGER).exists()
    assert Department.objects.get(organization__code="nebula", name="运维部").head is not None
    assert ChangeTemplate.objects.filter(provider=board.provider).count() == 2
    freeze = FreezeWindow.objects.get(name="春节保障期")
    assert timezone.localtime(freeze.start).year == timezone.localdate().year + 1
    statuses = set(Change.objects.values_list("status", flat=True))
    assert {"draft", "approval", "scheduled", "verification", "closed"} <= statuses
    waiting = Change.objects.get(status="approval")
    step = approvals.current_approval(waiting)
    assert step.stage == "cab" and step.votes.count() == 1
    assert any(schedule.conflicts_for(c) for c in Change.objects.filter(status="scheduled"))
    closed = Change.objects.get(status="closed")
    assert closed.review_findings and closed.outcome == "success"
    assert Change.objects.filter(change_type="standard", template__isnull=False).exists()
    assert CabMeeting.objects.get(board=board).items.filter(change=waiting).exists()
    return Change.objects.count()


def check_history_demo() -> None:
    """Three months of tickets behind the home pages: clocks met and missed over the
    months, ratings, a major incident with its reports and problem, a plan and a drill."""
    import datetime as dt

    from django.utils import timezone

    from itsm.problems.models import Problem
    from itsm.security.models import Drill
    from itsm.servicedesk.models import MajorIncident, SatisfactionRating

    old = timezone.now() - dt.timedelta(days=60)
    assert ServiceRequest.objects.filter(created_at__lt=old).exists()
    stopped = SLAClock.objects.filter(stopped_at__lt=old)
    assert stopped.filter(met=True).exists()
    assert SatisfactionRating.objects.filter(created_at__lt=old).count() >= 10
    major = MajorIncident.objects.get()
    assert major.event_report and major.analysis_report
    assert Problem.objects.exists() and Drill.objects.get().findings


@pytest.fixture
def short_history(monkeypatch):
    """Demo data with a week of history: what these tests check does not need three
    months (the full load is checked once, above)."""
    monkeypatch.setattr(history, "DAYS", 7)


def test_change_demo_is_added_to_demo_data_loaded_before_it(empty_database, monkeypatch,
                                                            short_history):
    from itsm.changes.models import Change
    from itsm.demo.management.commands.demo import Command

    original = Command.load_changes
    monkeypatch.setattr(Command, "load_changes", lambda self, provider, people: False)
    call_command("demo", "--if-empty", stdout=StringIO())
    assert not Change.objects.exists()
    monkeypatch.setattr(Command, "load_changes", original)
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "Change management demo data added" in out.getvalue()
    check_change_demo()
    assert verify_chain().ok


def test_printed_credentials_log_in(empty_database, short_history):
    call_command("demo", stdout=StringIO())
    for username, landing in [("agent", "/requests/"), ("requester", "/requests/"),
                              ("cab2", "/changes/"), ("opshead", "/changes/")]:
        client = Client()
        response = client.post("/accounts/login/", {"username": username,
                                                     "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.content[:500]
        assert client.get(landing).status_code == 200
