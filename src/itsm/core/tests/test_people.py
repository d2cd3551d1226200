"""People and organizations administered in the web app (core.views_directory) and the
API, with the rules of core.directory: provider administrators manage everything of
their scope, customer administrators the people of their own organization with customer
roles; everybody else reads at most. Deactivating a person ends their sessions and API
tokens at once.

Everything is judged the way a person notices it: status codes, the rendered page (in
zh-Hans, everyone's default language), the mail with the link, the audit log, and
whether someone can log in.
"""

# covers: GEN-ROLES (customer admin, administrator, auditor), GEN-ACCESS (directory
# scoping), GEN-AUDIT (directory changes)

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from itsm.conftest import PASSWORD
from itsm.core import directory
from itsm.core.choices import Role
from itsm.core.models import AuditEntry, Department, Organization, Team
from itsm.servicedesk.models import ServiceRequest

pytestmark = pytest.mark.django_db

User = get_user_model()
LOGIN = "/accounts/login/"
PEOPLE = "/directory/people/"
NEW_PASSWORD = "Lv4#qRt8!nXz-chosen"
#: The zh-Hans name of the role "CAB member" (locale/zh_Hans/LC_MESSAGES/django.po).
CAB_MEMBER_ZH = "变更咨询委员会成员"


# --- Helpers ------------------------------------------------------------------------------


def browser(world, username: str) -> Client:
    client = Client()
    client.force_login(world.users[username])
    return client


def log_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR="10.0.0.9")


