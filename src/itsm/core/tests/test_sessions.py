"""Browser sessions through the real login form: fixation, logout, password changes,
and the login lockout (web form and API token endpoint).

Everything goes through ``django.test.Client`` posting to ``/accounts/login/`` (no
``force_login``), and "still logged in" is judged the way a user notices it: a
login-required page answers 200, or redirects to the login form.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from itsm.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
PAGE = "/requests/"  # any login-required page
NEW_PASSWORD = "Tq7#vZp2!kWm-rotated"
COOKIE = settings.SESSION_COOKIE_NAME


def log_in(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def session_key(client: Client) -> str | None:
    morsel = client.cookies.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def browser_with(key: str) -> Client:
    """A fresh browser that presents ``key`` as its session cookie (a stolen cookie)."""
    client = Client()
    client.cookies[COOKIE] = key
    return client


def is_logged_in(client: Client) -> bool:
    response = client.get(PAGE)
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(LOGIN), response["Location"]
    return False


# --- Session fixation -------------------------------------------------------------------------


def test_login_issues_a_new_session_key(world):
    client = Client()
    # the attacker plants (or reads) an anonymous session before the victim logs in
    planted = client.session
    planted["planted"] = "by the attacker"
    planted.save()
    before = planted.session_key
    assert session_key(client) == before
    assert not is_logged_in(client)

    response = log_in(client, "agent")
    assert response.status_code == 302
    after = session_key(client)
    assert after and after != before
    assert is_logged_in(client)
    # the planted key is gone: presenting it does not reach the victim's session
    assert not Session.objects.filter(session_key=before).exists()
    attacker = browser_with(before)
    assert not is_logged_in(attacker)
    assert attacker.get("/api/me/").status_code in (401, 403)


def test_logging_in_after_a_logout_gets_a_fresh_key(world):
    client = Client()
    assert log_in(client, "requester_a").status_code == 302
    first = session_key(client)
    assert client.post(LOGOUT).status_code == 302
    assert log_in(client, "agent").status_code == 302
    second = session_key(client)
    assert second and second != first
    assert not is_logged_in(browser_with(first))
    assert client.get("/api/me/").json()["username"] == "agent"


def test_login_form_does_not_switch_a_logged_in_browser(world):
    """The form redirects a logged-in browser; posting it does not change the account
    (nor the session) behind the person's back."""
    client = Client()
    assert log_in(client, "requester_a").status_code == 302
    first = session_key(client)
    assert log_in(client, "agent").status_code == 302
    assert session_key(client) == first
    assert client.get("/api/me/").json()["username"] == "requester_a"


# --- Logout -------------------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(world):
    client = Client()
    assert log_in(client, "agent").status_code == 302
    key = session_key(client)
    assert is_logged_in(browser_with(key))  # the cookie alone is enough while logged in

    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert not is_logged_in(client)
    # a copy of the old cookie (another tab, a stolen cookie) is dead too
    stolen = browser_with(key)
    response = stolen.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PAGE}"
    assert stolen.get("/api/me/").status_code in (401, 403)
    assert not Session.objects.filter(session_key=key).exists()


def test_logout_needs_a_post(world):
    client = Client()
    log_in(client, "agent")
    assert client.get(LOGOUT).status_code == 405
    assert is_logged_in(client)


# --- Password change ----------------------------------------------------------------------------
# There is no self-service password change view; administrators set passwords through
# the people API. Django drops sessions whose password hash no longer matches.


def test_password_set_by_an_administrator_ends_the_persons_sessions(world):
    victim = Client()
    assert log_in(victim, "requester_a").status_code == 302
    other_browser = Client()
    assert log_in(other_browser, "requester_a", ip="10.0.0.2").status_code == 302
    assert is_logged_in(victim) and is_logged_in(other_browser)

    admin = Client()
    assert log_in(admin, "admin").status_code == 302
    response = admin.patch(f"/api/people/{world.requester_a.pk}/",
                           {"password": NEW_PASSWORD}, content_type="application/json")
    assert response.status_code == 200, response.content

    assert not is_logged_in(victim)
    assert not is_logged_in(other_browser)
    assert victim.get("/api/me/").status_code in (401, 403)
    # the administrator changed someone else's password and stays logged in
    assert is_logged_in(admin)
    # the old password no longer works, the new one does
    assert log_in(Client(), "requester_a").status_code == 200
    fresh = Client()
    assert log_in(fresh, "requester_a", NEW_PASSWORD).status_code == 302
    assert is_logged_in(fresh)


