"""Login security: lockout, password policy, idle sessions, CSRF, production settings."""

from __future__ import annotations

import html
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from itsm.conftest import PASSWORD
from itsm.core.middleware import SessionIdleTimeoutMiddleware

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LIST = "/requests/"
SRC_DIR = Path(__file__).resolve().parents[3]


def page(response) -> str:
    return html.unescape(response.content.decode())


def login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def lock_out(username: str = "agent", ip: str = "10.0.0.1") -> Client:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, username, "wrong-password", ip)
    assert response.status_code == 429
    return client


def is_locked_out_page(response) -> bool:
    return response.status_code == 429 and 'id="locked-out"' in page(response)


# --- Lockout (django-axes) -----------------------------------------------------------------


def test_failures_below_the_limit_do_not_lock(world):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "agent", "wrong-password")
        assert response.status_code == 200
        assert 'id="locked-out"' not in page(response)
    response = login(client, "agent", PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_lockout_after_the_failure_limit_refuses_the_right_password(world):
    client = lock_out("agent")
    response = login(client, "agent", PASSWORD)
    assert is_locked_out_page(response)
    assert "_auth_user_id" not in client.session
    text = page(response)
    assert '<html lang="zh-hans">' in text
    with translation.override("zh-hans"):
        message = gettext("Too many failed login attempts. The account is locked for a while; "
                          "try again later or ask an administrator.")
    assert message in text
    # a fresh browser from the same address is locked out too
    assert is_locked_out_page(login(Client(), "agent", PASSWORD))


def test_lockout_is_per_username_whatever_the_address(world):
    lock_out("agent", ip="10.0.0.1")
    # the same person from another address is locked out; another person is not
    assert is_locked_out_page(login(Client(), "agent", PASSWORD, ip="10.0.0.2"))
    assert login(Client(), "engineer", PASSWORD, ip="10.0.0.1").status_code == 302
    assert is_locked_out_page(login(Client(), "agent", PASSWORD, ip="10.0.0.1"))


def test_forwarded_for_header_does_not_escape_the_lockout(world):
    lock_out("agent", ip="10.0.0.1")
    response = Client().post(LOGIN, {"username": "agent", "password": PASSWORD},
                             REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert is_locked_out_page(response)


def test_lockout_ends_after_the_cool_off(world):
    lock_out("agent")
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    almost = timezone.now() + cool_off - timedelta(minutes=1)
    with mock.patch("axes.handlers.proxy.now", return_value=almost):
        assert is_locked_out_page(login(Client(), "agent", PASSWORD))
    # an attempt during the lockout starts the cool-off again
    later = almost + cool_off + timedelta(minutes=1)
    with mock.patch("axes.handlers.proxy.now", return_value=later):
        client = Client()
        response = login(client, "agent", PASSWORD)
        assert response.status_code == 302
        assert "_auth_user_id" in client.session


def test_successful_login_resets_the_failure_count(world):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "agent", "wrong-password")
    assert login(client, "agent", PASSWORD).status_code == 302
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "agent", "wrong-password").status_code == 200
    assert login(client, "agent", PASSWORD).status_code == 302


# --- Password policy ---------------------------------------------------------------------------


ELEVEN = "Tq7#vZp2!kW"
TWELVE = "Tq7#vZp2!kWm"


def test_password_policy_needs_twelve_characters():
    assert len(ELEVEN) == 11 and len(TWELVE) == 12
    with pytest.raises(ValidationError) as excinfo:
        validate_password(ELEVEN)
    assert [e.code for e in excinfo.value.error_list] == ["password_too_short"]
    validate_password(TWELVE)


def test_password_policy_refuses_common_and_numeric_passwords():
    for weak in ("password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)


def _person(username: str, password: str, world) -> dict:
    return {"username": username, "first_name": "新", "last_name": "同事",
            "email": f"{username}@example.cn", "organization": world.orgs["A"].pk,
            "roles": ["requester"], "password": password}


def test_people_api_refuses_a_short_password(world):
    client = world.client("admin")
    response = client.post("/api/people/", _person("newbie", ELEVEN, world), format="json")
    assert response.status_code == 400
    body = response.json()
    assert "password" in str(body)
    with translation.override("zh-hans"):
        expected = gettext(
            "This password is too short. It must contain at least %(min_length)d characters."
        ) % {"min_length": 12}
    assert expected in str(body) or "12" in str(body)
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="newbie").exists()


def test_people_api_accepts_a_twelve_character_password(world):
    client = world.client("admin")
    response = client.post("/api/people/", _person("newbie", TWELVE, world), format="json")
    assert response.status_code == 201, response.content
    assert "password" not in response.json()
    assert login(Client(), "newbie", TWELVE).status_code == 302