def is_logged_in(client: Client) -> bool:
    response = client.get("/requests/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    return False


def text(response) -> str:
    return response.content.decode()


def password_link(mail) -> str:
    match = re.search(r"(http\S+/accounts/password/reset/\S+/\S+/)", mail.body)
    assert match, mail.body
    assert match.group(1).startswith(settings.SITE_URL)
    return urlsplit(match.group(1)).path


def set_password(link: str, password: str, capture) -> None:
    """What the person does with the emailed link: open it, type the password twice."""
    client = Client()
    response = client.get(link)
    assert response.status_code == 302  # Django swaps the token for a session-bound URL
    form_url = response["Location"]
    with capture(execute=True):
        response = client.post(form_url, {"new_password1": password,
                                          "new_password2": password})
    assert response.status_code == 302, text(response)[:2000]
    assert response["Location"] == "/accounts/password/reset/done/"


class FormReader(HTMLParser):
    """The checkboxes of a page and the texts of their labels."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str]] = {}
        self.labels: dict[str, str] = {}
        self._label_for: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attrs = {k: v or "" for k, v in attrs}
        if tag == "input" and attrs.get("id"):
            self.inputs[attrs["id"]] = attrs
        elif tag == "label":
            self._label_for = attrs.get("for")
            if self._label_for:
                self.labels[self._label_for] = ""

    def handle_data(self, data) -> None:
        if self._label_for:
            self.labels[self._label_for] += data

    def handle_endtag(self, tag) -> None:
        if tag == "label":
            self._label_for = None

    def value_labelled(self, name: str, label: str) -> str:
        """The value of the ``name`` input whose label reads ``label``."""
        for input_id, text_ in self.labels.items():
            field = self.inputs.get(input_id, {})
            if field.get("name") == name and text_.strip() == label:
                return field["value"]
        raise AssertionError(f"no {name} labelled {label!r}: {sorted(self.labels.values())}")

    def labels_of(self, name: str) -> set[str]:
        return {text_.strip() for input_id, text_ in self.labels.items()
                if self.inputs.get(input_id, {}).get("name") == name}


def read_form(response) -> FormReader:
    reader = FormReader()
    reader.feed(text(response))
    return reader


def person_form_data(person, **changes) -> dict:
    """What the person form holds for ``person`` (as the browser would send it back)."""
    profile = person.profile
    data = {"username": person.username, "first_name": person.first_name,
            "last_name": person.last_name, "email": person.email, "phone": profile.phone,
            "job_title": profile.job_title, "organization": profile.organization_id,
            "department": profile.department_id or "", "language": profile.language,
            "roles": sorted(person.groups.values_list("name", flat=True)),
            "teams": list(person.teams.values_list("pk", flat=True))}
    if person.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def last_entry(person) -> AuditEntry:
    return AuditEntry.objects.filter(object_type="auth.user",
                                     object_id=str(person.pk)).latest("pk")


# --- 1. A customer administrator brings in a colleague --------------------------------------


def test_customer_admin_creates_a_colleague_who_sets_a_password_logs_in_and_raises_a_request(
        world, mailoutbox, django_capture_on_commit_callbacks):
    custadmin = browser(world, "custadmin_a")
    form = custadmin.get(f"{PEOPLE}new/")
    assert form.status_code == 200
    # Only the customer roles are offered, by their Chinese names; no organization or
    # team to choose (their own organization is implied)
    assert read_form(form).labels_of("roles") == {"请求人", "客户管理员"}
    assert 'name="organization"' not in text(form) and 'name="teams"' not in text(form)

    with django_capture_on_commit_callbacks(execute=True):
        response = custadmin.post(f"{PEOPLE}new/", {
            "username": "wangxm", "last_name": "王", "first_name": "小明",
            "email": "wangxm@example.cn", "phone": "13900001111", "job_title": "财务专员",
            "roles": ["requester"], "language": "zh-hans", "send_invitation": "on"})
    assert response.status_code == 302, text(response)[:3000]
    colleague = User.objects.get(username="wangxm")
    assert response["Location"] == f"{PEOPLE}{colleague.pk}/"
    assert colleague.profile.organization == world.orgs["A"]
    assert set(colleague.groups.values_list("name", flat=True)) == {Role.REQUESTER}
    assert not colleague.has_usable_password()  # nobody but the person knows it
    created = AuditEntry.objects.get(object_type="auth.user", object_id=str(colleague.pk),
                                     action="create")
    assert created.actor_id == world.custadmin_a.pk
    assert created.organization_id == world.orgs["A"].pk
    assert created.changes["roles"] == [None, ["requester"]]
    assert last_entry(colleague).changes == {"password_link": [None, "invitation"],
                                             "sent_to": [None, "wangxm@example.cn"]}

    page = text(custadmin.get(response["Location"]))
    for shown in ("王小明", "wangxm", "13900001111", "财务专员", "华东制造"):
        assert shown in page, shown
    roles = page.split('id="person-roles"')[1].split("</dd>")[0]
    assert "请求人" in roles and "requester" not in roles

    [mail] = mailoutbox
    assert mail.to == ["wangxm@example.cn"]
    assert "wangxm" in mail.body
    set_password(password_link(mail), NEW_PASSWORD, django_capture_on_commit_callbacks)

    client = Client()
    assert log_in(client, "wangxm", NEW_PASSWORD).status_code == 302
    assert is_logged_in(client)
    response = client.post("/requests/new/", {"title": "报销系统无法登录",
                                              "description": "提示密码错误"})
    assert response.status_code == 302, text(response)[:2000]
    record = ServiceRequest.objects.get(title="报销系统无法登录")
    assert record.requester == colleague
    assert record.organization == world.orgs["A"]
    # and the customer administrator sees it among the organization's requests
    assert record.number in text(custadmin.get("/requests/"))


def test_the_invitation_link_works_once(world, mailoutbox, django_capture_on_commit_callbacks):
    person = directory.create_person(actor=world.admin, data={
        "username": "once", "email": "once@example.cn", "roles": [Role.REQUESTER],
        "profile": {"organization": world.orgs["A"]}})
    with django_capture_on_commit_callbacks(execute=True):
        response = browser(world, "admin").post(reverse("person-invite", args=[person.pk]))
    assert response.status_code == 302
    link = password_link(mailoutbox[0])
    set_password(link, NEW_PASSWORD, django_capture_on_commit_callbacks)
    response = Client().get(link, follow=True)
    assert 'id="invalid-link"' in text(response)


def test_an_invitation_needs_an_active_person_with_an_email_address(world, mailoutbox):
    admin = browser(world, "admin")
    nomail = directory.create_person(actor=world.admin, data={
        "username": "nomail", "roles": [Role.REQUESTER],
        "profile": {"organization": world.orgs["A"]}})
    response = admin.post(reverse("person-invite", args=[nomail.pk]))
    assert response.status_code == 400
    assert "没有" in text(response) or "has no email address" in text(response)
    directory.update_person(world.requester_a2, actor=world.admin, data={"is_active": False})
    response = admin.post(reverse("person-reset-link", args=[world.requester_a2.pk]))
    assert response.status_code == 400
    assert mailoutbox == []
    # the form asks for the address when an invitation is to go out
    response = admin.post(f"{PEOPLE}new/", {
        "username": "nomail2", "roles": ["requester"], "organization": world.orgs["A"].pk,
        "language": "zh-hans", "send_invitation": "on"})
    assert response.status_code == 400
    assert not User.objects.filter(username="nomail2").exists()


def test_a_reset_link_for_someone_who_has_a_password(world, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    admin = browser(world, "custadmin_a")
    page = text(admin.get(f"{PEOPLE}{world.requester_a.pk}/"))
    assert 'id="send-reset-link"' in page and 'id="send-invitation"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("person-reset-link", args=[world.requester_a.pk]))
    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.to == ["requester_a@example.cn"]
    set_password(password_link(mail), NEW_PASSWORD, django_capture_on_commit_callbacks)
    assert log_in(Client(), "requester_a", NEW_PASSWORD).status_code == 302


# --- 2. A provider administrator gives a role by its Chinese name ---------------------------


def test_provider_admin_gives_the_cab_role_by_its_chinese_name(world):
    admin = browser(world, "admin")
    engineer = world.engineer
    form = admin.get(f"{PEOPLE}{engineer.pk}/edit/")
    assert form.status_code == 200
    reader = read_form(form)
    assert CAB_MEMBER_ZH in reader.labels_of("roles")
    assert "cab_member" not in reader.labels_of("roles")
    cab = reader.value_labelled("roles", CAB_MEMBER_ZH)

    data = person_form_data(engineer)
    data["roles"] = [*data["roles"], cab]
    response = admin.post(f"{PEOPLE}{engineer.pk}/edit/", data)
    assert response.status_code == 302, text(response)[:3000]
    assert set(engineer.groups.values_list("name", flat=True)) == {Role.AGENT,
                                                                     Role.CAB_MEMBER}
    entry = last_entry(engineer)
    assert entry.actor_id == world.admin.pk
    assert entry.changes == {"roles": [["agent"], ["agent", "cab_member"]]}

    page = text(admin.get(f"{PEOPLE}{engineer.pk}/"))
    roles = page.split('id="person-roles"')[1].split("</dd>")[0]
    assert CAB_MEMBER_ZH in roles and "服务台坐席" in roles
    assert "cab_member" not in roles
    listing = text(admin.get(f"{PEOPLE}?role=cab_member"))
    assert "engineer" in listing and CAB_MEMBER_ZH in listing
    assert "requester_a" not in listing
    # in English, the same role reads "CAB member"
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    world.admin.profile.language = "en"
    world.admin.profile.save()
    english.force_login(world.admin)
    assert "CAB member" in text(english.get(f"{PEOPLE}{engineer.pk}/"))


def test_staff_roles_are_for_people_of_a_provider(world):
    admin = browser(world, "admin")
    data = person_form_data(world.requester_a, roles=["requester", "agent"])
    response = admin.post(f"{PEOPLE}{world.requester_a.pk}/edit/", data)
    assert response.status_code == 400
    assert 'id="error_1_id_roles"' in text(response)
    assert set(world.requester_a.groups.values_list("name", flat=True)) == {"requester"}


def test_provider_admin_creates_staff_with_teams(world):
    admin = browser(world, "admin")
    response = admin.post(f"{PEOPLE}new/", {
        "username": "zhaolei", "last_name": "赵", "first_name": "磊",
        "email": "zhaolei@example.cn", "organization": world.orgs["P"].pk,
        "roles": ["agent", "team_lead"], "teams": [world.teams["desk"].pk],
        "language": "zh-hans"})
    assert response.status_code == 302, text(response)[:3000]
    person = User.objects.get(username="zhaolei")
    assert list(person.teams.all()) == [world.teams["desk"]]
    team_page = text(admin.get(reverse("team-detail", args=[world.teams["desk"].pk])))
    assert "赵磊" in team_page and "团队负责人" in team_page
    # a team of another provider cannot be chosen
    response = admin.post(f"{PEOPLE}{person.pk}/edit/", person_form_data(
        person, teams=[world.teams["q_desk"].pk]))
    assert response.status_code == 400
    assert list(person.teams.all()) == [world.teams["desk"]]


# --- 3. Deactivation ends sessions and tokens -----------------------------------------------


@pytest.mark.parametrize("how", ["page", "form", "api"])
def test_deactivation_ends_the_session_and_the_api_token(world, how):
    person = world.requester_a2
    their_browser = Client()
    assert log_in(their_browser, "requester_a2").status_code == 302
    assert is_logged_in(their_browser)
    key = their_browser.cookies[settings.SESSION_COOKIE_NAME].value
    token = Client().post("/api/token/", {"username": "requester_a2", "password": PASSWORD},
                          REMOTE_ADDR="10.0.0.9").json()["token"]
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").status_code == 200

    admin = browser(world, "custadmin_a")
    if how == "page":
        response = admin.post(reverse("person-deactivate", args=[person.pk]))
        assert response.status_code == 302
    elif how == "form":
        data = person_form_data(person)
        del data["is_active"]
        response = admin.post(f"{PEOPLE}{person.pk}/edit/", data)
        assert response.status_code == 302, text(response)[:3000]
    else:
        response = world.client("custadmin_a").delete(f"/api/people/{person.pk}/")
        assert response.status_code == 204

    assert not Session.objects.filter(session_key=key).exists()
    assert not is_logged_in(their_browser)
    assert api.get("/api/me/").status_code == 401
    assert not Token.objects.filter(user=person).exists()
    assert log_in(Client(), "requester_a2").status_code == 200  # the form again, refused
    assert last_entry(person).changes["is_active"] == [True, False]
    assert last_entry(person).actor_id == world.custadmin_a.pk
    assert is_logged_in(admin)  # the administrator's own session stays
    page = text(admin.get(f"{PEOPLE}{person.pk}/"))
    assert 'data-active="0"' in page and 'id="activate-person"' in page


def test_reactivated_person_logs_in_again(world):
    person = world.requester_a2
    admin = browser(world, "admin")
    admin.post(reverse("person-deactivate", args=[person.pk]))
    assert log_in(Client(), "requester_a2").status_code == 200
    assert admin.post(reverse("person-activate", args=[person.pk])).status_code == 302
    assert log_in(Client(), "requester_a2").status_code == 302


def test_nobody_deactivates_themselves(world):
    admin = browser(world, "custadmin_a")
    response = admin.post(reverse("person-deactivate", args=[world.custadmin_a.pk]))
    assert response.status_code == 400
    world.custadmin_a.refresh_from_db()
    assert world.custadmin_a.is_active
    assert is_logged_in(admin)


# --- 4. Who may do what ---------------------------------------------------------------------


def test_another_organizations_person_is_404_for_a_customer_admin(world, sentinel):
    client = browser(world, "custadmin_a")
    other = world.requester_b
    for method, url in [("get", f"{PEOPLE}{other.pk}/"), ("get", f"{PEOPLE}{other.pk}/edit/"),
                        ("post", f"{PEOPLE}{other.pk}/edit/"),
                        ("post", reverse("person-deactivate", args=[other.pk])),
                        ("post", reverse("person-invite", args=[other.pk])),
                        ("get", reverse("organization-detail", args=[world.orgs["B"].pk])),
                        ("get", reverse("team-detail", args=[world.teams["desk"].pk]))]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
        assert sentinel not in text(response)
    api = world.client("custadmin_a")
    assert api.get(f"/api/people/{other.pk}/").status_code == 404
    assert api.patch(f"/api/people/{other.pk}/", {"phone": "1"},
                     format="json").status_code == 404
    other.refresh_from_db()
    assert other.is_active
    listing = text(client.get(PEOPLE))
    assert "requester_a2" in listing and "requester_b" not in listing
    assert sentinel not in listing and ">agent<" not in listing


def test_customer_admin_cannot_give_a_provider_role(world):
    client = browser(world, "custadmin_a")
    before = AuditEntry.objects.count()
    response = client.post(f"{PEOPLE}new/", {
        "username": "mole", "email": "mole@example.cn", "roles": ["agent"],
        "language": "zh-hans"})
    assert response.status_code == 400
    assert 'id="error_1_id_roles"' in text(response)
    data = person_form_data(world.requester_a, roles=["requester", "administrator"])
    response = client.post(f"{PEOPLE}{world.requester_a.pk}/edit/", data)
    assert response.status_code == 400
    assert set(world.requester_a.groups.values_list("name", flat=True)) == {"requester"}
    assert not User.objects.filter(username="mole").exists()
    assert AuditEntry.objects.count() == before
    # the API says which field and why
    api = world.client("custadmin_a")
    response = api.post("/api/people/", {
        "username": "mole", "organization": world.orgs["A"].pk, "roles": ["agent"]},
        format="json")
    assert response.status_code == 400
    assert "roles" in response.json()


def test_customer_admin_may_make_a_colleague_customer_admin(world):
    api = world.client("custadmin_a")
    response = api.patch(f"/api/people/{world.requester_a.pk}/",
                         {"roles": ["requester", "customer_admin"]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["roles"] == ["customer_admin", "requester"]


def test_customer_admin_creates_people_through_the_api_in_their_organization_only(world):
    api = world.client("custadmin_a")
    body = {"username": "lihua", "first_name": "华", "last_name": "李",
            "email": "lihua@example.cn", "roles": ["requester"]}
    response = api.post("/api/people/", {**body, "organization": world.orgs["B"].pk},
                        format="json")
    assert response.status_code == 400
    assert "organization" in response.json()
    response = api.post("/api/people/", {**body, "organization": world.orgs["A"].pk},
                        format="json")
    assert response.status_code == 201, response.json()
    person = User.objects.get(username="lihua")
    assert person.profile.organization == world.orgs["A"]
    entry = last_entry(person)
    assert entry.action == "create" and entry.actor_id == world.custadmin_a.pk
    response = api.post(f"/api/people/{person.pk}/send-invitation/")
    assert response.status_code == 202
    assert response.json() == {"sent_to": "lihua@example.cn"}
    # moving someone to another organization is refused
    response = api.patch(f"/api/people/{person.pk}/",
                         {"organization": world.orgs["P"].pk}, format="json")
    assert response.status_code == 400
    # and the customer administrator cannot touch the directory itself
    for route, data in [("api:department-list", {"name": "X",
                                                 "organization": world.orgs["A"].pk}),
                        ("api:team-list", {"name": "X", "organization": world.orgs["A"].pk})]:
        assert api.post(reverse(route), data, format="json").status_code == 403


def test_requesters_get_nothing(world):
    client = browser(world, "requester_a")
    for url in (PEOPLE, f"{PEOPLE}new/", f"{PEOPLE}{world.requester_a2.pk}/",
                f"{PEOPLE}{world.requester_a.pk}/", "/directory/organizations/",
                "/directory/departments/", "/directory/teams/",
                reverse("organization-detail", args=[world.orgs["A"].pk])):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("person-deactivate", args=[world.requester_a2.pk]))
    assert response.status_code == 404
    page = text(client.get("/requests/"))
    assert 'id="nav-people"' not in page
    api = world.client("requester_a")
    response = api.post("/api/people/", {"username": "x", "organization": world.orgs["A"].pk},
                        format="json")
    assert response.status_code == 403
    response = api.post(f"/api/people/{world.requester_a2.pk}/send-invitation/")
    assert response.status_code == 403


@pytest.mark.parametrize("username", ["auditor", "agent"])
def test_staff_who_are_not_administrators_read_but_never_write(world, username):
    client = browser(world, username)
    person = world.requester_a
    before = AuditEntry.objects.count()
    for url in (PEOPLE, f"{PEOPLE}{person.pk}/", "/directory/organizations/",
                "/directory/departments/", "/directory/teams/",
                reverse("team-detail", args=[world.teams["desk"].pk]),
                reverse("organization-detail", args=[world.orgs["B"].pk])):
        response = client.get(url)
        assert response.status_code == 200, url
    page = text(client.get(f"{PEOPLE}{person.pk}/"))
    assert 'id="edit-person"' not in page and 'id="deactivate-person"' not in page
    assert 'id="new-person"' not in text(client.get(PEOPLE))
    for url in (f"{PEOPLE}new/", f"{PEOPLE}{person.pk}/edit/", "/directory/teams/new/"):
        assert client.get(url).status_code == 403, url
    for url, data in [(f"{PEOPLE}{person.pk}/edit/", person_form_data(person, phone="1")),
                      (reverse("person-deactivate", args=[person.pk]), {}),
                      (reverse("person-invite", args=[person.pk]), {}),
                      (reverse("organization-edit", args=[world.orgs["A"].pk]),
                       {"name": "x"})]:
        assert client.post(url, data).status_code == 403, url
    api = world.client(username)
    assert api.patch(f"/api/people/{person.pk}/", {"phone": "1"},
                     format="json").status_code == 403
    person = User.objects.select_related("profile").get(pk=person.pk)
    assert person.is_active and person.profile.phone == ""
    assert AuditEntry.objects.count() == before


def test_menu_entries_follow_the_role(world):
    def menu(username: str) -> str:
        return text(browser(world, username).get("/requests/"))

    admin = menu("admin")
    for key in ("people", "organizations", "departments", "teams"):
        assert f'id="nav-{key}"' in admin, key
    custadmin = menu("custadmin_a")
    assert 'id="nav-people"' in custadmin and 'id="nav-departments"' in custadmin
    assert 'id="nav-organizations"' not in custadmin and 'id="nav-teams"' not in custadmin
    assert 'id="nav-people"' not in menu("requester_a")


# --- Lists, the department tree, organizations and teams ---------------------------------


def test_people_list_is_scoped_searchable_and_shows_roles_by_name(world, sentinel):
    admin = browser(world, "admin")
    page = text(admin.get(PEOPLE))
    for username in ("requester_a", "requester_b", "agent", "custadmin_a"):
        assert f">{username}<" in page, username
    assert "requester_c" not in page and "agent_q" not in page  # provider Q's
    assert "客户管理员" in page and "customer_admin<" not in page
    directory.update_person(world.requester_a, actor=world.admin, data={
        "first_name": "小红", "last_name": "陈", "profile": {"phone": "13812345678"}})
    for query in ("陈小红", "1381234", "REQUESTER_A@"):
        found = text(admin.get(PEOPLE, {"q": query}))
        assert "陈小红" in found, query
        assert ">requester_b<" not in found
    only_b = text(admin.get(PEOPLE, {"organization": world.orgs["B"].pk}))
    assert ">requester_b<" in only_b and ">requester_a<" not in only_b
    response = admin.get(PEOPLE, {"organization": world.orgs["C"].pk})  # not theirs
    assert response.status_code == 400 and "requester_c" not in text(response)
    assert admin.get(PEOPLE, {"ordering": "password"}).status_code == 400
    directory.update_person(world.requester_a2, actor=world.admin, data={"is_active": False})
    inactive = text(admin.get(PEOPLE, {"is_active": "false"}))
    assert ">requester_a2<" in inactive and ">requester_a<" not in inactive


def test_people_list_takes_the_same_queries_for_more_people(world):
    admin = browser(world, "admin")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(PEOPLE).status_code == 200
        return len(captured)

    queries()  # who is who is cached after the first request
    first = queries()
    for i in range(8):
        directory.create_person(actor=None, data={
            "username": f"bulk{i}", "email": f"bulk{i}@example.cn",
            "roles": [Role.REQUESTER, Role.CUSTOMER_ADMIN],
            "profile": {"organization": world.orgs["A"]}})
    queries()
    assert queries() == first


def test_department_tree_with_heads(world):
    admin = browser(world, "admin")
    org = world.orgs["A"]
    response = admin.post("/directory/departments/new/", {
        "organization": org.pk, "name": "财务部", "head": world.custadmin_a.pk})
    assert response.status_code == 302, text(response)[:3000]
    finance = Department.objects.get(organization=org, name="财务部")
    response = admin.post("/directory/departments/new/", {
        "organization": org.pk, "name": "会计科", "parent": finance.pk})
    assert response.status_code == 302, text(response)[:3000]
    accounting = Department.objects.get(name="会计科")
    directory.update_person(world.requester_a, actor=world.admin,
                            data={"profile": {"department": accounting}})

    page = text(admin.get("/directory/departments/"))
    tree = page.split(f'id="departments-{org.pk}"')[1].split("</ul>")[0]
    assert tree.index("财务部") < tree.index("会计科")
    assert f'data-department="{accounting.pk}" data-depth="1"' in tree
    assert "custadmin_a" in tree  # the head, by name
    detail = text(admin.get(reverse("organization-detail", args=[org.pk])))
    assert "会计科" in detail
    # a department cannot move below itself, nor under another organization's
    response = admin.post(reverse("department-edit", args=[finance.pk]), {
        "organization": org.pk, "name": "财务部", "parent": accounting.pk})
    assert response.status_code == 400
    other = Department.objects.create(organization=world.orgs["B"], name="B 部")
    response = admin.post(reverse("department-edit", args=[accounting.pk]), {
        "organization": org.pk, "name": "会计科", "parent": other.pk})
    assert response.status_code == 400
    accounting.refresh_from_db()
    assert accounting.parent == finance
    # a department with sub-departments is not deleted: the tree says why
    response = admin.post(reverse("department-delete", args=[finance.pk]))
    assert response.status_code == 409
    assert "财务部" in text(response)
    assert Department.objects.filter(pk=finance.pk).exists()
    # and a person's department must be of their organization
    response = admin.post(f"{PEOPLE}{world.requester_b.pk}/edit/", person_form_data(
        world.requester_b, department=accounting.pk))
    assert response.status_code == 400


def test_customer_admin_reads_their_own_departments_only(world, sentinel):
    Department.objects.create(organization=world.orgs["A"], name="行政部")
    Department.objects.create(organization=world.orgs["B"], name=f"部门 {sentinel}")
    client = browser(world, "custadmin_a")
    page = text(client.get("/directory/departments/"))
    assert "行政部" in page and sentinel not in page
    assert 'id="new-department"' not in page
    assert client.get("/directory/departments/new/").status_code == 403


def test_provider_admin_creates_a_customer_organization(world):
    admin = browser(world, "admin")
    form = text(admin.get("/directory/organizations/new/"))
    assert "Other Provider" not in form  # only the providers in scope
    response = admin.post("/directory/organizations/new/", {
        "name": "西南物流", "code": "xinan", "kind": "customer",
        "provider": world.orgs["P"].pk, "time_zone": "Asia/Shanghai", "is_active": "on"})
    assert response.status_code == 302, text(response)[:3000]
    org = Organization.objects.get(code="xinan")
    assert org.provider == world.orgs["P"]
    assert AuditEntry.objects.filter(object_type="core.organization", object_id=str(org.pk),
                                     action="create", actor_id=world.admin.pk).exists()
    assert "西南物流" in text(admin.get("/directory/organizations/"))
    for bad in ({"provider": ""}, {"time_zone": "Mars/Olympus"}, {"code": "x y"},
                {"provider": world.orgs["Q"].pk}):
        response = admin.post("/directory/organizations/new/", {
            "name": "坏", "code": "bad", "kind": "customer", "provider": world.orgs["P"].pk,
            "time_zone": "Asia/Shanghai", **bad})
        assert response.status_code == 400, bad
    assert not Organization.objects.filter(code="bad").exists()


def test_team_pages_show_members_and_lead(world):
    admin = browser(world, "admin")
    team = world.teams["desk"]
    page = text(admin.get(reverse("team-detail", args=[team.pk])))
    assert "一线服务台" in page and ">agent<" in page and ">lead<" in page
    response = admin.post(reverse("team-edit", args=[team.pk]), {
        "organization": world.orgs["P"].pk, "name": "一线服务台",
        "members": [world.agent.pk, world.engineer.pk], "lead": world.engineer.pk})
    assert response.status_code == 302, text(response)[:3000]
    assert set(Team.objects.get(pk=team.pk).members.all()) == {world.agent, world.engineer}
    response = admin.post(reverse("team-edit", args=[team.pk]), {
        "organization": world.orgs["P"].pk, "name": "一线服务台",
        "members": [world.agent_q.pk]})  # another provider's person is not a choice
    assert response.status_code == 400
    assert "一线服务台" in text(admin.get("/directory/teams/"))


# --- The Django admin, for superusers, in Chinese ------------------------------------------


def test_django_admin_shows_sections_models_and_roles_in_chinese(world):
    superuser = User.objects.create_superuser("root", "root@example.cn", PASSWORD)
    client = Client()
    client.force_login(superuser)
    index = text(client.get("/admin/"))
    for label in ("平台", "组织", "部门", "服务团队"):
        assert label in index, label
    groups = text(client.get("/admin/auth/group/"))
    assert CAB_MEMBER_ZH in groups and "客户管理员" in groups
    change = text(client.get(f"/admin/auth/user/{world.engineer.pk}/change/"))
    assert f">{CAB_MEMBER_ZH}</option>" in change
    users = text(client.get("/admin/auth/user/"))
    assert "服务台坐席" in users and "星云服务商" in users
    filtered = text(client.get("/admin/auth/user/", {"role": "customer_admin"}))
    assert ">custadmin_a<" in filtered and ">agent<" not in filtered