def test_password_change_leaves_other_peoples_sessions_alone(world):
    bystander = Client()
    assert log_in(bystander, "requester_a2").status_code == 302
    response = world.client("admin").patch(
        f"/api/people/{world.requester_a.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    assert is_logged_in(bystander)


def test_password_change_revokes_api_tokens(world):
    """A new password is how an administrator shuts out someone who learned the old
    one; a token obtained with the old password must stop working as well."""
    response = Client().post("/api/token/", {"username": "requester_a", "password": PASSWORD},
                             REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/me/").status_code == 200

    response = world.client("admin").patch(
        f"/api/people/{world.requester_a.pk}/", {"password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    assert api.get("/api/me/").status_code == 401
    assert not Token.objects.filter(key=token).exists()


def test_deactivating_a_person_ends_their_sessions(world):
    victim = Client()
    assert log_in(victim, "requester_a").status_code == 302
    response = world.client("admin").delete(f"/api/people/{world.requester_a.pk}/")
    assert response.status_code == 204, response.content
    assert not is_logged_in(victim)


# --- Lockout ------------------------------------------------------------------------------------


def fail_logins(username: str, ip: str, times: int | None = None) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT if times is None else times):
        log_in(client, username, "wrong-password", ip)


def token(username: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return Client().post("/api/token/", {"username": username, "password": password},
                         REMOTE_ADDR=ip)


def test_lockout_configuration_is_sane():
    assert settings.AXES_ENABLED is not False
    assert 3 <= settings.AXES_FAILURE_LIMIT <= 10
    assert settings.AXES_COOLOFF_TIME > 0


def test_lockout_holds_against_another_address(world):
    fail_logins("agent", ip="10.0.0.1")
    client = Client()
    response = log_in(client, "agent", ip="10.0.0.99")
    assert response.status_code == 429
    assert not is_logged_in(client)


def test_lockout_refuses_the_right_password_and_ends_after_the_cool_off(world):
    fail_logins("agent", ip="10.0.0.1")
    client = Client()
    assert log_in(client, "agent").status_code == 429
    assert not is_logged_in(client)
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    with time_machine.travel(timezone.now() + cool_off + timedelta(minutes=1), tick=False):
        client = Client()
        assert log_in(client, "agent").status_code == 302
        assert is_logged_in(client)


def test_lockout_does_not_end_before_the_cool_off(world):
    fail_logins("agent", ip="10.0.0.1")
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    with time_machine.travel(timezone.now() + cool_off - timedelta(minutes=2), tick=False):
        client = Client()
        assert log_in(client, "agent").status_code == 429
        assert not is_logged_in(client)


def test_token_endpoint_is_refused_while_the_web_login_is_locked(world):
    fail_logins("agent", ip="10.0.0.1")
    response = token("agent")
    assert response.status_code in (400, 403, 429), response.content
    assert "token" not in response.json()
    assert not Token.objects.filter(user=world.agent).exists()


def test_failed_token_requests_lock_the_account(world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert token("agent", "wrong-password").status_code == 400
    response = token("agent")
    assert response.status_code in (400, 403, 429), response.content
    assert "token" not in response.json()
    # and the web form too: guessing through the API is the same guessing
    client = Client()
    assert log_in(client, "agent").status_code == 429
    assert not is_logged_in(client)


def test_token_endpoint_works_again_after_the_cool_off(world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token("agent", "wrong-password")
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    with time_machine.travel(timezone.now() + cool_off + timedelta(minutes=1), tick=False):
        response = token("agent")
        assert response.status_code == 200, response.content
        assert response.json()["token"]