# --- Idle sessions -----------------------------------------------------------------------------


def _age_session(client: Client, seconds: int) -> None:
    session = client.session
    session[SessionIdleTimeoutMiddleware.KEY] = int(time.time()) - seconds
    session.save()


def test_idle_session_is_logged_out(world):
    client = Client()
    assert login(client, "agent", PASSWORD).status_code == 302
    assert client.get(LIST).status_code == 200
    assert SessionIdleTimeoutMiddleware.KEY in client.session
    _age_session(client, settings.SESSION_IDLE_SECONDS + 5)
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={LIST}"
    assert "_auth_user_id" not in client.session
    assert client.get(LIST).status_code == 302  # and it stays logged out


def test_active_session_stays_logged_in(world):
    client = Client()
    login(client, "agent", PASSWORD)
    _age_session(client, settings.SESSION_IDLE_SECONDS - 60)
    assert client.get(LIST).status_code == 200
    # the request refreshed the last-seen time
    assert time.time() - client.session[SessionIdleTimeoutMiddleware.KEY] < 5


def test_idle_session_is_refused_by_the_api(world):
    client = world.client("agent")
    assert client.get("/api/me/").status_code == 200
    session = client.session
    session[SessionIdleTimeoutMiddleware.KEY] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    assert client.get("/api/me/").status_code in (401, 403)


# --- CSRF ---------------------------------------------------------------------------------------


def test_login_post_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    response = client.post(LOGIN, {"username": "agent", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    # our own page, in the user's language, with a way back
    text = page(response)
    assert 'id="csrf-failure"' in text and '<html lang="zh-hans">' in text


def test_login_post_with_csrf_token_works(world):
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(LOGIN, {"username": "agent", "password": PASSWORD,
                                   "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_record_actions_without_csrf_token_are_refused(world):
    record = world.request("requester_a")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.agent)
    for url, data in [
        (f"/requests/{record.pk}/transition/assign/",
         {"t-assign-assignee_team": world.teams["desk"].pk}),
        (f"/requests/{record.pk}/comment/", {"body": "没有令牌"}),
        ("/requests/new/", {"organization": world.orgs["A"].pk,
                            "requester": world.requester_a.pk, "title": "x",
                            "channel": "portal", "priority": "3"}),
        ("/settings/language/", {"language": "en"}),
        ("/accounts/logout/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    record.refresh_from_db()
    assert record.status == "new" and record.comments.count() == 0
    world.agent.profile.refresh_from_db()
    assert world.agent.profile.language == "zh-hans"
    assert client.get(LIST).status_code == 200  # not logged out


def test_api_session_write_without_csrf_token_is_refused(world):
    record = world.request("requester_a")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.agent)
    url = f"/api/service-requests/{record.pk}/comments/"
    response = client.post(url, {"body": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert record.comments.count() == 0
    assert client.get(url).status_code == 200  # reading needs no token


def test_security_headers(world):
    response = Client().get(LOGIN)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["samesite"] == "Lax"
    client = Client()
    login(client, "agent", PASSWORD)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


# --- Production mode --------------------------------------------------------------------------


def _itsm(args: list[str], **env: str) -> subprocess.CompletedProcess:
    # conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment must not.
    skip = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if not k.startswith("ITSM_") and k not in skip}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC_DIR), base.get("PYTHONPATH")]))
    base["DJANGO_SETTINGS_MODULE"] = "itsm.settings"
    return subprocess.run([sys.executable, "-m", "itsm", *args], env={**base, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = _itsm(["check", "--deploy", "--fail-level", "WARNING"],
                   ITSM_PRODUCTION="1", ITSM_SECRET_KEY=secrets.token_urlsafe(64),
                   ITSM_ALLOWED_HOSTS="itsm.example.cn", ITSM_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_with_a_weak_secret_key(tmp_path):
    result = _itsm(["check", "--deploy", "--fail-level", "WARNING"],
                   ITSM_PRODUCTION="1", ITSM_SECRET_KEY="short",
                   ITSM_ALLOWED_HOSTS="itsm.example.cn", ITSM_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_a_secret_key(tmp_path):
    result = _itsm(["check"], ITSM_PRODUCTION="1", ITSM_ALLOWED_HOSTS="itsm.example.cn",
                   ITSM_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "ITSM_SECRET_KEY must be set in production mode" in result.stderr
    assert not (tmp_path / "secret_key").exists()  # no key was generated behind our back


def test_development_mode_generates_a_private_secret_key(tmp_path):
    result = _itsm(["check"], ITSM_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    assert len(key_file.read_text().strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
