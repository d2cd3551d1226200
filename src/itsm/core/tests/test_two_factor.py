"""Two-factor authentication (TOTP + backup codes) through the real login form, the
Security page, the token endpoint and the people API.

Codes are computed here from the device's secret the way an authenticator app does
(``django_otp.oath.totp``); time is frozen with time_machine and moved on where a
step of 30 seconds (or django-otp's back-off after a wrong code) matters.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from itsm.conftest import PASSWORD
from itsm.core import directory, twofactor
from itsm.core.choices import Role
from itsm.core.models import AuditEntry, Profile

from .test_sessions import LOGIN, LOGOUT, PAGE, browser_with, is_logged_in, log_in, session_key

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/two-factor/verify/"
SETUP = "/accounts/two-factor/setup/"
SECURITY = "/accounts/security/"
DISABLE = "/accounts/two-factor/disable/"


@pytest.fixture(autouse=True)
def _english(world, settings):
    """Messages are compared in English: everybody's language, and the default for the
    pages before login (the code step)."""
    settings.LANGUAGE_CODE = "en"
    Profile.objects.update(language="en")


@pytest.fixture
def clock():
    """Frozen time that a test moves on with ``clock.shift(seconds)``."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def required(settings):
    settings.ITSM_2FA_REQUIRED_ROLES = [Role.ADMINISTRATOR]


