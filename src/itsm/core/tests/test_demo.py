"""`itsm demo` loads a usable world and prints working credentials."""

from io import StringIO

from django.core.management import call_command
from django.test import Client

from itsm.core.audit import verify_chain
from itsm.core.choices import Role
from itsm.core.management.commands.demo import DEMO_PASSWORD
from itsm.core.models import Organization, Team
from itsm.servicedesk.models import Incident, ServiceRequest, SLAClock


def test_demo_loads_once_and_prints_logins(db):
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
    assert SLAClock.objects.count() == 2 * (ServiceRequest.objects.count()
                                            + Incident.objects.count())
    from django.contrib.auth.models import Group

    for role in Role:
        assert Group.objects.get(name=role).user_set.exists(), f"no demo user for {role}"

    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "already loaded" in out.getvalue()
    assert Organization.objects.count() == 3
    assert verify_chain().ok


def test_printed_credentials_log_in(db):
    call_command("demo", stdout=StringIO())
    for username, landing in [("agent", "/requests/"), ("requester", "/requests/")]:
        client = Client()
        response = client.post("/accounts/login/", {"username": username,
                                                     "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.content[:500]
        assert client.get(landing).status_code == 200
