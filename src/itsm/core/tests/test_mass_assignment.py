"""Mass assignment: a customer cannot set fields the service desk owns.

A requester who edits (PATCH or PUT) or raises their own ticket through the API, or who
edits their own person record, may name any field in the body. Every field outside
what a customer may change must be refused (400) or ignored, and the database must be
unchanged afterwards: the assertions compare the rows before and after, not the answer.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from itsm.core import services
from itsm.core.choices import Role
from itsm.servicedesk.models import Incident, ServiceRequest

pytestmark = pytest.mark.django_db

User = get_user_model()

#: Record types a customer can write through the API: route → model.
CUSTOMER_ROUTES = {"service-requests": ServiceRequest, "incidents": Incident}

#: Columns a requester must not be able to change on their own record.
GUARDED_COLUMNS = [
    "organization_id", "owner_id", "assignee_id", "assignee_team_id", "priority", "status",
    "number", "version", "created_by_id", "requester_id", "due_at", "resolution",
    "resolved_at", "closed_at", "merged_into_id", "sla_policy_id", "title", "description",
]
INCIDENT_COLUMNS = ["is_major", "major_incident_id", "alert_fingerprint"]


def hostile_value(field: str, world, record):
    """What an attacker would put in ``field`` (always different from the current value)."""
    other = record.pk + 1000  # a ticket id that the requester does not own
    return {
        "organization": world.orgs["B"].pk,
        "owner": world.agent.pk,
        "assignee": world.agent.pk,
        "assignee_team": world.teams["desk"].pk,
        "priority": 1 if record.priority != 1 else 4,
        "status": "closed",
        "number": "REQ-1999-999999",
        "version": record.version + 41,
        "created_by": world.requester_a2.pk,
        "requester": world.requester_a2.pk,
        "due_at": "2031-01-01T00:00:00+08:00",
        "resolution": "已解决（伪造）",
        "resolved_at": "2020-01-01T00:00:00+08:00",
        "closed_at": "2020-01-01T00:00:00+08:00",
        "merged_into": other,
        "sla_policy": 1,
        # incidents only
        "is_major": True,
        "major_incident": 1,
        "alert_fingerprint": "forged-fingerprint",
    }[field]


BASE_FIELDS = ["organization", "owner", "assignee", "assignee_team", "priority", "status",
               "number", "version", "created_by", "requester", "due_at", "resolution",
               "resolved_at", "closed_at", "merged_into", "sla_policy"]
MATRIX = [(route, field) for route in CUSTOMER_ROUTES for field in BASE_FIELDS] + [
    ("incidents", field) for field in ("is_major", "major_incident", "alert_fingerprint")]


def own_record(world, model, username: str = "requester_a"):
    user = world.users[username]
    return services.create_record(model, actor=user, data={
        "organization": user.profile.organization, "title": "打印机卡纸",
        "description": "三楼打印机卡纸", "requester": user})


def snapshot(record) -> dict:
    model = type(record)
    columns = GUARDED_COLUMNS + (INCIDENT_COLUMNS if model is Incident else [])
    return model.objects.filter(pk=record.pk).values(*columns).get()


def assert_refused_or_ignored(response, field: str, before: dict, record) -> None:
    allowed = {200, 400, 409} if field == "version" else {200, 400}
    assert response.status_code in allowed, (field, response.status_code, response.content)
    after = snapshot(record)
    assert after == before, f"{field}: {before} -> {after}"
    assert not type(record).objects.filter(organization_id=record.organization_id).exclude(
        requester=record.requester).exists()
    if response.status_code == 200:
        # the answer shows what is stored, not what was sent
        body = response.json()
        stored = before.get(f"{field}_id", before.get(field))
        if field in body and not field.endswith("_at"):
            assert body[field] == stored, (field, body[field], stored)


@pytest.mark.parametrize(("route", "field"), MATRIX)
def test_requester_patch_cannot_set_guarded_field(world, route, field):
    record = own_record(world, CUSTOMER_ROUTES[route])
    before = snapshot(record)
    client = world.client("requester_a")
    response = client.patch(f"/api/{route}/{record.pk}/",
                            {field: hostile_value(field, world, record)}, format="json")
    assert_refused_or_ignored(response, field, before, record)
    assert type(record).objects.filter(organization=world.orgs["B"]).count() == 0


@pytest.mark.parametrize(("route", "field"), MATRIX)
def test_requester_put_cannot_set_guarded_field(world, route, field):
    record = own_record(world, CUSTOMER_ROUTES[route])
    before = snapshot(record)
    client = world.client("requester_a")
    body = {"title": record.title, "description": record.description,
            field: hostile_value(field, world, record)}
    response = client.put(f"/api/{route}/{record.pk}/", body, format="json")
    assert_refused_or_ignored(response, field, before, record)
    assert type(record).objects.filter(organization=world.orgs["B"]).count() == 0


@pytest.mark.parametrize("route", CUSTOMER_ROUTES)
def test_guarded_field_smuggled_next_to_an_allowed_change_is_not_applied(world, route):
    """Title is the requester's to change; priority and owner sent along are not."""
    record = own_record(world, CUSTOMER_ROUTES[route])
    before = snapshot(record)
    client = world.client("requester_a")
    response = client.patch(f"/api/{route}/{record.pk}/", {
        "title": "新标题", "priority": hostile_value("priority", world, record),
        "owner": world.agent.pk, "assignee": world.agent.pk}, format="json")
    after = snapshot(record)
    assert response.status_code in (200, 400), response.content
    for column in ("priority", "owner_id", "assignee_id"):
        assert after[column] == before[column], column
    if response.status_code == 200:
        assert after["title"] == "新标题"
    else:
        assert after == before


