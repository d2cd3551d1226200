"""Browser sessions through the real login form: fixation, logout, password changes,
and the login lockout (web form and API token endpoint).

Everything goes through ``django.test.Client`` posting to ``/accounts/login/`` (no
``force_login``), and "still logged in" is judged the way a user notices it: a
login-required page answers 200, or redirects to the login form.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from itsm.conftest import PASSWORD, job_queue_down
from itsm.core import directory
from itsm.core.models import AuditEntry

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


# --- Logout -----------------------------------------------------------------------------------


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


# --- Password set by an administrator ---------------------------------------------------------
# Administrators set passwords through the people API (people change their own on the
# Security page, below). Django drops sessions whose password hash no longer matches.


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


# --- Lockout ----------------------------------------------------------------------------------


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


# --- Changing one's own password (Security page) ----------------------------------------------

CHANGE = "/accounts/password/change/"
RESET = "/accounts/password/reset/"


def change_password(client: Client, old: str = PASSWORD, new: str = NEW_PASSWORD):
    return client.post(CHANGE, {"old_password": old, "new_password1": new,
                                "new_password2": new})


@pytest.mark.django_db(transaction=True)  # real commits: the hooks run as in production
def test_changing_ones_password_while_the_job_queue_is_down_still_works(world):
    """Regression: the account email was queued on commit with a ``functools.partial``;
    with Redis down Django failed logging it (no ``__qualname__``) and the password
    change answered 500 although it was saved."""
    here = Client()
    assert log_in(here, "agent").status_code == 302
    with job_queue_down():
        response = change_password(here)
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    world.agent.refresh_from_db()
    assert world.agent.check_password(NEW_PASSWORD)


def test_changing_ones_password_keeps_this_session_and_ends_the_others(
        world, mailoutbox, django_capture_on_commit_callbacks):
    here = Client()
    assert log_in(here, "agent").status_code == 302
    elsewhere = Client()
    assert log_in(elsewhere, "agent", ip="10.0.0.2").status_code == 302
    api = Client(HTTP_AUTHORIZATION=f"Token {token('agent').json()['token']}")
    assert api.get("/api/me/").status_code == 200
    bystander = Client()
    assert log_in(bystander, "engineer").status_code == 302
    before = session_key(here)
    assert here.get(CHANGE).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = change_password(here)
    assert response.status_code == 302 and response["Location"] == "/accounts/security/"
    # this browser stays logged in, under a new session key
    assert session_key(here) != before and is_logged_in(here)
    assert not is_logged_in(browser_with(before))
    # every other session and every API token of the person is dead
    assert not is_logged_in(elsewhere)
    assert api.get("/api/me/").status_code == 401
    assert not Token.objects.filter(user=world.agent).exists()
    assert is_logged_in(bystander)
    # the person is told, by email
    [mail] = mailoutbox
    assert mail.to == ["agent@example.cn"]
    assert "password" in mail.subject.lower() or "密码" in mail.subject
    assert "agent" in mail.body and f"{settings.SITE_URL}{RESET}" in mail.body
    entry = AuditEntry.objects.filter(object_type="auth.user",
                                      object_id=str(world.agent.pk)).latest("pk")
    assert entry.changes == {"password": ["***", "***"], "via": [None, "change"]}
    assert entry.actor_id == world.agent.pk and entry.source == "web"
    # the new password is the one that works now
    assert log_in(Client(), "agent").status_code == 200
    assert log_in(Client(), "agent", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("old, new, error", [
    ("wrong-old-password", NEW_PASSWORD, "old_password"),
    (PASSWORD, "short-Pw1", "new_password2"),  # under twelve characters
    (PASSWORD, "123456789012345", "new_password2"),  # only digits
    (PASSWORD, "agent@example.cn-x", "new_password2"),  # too much like the account
])
def test_password_change_refuses_a_wrong_old_or_weak_new_password(world, mailoutbox, old,
                                                                   new, error):
    client = Client()
    log_in(client, "agent")
    response = change_password(client, old, new)
    assert response.status_code == 200
    assert f'id="error_1_id_{error}"' in response.content.decode()
    world.agent.refresh_from_db()
    assert world.agent.check_password(PASSWORD)
    assert is_logged_in(client) and mailoutbox == []


# --- Password reset by email ------------------------------------------------------------------


def reset_link(mail) -> str:
    match = re.search(r"(http\S+/accounts/password/reset/\S+/\S+/)", mail.body)
    assert match, mail.body
    assert match.group(1).startswith(settings.SITE_URL)  # never the request's Host header
    return urlsplit(match.group(1)).path


def test_password_reset_through_the_emailed_link(world, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    old_session = Client()
    assert log_in(old_session, "requester_a").status_code == 302
    api = Client(HTTP_AUTHORIZATION=f"Token {token('requester_a').json()['token']}")
    fail_logins("requester_a", ip="10.0.0.7")  # and someone locked the account out
    assert log_in(Client(), "requester_a").status_code == 429

    assert 'href="/accounts/password/reset/"' in Client().get(LOGIN).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(RESET, {"email": "Requester_A@example.cn"})
    assert response.status_code == 302 and response["Location"] == f"{RESET}sent/"
    [mail] = mailoutbox
    assert mail.to == ["requester_a@example.cn"]
    link = reset_link(mail)

    client = Client()
    response = client.get(link)  # Django swaps the token for a session-bound URL
    assert response.status_code == 302
    form_url = response["Location"]
    assert 'name="new_password1"' in client.get(form_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(form_url, {"new_password1": NEW_PASSWORD,
                                          "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == f"{RESET}done/"

    assert not is_logged_in(old_session)
    assert api.get("/api/me/").status_code == 401
    fresh = Client()  # the lockout is lifted, and the new password works
    assert log_in(fresh, "requester_a", NEW_PASSWORD).status_code == 302
    assert is_logged_in(fresh)
    assert [m.to for m in mailoutbox] == [["requester_a@example.cn"]] * 2  # + the notice
    entry = AuditEntry.objects.filter(object_type="auth.user",
                                      object_id=str(world.requester_a.pk)).latest("pk")
    assert entry.changes == {"password": ["***", "***"], "via": [None, "reset"]}
    # the link works once
    again = Client()
    response = again.get(link, follow=True)
    assert 'id="invalid-link"' in response.content.decode()


def test_password_reset_answers_the_same_for_an_unknown_address(
        world, mailoutbox, django_capture_on_commit_callbacks):
    directory.update_person(world.requester_a2, actor=None, data={"is_active": False})
    answers = []
    for email in ("agent@example.cn", "nobody@example.cn", "requester_a2@example.cn"):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(RESET, {"email": email}, follow=True)
        answers.append((response.status_code, response.redirect_chain,
                        re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode())))  # CSRF
    assert answers[0] == answers[1] == answers[2]
    # only the active account with that address gets a mail; inactive people get nothing
    assert [m.to for m in mailoutbox] == [["agent@example.cn"]]


# --- Rate limits (429 with Retry-After) -------------------------------------------------------


@pytest.fixture
def rates(settings):
    def set_rates(**scopes: str) -> None:
        rest = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {**rest, "DEFAULT_THROTTLE_RATES": {
            **rest["DEFAULT_THROTTLE_RATES"], **scopes}}
    return set_rates


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.status_code
    assert 0 < int(response["Retry-After"]) <= 3600
    if response["Content-Type"].startswith("application/json"):
        assert response["Retry-After"] in response.json()["detail"]  # "…in N seconds"
    else:
        assert 'id="throttled"' in response.content.decode()


def test_login_is_rate_limited_per_address(world, rates):
    rates(login="3/min")
    for name in ("nobody1", "nobody2", "nobody3"):
        assert log_in(Client(), name, "x", ip="10.0.0.5").status_code == 200
    assert_throttled(log_in(Client(), "agent", ip="10.0.0.5"))
    # a forged X-Forwarded-For does not make a new address
    assert_throttled(Client().post(LOGIN, {"username": "agent", "password": PASSWORD},
                                   REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4"))
    assert log_in(Client(), "agent", ip="10.0.0.6").status_code == 302  # another address


def test_login_is_rate_limited_per_username_from_any_address(world, rates):
    rates(login_username="3/min")
    for i in range(3):
        assert log_in(Client(), "agent", ip=f"10.0.1.{i}").status_code == 302
    assert_throttled(log_in(Client(), "AGENT", ip="10.0.1.99"))
    assert log_in(Client(), "engineer", ip="10.0.1.99").status_code == 302


def test_password_reset_is_rate_limited_per_address_and_per_email(world, rates, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    rates(password_reset="3/hour", password_reset_email="2/hour")
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(2):
            assert Client().post(RESET, {"email": "agent@example.cn"},
                                 REMOTE_ADDR=f"10.0.2.{i}").status_code == 302
        assert_throttled(Client().post(RESET, {"email": "Agent@Example.cn"},
                                       REMOTE_ADDR="10.0.2.50"))
    assert len(mailoutbox) == 2  # the third one sent nothing
    for email in ("x@example.cn", "y@example.cn"):  # the third and fourth from 10.0.2.0
        assert Client().post(RESET, {"email": email}, REMOTE_ADDR="10.0.2.0").status_code == 302
    assert_throttled(Client().post(RESET, {"email": "z@example.cn"}, REMOTE_ADDR="10.0.2.0"))


def test_token_endpoint_is_rate_limited(world, rates):
    rates(login="2/min")
    assert token("agent").status_code == 200
    assert token("nobody", "x").status_code == 400
    response = token("agent")
    assert_throttled(response)
    assert "token" not in response.json()
    assert token("agent", ip="10.0.0.2").status_code == 200