def code_for(device: TOTPDevice, steps: int = 0) -> str:
    """The code an authenticator app shows now (``steps`` time steps later/earlier)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, steps):06d}"


def enroll(user) -> tuple[TOTPDevice, list[str]]:
    """Set up an authenticator for ``user`` through the service, confirmed with the code
    of the previous time step, so that the current one is still unused."""
    device = twofactor.setup_device(user)
    codes = twofactor.confirm_setup(user, device, code_for(device, -1))
    assert codes is not None
    device.refresh_from_db()
    return device, codes


def enter_code(client: Client, code: str, ip: str = "10.0.0.1"):
    return client.post(VERIFY, {"code": code}, REMOTE_ADDR=ip)


def form_errors(response) -> str:
    return " ".join(re.findall(r'<p id="error_\d+_id_[\w-]+"><strong>(.*?)</strong>',
                               response.content.decode()))


def audit_changes(user) -> list[dict]:
    return [e.changes for e in AuditEntry.objects.filter(
        object_type="auth.user", object_id=str(user.pk)).order_by("pk")]


# --- Setting it up on the Security page -------------------------------------------------------


def test_agent_sets_up_two_factor_from_the_security_page(world, clock):
    client = Client()
    assert log_in(client, "agent").status_code == 302
    page = client.get(SECURITY)
    assert page.status_code == 200
    assert 'data-enabled="0"' in page.content.decode()
    assert client.get(PAGE).content.decode().count('href="/accounts/security/"') == 1

    page = client.get(SETUP)
    assert page.status_code == 200
    body = page.content.decode()
    assert '<div id="qr-code"' in body and "<svg" in body  # inline, nothing fetched
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', body).group(1)
    device = TOTPDevice.objects.get(user=world.agent, confirmed=False)
    assert twofactor.secret_text(device) == secret
    assert client.get(SETUP).content.decode().count(secret) == 1  # same secret on reload

    response = client.post(SETUP, {"code": "000000" if code_for(device) != "000000" else "1"})
    assert response.status_code == 200
    assert "wrong" in form_errors(response)
    assert not twofactor.has_device(world.agent)

    clock.shift(2)  # django-otp waits a second after a wrong code
    response = client.post(SETUP, {"code": code_for(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li class=\"col-6\">([a-z2-7]{8})</li>", response.content.decode())
    assert len(codes) == settings.ITSM_2FA_BACKUP_CODES == 10
    assert "no-store" in response["Cache-Control"]
    assert twofactor.has_device(world.agent)
    assert {"two_factor": ["off", "on"]} in audit_changes(world.agent)
    # the session that set it up counts as verified and goes on working
    assert is_logged_in(client)
    assert 'data-enabled="1"' in client.get(SECURITY).content.decode()
    # the setup page does not hand out a second secret
    assert client.get(SETUP)["Location"] == SECURITY


# --- The two-step login ---------------------------------------------------------------------------


def test_login_asks_for_the_code_and_rotates_the_session_twice(world, clock):
    device, _codes = enroll(world.agent)
    client = Client()
    client.get(LOGIN)
    anonymous = session_key(client)
    response = client.post(LOGIN, {"username": "agent", "password": PASSWORD,
                                   "next": "/incidents/"}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302 and response["Location"] == VERIFY
    between = session_key(client)
    assert between and between != anonymous
    assert not is_logged_in(client)  # the password alone logs nobody in
    assert client.get("/api/me/").status_code in (401, 403)

    page = client.get(VERIFY)
    assert page.status_code == 200 and 'name="code"' in page.content.decode()
    response = enter_code(client, code_for(device))
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    after = session_key(client)
    assert after and after not in (anonymous, between)
    assert is_logged_in(client)
    assert client.get("/api/me/").json()["username"] == "agent"
    assert not is_logged_in(browser_with(between))


def test_people_without_an_authenticator_log_in_with_the_password(world):
    client = Client()
    assert log_in(client, "agent")["Location"] == "/"
    assert is_logged_in(client)


def test_a_wrong_code_is_a_form_error(world, clock):
    device, _codes = enroll(world.agent)
    client = Client()
    log_in(client, "agent")
    wrong = "123456" if code_for(device) != "123456" else "654321"
    response = enter_code(client, wrong)
    assert response.status_code == 200
    assert "The code is wrong or has expired." in form_errors(response)
    assert not is_logged_in(client)
    # right away again: django-otp's back-off says how long to wait
    response = enter_code(client, code_for(device))
    assert "Please wait" in form_errors(response)
    clock.shift(2)
    assert enter_code(client, code_for(device)).status_code == 302
    assert is_logged_in(client)


def test_the_same_code_is_not_accepted_twice(world, clock):
    device, _codes = enroll(world.agent)
    code = code_for(device)
    first = Client()
    log_in(first, "agent")
    assert enter_code(first, code).status_code == 302
    # someone who watched the code being typed tries it within the same 30 seconds
    second = Client()
    log_in(second, "agent", ip="10.0.0.2")
    response = enter_code(second, code, ip="10.0.0.2")
    assert response.status_code == 200 and "wrong" in form_errors(response)
    assert not is_logged_in(second)
    clock.shift(30)
    assert enter_code(second, code_for(device), ip="10.0.0.2").status_code == 302


def test_a_backup_code_works_once(world, clock):
    _device, codes = enroll(world.agent)
    client = Client()
    log_in(client, "agent")
    assert enter_code(client, codes[0].upper()).status_code == 302  # as printed, any case
    assert is_logged_in(client)
    assert twofactor.backup_codes_left(world.agent) == len(codes) - 1

    again = Client()
    log_in(again, "agent")
    response = enter_code(again, codes[0])
    assert response.status_code == 200 and "wrong" in form_errors(response)
    assert not is_logged_in(again)


def test_the_code_step_expires(world, clock):
    device, _codes = enroll(world.agent)
    client = Client()
    log_in(client, "agent")
    clock.shift(settings.ITSM_2FA_LOGIN_MINUTES * 60 + 1)
    response = enter_code(client, code_for(device))
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not is_logged_in(client)


def test_wrong_codes_lock_the_username_out(world, clock):
    device, _codes = enroll(world.agent)
    client = Client()
    log_in(client, "agent")
    wrong = "111111" if code_for(device) != "111111" else "222222"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        clock.shift(20)  # past django-otp's own back-off: only axes stops the guessing
        assert enter_code(client, wrong).status_code == 200
    clock.shift(20)
    response = enter_code(client, wrong)
    assert response.status_code == 429
    assert response["Retry-After"]
    assert not is_logged_in(client)
    # the right code does not help now, nor does starting again from another address
    response = enter_code(client, code_for(device))
    assert response.status_code in (302, 429)
    assert not is_logged_in(client)
    fresh = Client()
    assert log_in(fresh, "agent", ip="10.9.9.9").status_code == 429
    assert not is_logged_in(fresh)


def test_codes_tried_per_person_are_rate_limited(world, clock, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "otp": "3/min"}}
    device, _codes = enroll(world.agent)
    client = Client()
    log_in(client, "agent")
    wrong = "111111" if code_for(device) != "111111" else "222222"
    for _ in range(3):
        assert enter_code(client, wrong).status_code == 200
    response = enter_code(client, code_for(device))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "Too many attempts" in response.content.decode()
    assert not is_logged_in(client)


# --- Required for administrators ---------------------------------------------------------------


def test_an_administrator_must_set_up_two_factor_before_anything_else(world, required, clock):
    client = Client()
    response = log_in(client, "admin")
    assert response.status_code == 302
    # every area sends them to the set-up page, the API refuses with a clear message
    for path in (PAGE, "/", "/admin/", "/admin/core/organization/", SECURITY):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(SETUP), (path, response["Location"])
    response = client.get("/api/me/")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"].lower()
    assert client.post("/api/servicerequests/", {}, content_type="application/json"
                       ).status_code == 403
    # language switch and static files stay reachable
    assert client.post("/settings/language/", {"language": "en", "next": "/"}
                       ).status_code == 302
    assert client.get("/static/ui/itsm.css").status_code == 404  # not sent to set-up

    page = client.get(SETUP)
    assert page.status_code == 200 and "two-factor-required" in page.content.decode()
    device = TOTPDevice.objects.get(user=world.admin, confirmed=False)
    response = client.post(SETUP, {"code": code_for(device), "next": "/admin/"})
    assert response.status_code == 200
    assert 'href="/admin/"' in response.content.decode()  # continue where they wanted
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/me/").status_code == 200
    assert is_logged_in(client)


def test_logout_stays_reachable_for_an_administrator_without_two_factor(world, required):
    client = Client()
    log_in(client, "admin")
    key = session_key(client)
    assert client.post(LOGOUT).status_code == 302
    assert not is_logged_in(browser_with(key))


def test_superusers_and_admin_site_users_must_use_two_factor(world, required):
    boss = directory.create_person(actor=None, data={
        "username": "boss", "email": "boss@example.cn", "password": PASSWORD,
        "roles": [Role.AGENT], "is_staff": True,
        "profile": {"organization": world.orgs["P"]}})
    assert twofactor.is_required(boss)
    client = Client()
    log_in(client, "boss")
    assert client.get("/admin/")["Location"].startswith(SETUP)
    # an agent may, but need not
    agent = Client()
    log_in(agent, "agent")
    assert is_logged_in(agent)
    assert not twofactor.is_required(world.agent)


def test_an_administrator_with_an_unverified_session_must_enter_a_code(world, required, clock):
    device, _codes = enroll(world.admin)
    client = Client()
    client.force_login(world.admin)  # a session that never passed the code step
    response = client.get(PAGE)
    assert response["Location"].startswith(VERIFY)
    assert client.get("/api/me/").status_code == 403
    response = client.post(f"{VERIFY}?next=/admin/", {"code": code_for(device),
                                                       "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_site_logs_in_through_the_login_form_with_its_code_step(world, clock):
    device, _codes = enroll(world.admin)
    client = Client()
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == f"{LOGIN}?next=/admin/"
    response = client.post("/admin/login/?next=/admin/", {
        "username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert response["Location"].startswith(LOGIN)
    assert not is_logged_in(client)
    response = client.post(LOGIN, {"username": "admin", "password": PASSWORD,
                                   "next": "/admin/"})
    assert response["Location"] == VERIFY
    assert enter_code(client, code_for(device))["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_administrator_logs_in_with_password_and_code(world, required, clock):
    device, _codes = enroll(world.admin)
    client = Client()
    assert log_in(client, "admin")["Location"] == VERIFY
    assert enter_code(client, code_for(device)).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/me/").status_code == 200


def test_administrators_cannot_turn_off_their_required_two_factor(world, required, clock):
    device, _codes = enroll(world.admin)
    client = Client()
    log_in(client, "admin")
    enter_code(client, code_for(device))
    clock.shift(30)
    response = client.post(DISABLE, {"disable-code": code_for(device)}, follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert twofactor.has_device(world.admin)
    assert "two-factor-mandatory" in client.get(SECURITY).content.decode()


def test_turning_two_factor_off_needs_a_current_code(world, clock):
    device, _codes = enroll(world.agent)
    client = Client()
    log_in(client, "agent")
    enter_code(client, code_for(device))
    clock.shift(30)
    wrong = "111111" if code_for(device) != "111111" else "222222"
    response = client.post(DISABLE, {"disable-code": wrong})
    assert response.status_code == 200 and "wrong" in form_errors(response)
    assert twofactor.has_device(world.agent)
    clock.shift(5)
    response = client.post(DISABLE, {"disable-code": code_for(device)})
    assert response.status_code == 302
    assert not twofactor.has_device(world.agent)
    assert not StaticToken.objects.filter(device__user=world.agent).exists()
    assert {"two_factor": ["on", "off"]} in audit_changes(world.agent)
    # the next login is back to the password alone
    fresh = Client()
    assert log_in(fresh, "agent")["Location"] == "/"


def test_new_backup_codes_replace_the_old_ones(world, clock):
    device, old = enroll(world.agent)
    client = Client()
    log_in(client, "agent")
    enter_code(client, code_for(device))
    clock.shift(30)
    response = client.post("/accounts/two-factor/backup-codes/",
                           {"codes-code": code_for(device)})
    assert response.status_code == 200
    new = re.findall(r"<li class=\"col-6\">([a-z2-7]{8})</li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert twofactor.verify_code(world.agent, old[1]) is None
    clock.shift(2)
    assert twofactor.verify_code(world.agent, new[1]) is not None


# --- Token endpoint ------------------------------------------------------------------------


def token(username: str, password: str = PASSWORD, ip: str = "10.0.0.1", **extra):
    return Client().post("/api/token/", {"username": username, "password": password, **extra},
                         REMOTE_ADDR=ip)


def test_token_endpoint_asks_for_the_code(world, clock):
    device, _codes = enroll(world.agent)
    response = token("agent")
    assert response.status_code == 400
    assert "otp_token" in response.json()
    wrong = "111111" if code_for(device) != "111111" else "222222"
    response = token("agent", otp_token=wrong)
    assert response.status_code == 400
    assert response.json()["otp_token"] == ["The code is wrong or has expired."]
    assert not Token.objects.filter(user=world.agent).exists()
    clock.shift(2)
    response = token("agent", otp_token=code_for(device))
    assert response.status_code == 200, response.content
    assert Client(HTTP_AUTHORIZATION=f"Token {response.json()['token']}").get(
        "/api/me/").status_code == 200
    # and people without an authenticator need no code
    assert token("engineer").status_code == 200


def test_token_endpoint_wrong_codes_lock_the_account(world, clock):
    device, _codes = enroll(world.agent)
    wrong = "111111" if code_for(device) != "111111" else "222222"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        clock.shift(20)
        assert token("agent", otp_token=wrong).status_code == 400
    clock.shift(20)
    response = token("agent", otp_token=wrong)
    assert response.status_code == 429
    assert response["Retry-After"]
    clock.shift(20)
    response = token("agent", otp_token=code_for(device))
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()
    client = Client()
    assert log_in(client, "agent").status_code == 429


def test_token_endpoint_refuses_an_administrator_without_two_factor(world, required):
    response = token("admin")
    assert response.status_code == 403
    assert "set up two-factor authentication in the web UI first" in response.json()["detail"]
    assert not Token.objects.filter(user=world.admin).exists()


# --- An administrator resets another person's two-factor --------------------------------------


@pytest.fixture
def admin_q(world):
    return directory.create_person(actor=None, data={
        "username": "admin_q", "email": "admin_q@example.cn", "password": PASSWORD,
        "roles": [Role.ADMINISTRATOR], "is_staff": True,
        "profile": {"organization": world.orgs["Q"]}})


def test_administrator_resets_a_persons_two_factor_through_the_api(world, admin_q, clock):
    enroll(world.agent)
    url = f"/api/people/{world.agent.pk}/reset-two-factor/"
    assert world.client("agent_q").post(url).status_code == 404  # another provider
    admin_of_q = Client()
    admin_of_q.force_login(admin_q)
    assert admin_of_q.post(url).status_code == 404
    assert world.client("engineer").post(url).status_code == 403  # staff, not admin
    assert twofactor.has_device(world.agent)

    response = world.client("admin").post(url)
    assert response.status_code == 200, response.content
    assert response.json() == {"two_factor_enabled": False}
    assert not twofactor.has_device(world.agent)
    assert not StaticToken.objects.filter(device__user=world.agent).exists()
    entry = AuditEntry.objects.filter(object_type="auth.user",
                                      object_id=str(world.agent.pk)).latest("pk")
    assert entry.changes == {"two_factor": ["on", "reset"]}
    assert entry.actor_id == world.admin.pk
    # the agent logs in with the password alone again
    assert log_in(Client(), "agent")["Location"] == "/"


def test_customers_cannot_reset_two_factor(world):
    enroll(world.requester_a2)
    url = f"/api/people/{world.requester_a2.pk}/reset-two-factor/"
    assert world.client("custadmin_a").post(url).status_code == 403
    assert world.client("requester_b").post(url).status_code == 404
    assert twofactor.has_device(world.requester_a2)


def test_administrator_resets_a_persons_two_factor_in_the_web_ui(world, admin_q, required,
                                                                 clock):
    enroll(world.agent)
    url = f"/accounts/people/{world.agent.pk}/two-factor/"

    def verified_client(user) -> Client:
        device, _codes = enroll(user)
        client = Client()
        client.force_login(user)
        assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302
        return client

    admin = verified_client(world.admin)
    page = admin.get(url)
    assert page.status_code == 200 and 'data-enabled="1"' in page.content.decode()
    # linked from the person's page of the admin site (superusers edit accounts there)
    root = directory.create_person(actor=None, data={
        "username": "root", "email": "root@example.cn", "password": PASSWORD,
        "roles": [Role.ADMINISTRATOR], "is_staff": True, "is_superuser": True,
        "profile": {"organization": world.orgs["P"]}})
    change = verified_client(root).get(f"/admin/auth/user/{world.agent.pk}/change/")
    assert change.status_code == 200 and url in change.content.decode()

    other = verified_client(admin_q)
    assert other.get(url).status_code == 404
    assert other.post(url).status_code == 404
    assert world.client("custadmin_a").get(
        f"/accounts/people/{world.requester_a.pk}/two-factor/").status_code == 403
    assert world.client("custadmin_a").get(url).status_code == 404
    assert twofactor.has_device(world.agent)

    response = admin.post(url, follow=True)
    assert response.status_code == 200
    assert 'data-enabled="0"' in response.content.decode()
    assert not twofactor.has_device(world.agent)
    assert AuditEntry.objects.filter(object_type="auth.user", object_id=str(world.agent.pk),
                                     actor_id=world.admin.pk).exists()


# --- Configuration -------------------------------------------------------------------------


def test_system_check_warns_when_administrators_need_no_two_factor(settings):
    from itsm.core.checks import check_two_factor_roles

    settings.PRODUCTION = True
    settings.ITSM_2FA_REQUIRED_ROLES = []
    assert [m.id for m in check_two_factor_roles(None)] == ["core.W001"]
    settings.ITSM_2FA_REQUIRED_ROLES = ["administrator"]
    assert check_two_factor_roles(None) == []
    settings.ITSM_2FA_REQUIRED_ROLES = ["administrator", "wizard"]
    assert [m.id for m in check_two_factor_roles(None)] == ["core.E001"]


def test_lockout_cool_off_is_announced(world):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "agent", "wrong-password")
    response = log_in(client, "agent")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == int(
        timedelta(hours=settings.AXES_COOLOFF_TIME).total_seconds())