@pytest.mark.parametrize("route", CUSTOMER_ROUTES)
def test_requester_may_still_edit_title_and_description(world, route):
    """The control: the refusals above are about the fields, not about editing at all."""
    record = own_record(world, CUSTOMER_ROUTES[route])
    client = world.client("requester_a")
    response = client.patch(f"/api/{route}/{record.pk}/",
                            {"title": "新标题", "description": "更多细节"}, format="json")
    assert response.status_code == 200, response.content
    after = snapshot(record)
    assert (after["title"], after["description"]) == ("新标题", "更多细节")
    assert after["version"] == record.version + 1


@pytest.mark.parametrize("route", CUSTOMER_ROUTES)
def test_staff_can_set_the_fields_a_requester_cannot(world, route):
    """The control: the guarded fields are writable for the service desk, so the
    requester's refusals come from the permission, not from a broken route."""
    record = own_record(world, CUSTOMER_ROUTES[route])
    client = world.client("agent")
    response = client.patch(f"/api/{route}/{record.pk}/", {
        "priority": hostile_value("priority", world, record), "owner": world.agent.pk,
        "assignee": world.agent.pk, "assignee_team": world.teams["desk"].pk}, format="json")
    assert response.status_code == 200, response.content
    after = snapshot(record)
    assert after["owner_id"] == after["assignee_id"] == world.agent.pk
    assert after["assignee_team_id"] == world.teams["desk"].pk
    assert after["priority"] == hostile_value("priority", world, record)


# --- Creating ------------------------------------------------------------------------------


NEW = {"title": "邮箱无法登录", "description": "提示密码错误"}


@pytest.mark.parametrize("route", CUSTOMER_ROUTES)
def test_requester_cannot_raise_a_ticket_in_another_organization(world, route):
    model = CUSTOMER_ROUTES[route]
    client = world.client("requester_a")
    response = client.post(f"/api/{route}/", {**NEW, "organization": world.orgs["B"].pk},
                           format="json")
    # B is not among the requester's choices: refused, not coerced
    assert response.status_code == 400, response.content
    assert "organization" in response.json()
    assert not model.objects.filter(organization=world.orgs["B"]).exists()
    assert not model.objects.exists()


@pytest.mark.parametrize("route", CUSTOMER_ROUTES)
def test_requester_cannot_raise_a_ticket_for_another_person(world, route):
    model = CUSTOMER_ROUTES[route]
    client = world.client("requester_a")
    # a colleague of the same organization: accepted, but the ticket is coerced to be
    # the requester's own (the colleague neither owns it nor sees it)
    response = client.post(f"/api/{route}/", {**NEW, "requester": world.requester_a2.pk},
                           format="json")
    assert response.status_code == 201, response.content
    record = model.objects.get(pk=response.json()["id"])
    assert record.requester == record.created_by == world.requester_a
    assert record.organization == world.orgs["A"]
    assert response.json()["requester"] == world.requester_a.pk
    assert world.client("requester_a2").get(f"/api/{route}/{record.pk}/").status_code == 404
    # a person of another organization is not even a choice: refused
    response = client.post(f"/api/{route}/", {**NEW, "requester": world.requester_b.pk},
                           format="json")
    assert response.status_code == 400, response.content
    assert "requester" in response.json()
    assert list(model.objects.values_list("requester", flat=True)) == [world.requester_a.pk]
    assert not model.objects.filter(organization=world.orgs["B"]).exists()


@pytest.mark.parametrize("route", CUSTOMER_ROUTES)
def test_requester_cannot_preset_staff_fields_when_raising_a_ticket(world, route):
    model = CUSTOMER_ROUTES[route]
    client = world.client("requester_a")
    response = client.post(f"/api/{route}/", {
        **NEW, "owner": world.agent.pk, "assignee": world.agent.pk,
        "assignee_team": world.teams["desk"].pk, "priority": 1, "status": "closed",
        "number": "REQ-1999-999999", "created_by": world.requester_a2.pk, "version": 7,
        "resolution": "伪造", "is_major": True}, format="json")
    # today: accepted, and every staff field of the body is dropped
    assert response.status_code == 201, response.content
    record = model.objects.get()
    assert record.organization == world.orgs["A"]
    assert record.requester == record.created_by == world.requester_a
    assert record.owner is None and record.assignee is None
    assert record.assignee_team is None
    assert record.status == "new" and record.number != "REQ-1999-999999"
    assert record.version == 1 and record.resolution == ""
    assert record.priority != 1  # from the impact × urgency matrix, not the body
    assert getattr(record, "is_major", False) is False


