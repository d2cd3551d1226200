"""The web UI's generic delete view (``<prefix>-delete`` of every record type):
administrators only, confirmed, audited; out of scope is a 404."""

# covers: GEN-7 (deleting outside a retention period), GEN-ACCESS, GEN-ROLES

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from itsm.conftest import PASSWORD
from itsm.core import directory
from itsm.core.choices import Role
from itsm.core.models import AuditEntry
from itsm.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def delete_url(record) -> str:
    return reverse("servicedesk:request-delete", args=[record.pk])


def test_an_administrator_confirms_and_deletes_a_request(world):
    record = world.request("requester_a")
    assert record.retained_until is None  # service requests have no retention period
    client = client_for(world.admin)

    detail = client.get(record.get_absolute_url())
    assert delete_url(record) in detail.content.decode()  # the Delete button
    confirm = client.get(delete_url(record))
    assert confirm.status_code == 200
    body = html.unescape(confirm.content.decode())
    assert record.number in body and 'id="confirm-delete"' in body

    response = client.post(delete_url(record))
    assert response.status_code == 302
    assert response["Location"] == reverse("servicedesk:request-list")
    assert not ServiceRequest.objects.filter(pk=record.pk).exists()
    entry = AuditEntry.objects.filter(object_type="servicedesk.servicerequest",
                                      object_id=str(record.pk)).latest("id")
    assert entry.action == "delete" and entry.actor_id == world.admin.pk
    assert entry.changes["number"] == [record.number, None]
    listing = client.get(response["Location"])
    assert f"{record.number}" in html.unescape(listing.content.decode())  # the message


@pytest.mark.parametrize("username", ["agent", "lead", "auditor"])
def test_other_staff_get_403_and_see_no_button(world, username):
    record = world.request("requester_a")
    client = client_for(world.users[username])
    assert delete_url(record) not in client.get(record.get_absolute_url()).content.decode()
    assert client.get(delete_url(record)).status_code == 403
    assert client.post(delete_url(record)).status_code == 403
    assert ServiceRequest.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("username", ["requester_a", "custadmin_a"])
def test_customers_get_404_even_for_their_own_request(world, username):
    record = world.request("requester_a")
    client = client_for(world.users[username])
    assert client.get(record.get_absolute_url()).status_code == 200
    assert client.get(delete_url(record)).status_code == 404
    assert client.post(delete_url(record)).status_code == 404
    assert ServiceRequest.objects.filter(pk=record.pk).exists()


def test_another_providers_administrator_gets_404(world):
    admin_q = directory.create_person(actor=None, data={
        "username": "admin_q", "first_name": "admin_q", "last_name": "",
        "email": "admin_q@example.cn", "password": PASSWORD, "is_staff": True,
        "roles": [Role.ADMINISTRATOR], "profile": {"organization": world.orgs["Q"]}})
    record = world.request("requester_a")
    client = client_for(admin_q)
    assert client.get(delete_url(record)).status_code == 404
    assert client.post(delete_url(record)).status_code == 404
    assert ServiceRequest.objects.filter(pk=record.pk).exists()


def test_anonymous_is_sent_to_the_login_page(world):
    record = world.request("requester_a")
    response = Client().post(delete_url(record))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert ServiceRequest.objects.filter(pk=record.pk).exists()


def test_every_record_type_has_a_delete_route():
    for name in ("servicedesk:request", "servicedesk:incident", "servicedesk:major",
                 "problems:problem", "changes:change"):
        assert reverse(f"{name}-delete", args=[1]).endswith("/1/delete/")