@pytest.mark.parametrize("route", CUSTOMER_ROUTES)
def test_requester_ticket_lands_in_their_own_organization(world, route):
    """The control: without an organization the ticket is the requester's own."""
    model = CUSTOMER_ROUTES[route]
    response = world.client("requester_a").post(f"/api/{route}/", NEW, format="json")
    assert response.status_code == 201, response.content
    record = model.objects.get(pk=response.json()["id"])
    assert record.organization == world.orgs["A"]
    assert record.requester == world.requester_a


def test_customer_admin_cannot_raise_a_ticket_for_another_customer(world):
    client = world.client("custadmin_a")
    response = client.post("/api/service-requests/", {
        **NEW, "organization": world.orgs["B"].pk, "requester": world.requester_b.pk},
        format="json")
    assert response.status_code == 400, response.content
    response = client.post("/api/service-requests/", {
        **NEW, "requester": world.requester_b.pk}, format="json")
    assert response.status_code == 400, response.content
    assert not ServiceRequest.objects.exists()


# --- People ----------------------------------------------------------------------------------


def person_state(user) -> dict:
    user = User.objects.select_related("profile").get(pk=user.pk)
    return {"roles": sorted(user.groups.values_list("name", flat=True)),
            "is_staff": user.is_staff, "is_superuser": user.is_superuser,
            "is_active": user.is_active, "username": user.username,
            "organization": user.profile.organization_id, "password": user.password,
            "user_permissions": sorted(user.user_permissions.values_list("pk", flat=True))}


def escalation(world) -> dict:
    return {"roles": [Role.ADMINISTRATOR, Role.AGENT], "is_staff": True, "is_superuser": True,
            "organization": world.orgs["P"].pk, "username": "root", "is_active": True,
            "password": "Tq7#vZp2!kWm-new", "groups": [1], "user_permissions": [1]}


@pytest.mark.parametrize("field", ["roles", "is_staff", "is_superuser", "organization",
                                   "username", "password", "groups", "user_permissions"])
def test_requester_cannot_escalate_through_me(world, field):
    before = person_state(world.requester_a)
    client = world.client("requester_a")
    value = escalation(world)[field]
    # alone, and next to the one field /api/me/ accepts
    for body in ({field: value}, {"language": "en", field: value}):
        response = client.patch("/api/me/", body, format="json")
        assert response.status_code in (200, 400), response.content
        assert response.json().get("roles", ["requester"]) == ["requester"]
    assert person_state(world.requester_a) == before


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("field", ["roles", "is_staff", "is_superuser", "organization",
                                   "username", "password"])
def test_requester_cannot_escalate_through_the_people_route(world, method, field):
    before = person_state(world.requester_a)
    client = world.client("requester_a")
    body = {field: escalation(world)[field]}
    if method == "put":
        body = {"username": "requester_a", "organization": world.orgs["A"].pk, **body}
    response = getattr(client, method)(f"/api/people/{world.requester_a.pk}/", body,
                                       format="json")
    assert response.status_code == 403, response.content
    assert person_state(world.requester_a) == before


@pytest.mark.parametrize("roles", [[Role.ADMINISTRATOR], [Role.AGENT], [Role.AUDITOR],
                                   [Role.TEAM_LEAD, Role.AGENT]])
def test_customer_admin_cannot_grant_roles(world, roles):
    """Customer administrators give customer roles only (test_people): a provider role
    is refused with the field's message."""
    client = world.client("custadmin_a")
    for target in (world.requester_a, world.custadmin_a):
        before = person_state(target)
        response = client.patch(f"/api/people/{target.pk}/", {"roles": roles}, format="json")
        assert response.status_code == 400, response.content
        assert "roles" in response.json()
        assert person_state(target) == before


def test_customer_admin_cannot_create_a_provider_person(world):
    client = world.client("custadmin_a")
    count = User.objects.count()
    for org in ("A", "P"):
        response = client.post("/api/people/", {
            "username": "mole", "first_name": "鼹", "last_name": "鼠",
            "email": "mole@example.cn", "organization": world.orgs[org].pk,
            "roles": [Role.ADMINISTRATOR], "password": "Tq7#vZp2!kWm-new"}, format="json")
        assert response.status_code in (400, 403), response.content
    assert User.objects.count() == count
    assert not User.objects.filter(username="mole").exists()
