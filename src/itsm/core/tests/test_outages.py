"""Outages of the database and of Redis, as users see them (issue 6).

- The database down or restarting: the API answers 503 ``{"detail": …}`` and the web a
  plain 503 page, both with ``Retry-After``, never a 500 and never the driver's message.
  Here every query fails the way it does while PostgreSQL is stopped (a real
  ``OperationalError`` raised where Django executes SQL); ``test_faults.py`` stops a
  real server under load.
- Redis down: the cache misses instead of failing the request (a real Redis client
  connecting to a closed port), so business calendars and tickets keep working.
"""

# covers: GEN-6

from __future__ import annotations

import datetime as dt
import socket
import uuid
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import RequestFactory, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from itsm.catalog import admin_services
from itsm.core.cache import ResilientRedisCache
from itsm.core.models import BusinessCalendar
from itsm.core.views import server_error

DRIVER_MESSAGE = ('connection failed: connection to server at "127.0.0.1", port 5432 failed: '
                  "Connection refused")
UNAVAILABLE = "The service is temporarily unavailable. Please try again in a moment."
INTERNALS = ("Traceback", "OperationalError", "psycopg", "5432", "SELECT", ".py")


@contextmanager
def database_down():
    """Every SQL statement fails as it does while PostgreSQL is stopped."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError(DRIVER_MESSAGE)

    with connection.execute_wrapper(refuse):
        yield


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def redis_cache(port: int, **extra) -> dict:
    return {"default": {"BACKEND": "itsm.core.cache.ResilientRedisCache",
                        "LOCATION": f"redis://127.0.0.1:{port}/0",
                        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
                        **extra}}


# --- The database down ----------------------------------------------------------------------


def test_api_answers_503_with_retry_after_and_no_internals(world):
    client = world.client(None)
    token = Token.objects.create(user=world.requester_a)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_ACCEPT_LANGUAGE="en")
    with database_down():
        response = client.post("/api/service-requests/", {"title": "打印机卡纸"},
                               format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": UNAVAILABLE, "code": "unavailable"}
    assert not any(word in response.content.decode() for word in INTERNALS)
    # Back up: the same request works (nothing was left half done).
    response = client.post("/api/service-requests/", {"title": "打印机卡纸"}, format="json")
    assert response.status_code == 201, response.content


def test_web_page_answers_a_503_page_when_the_session_cannot_be_read(world):
    client = world.client("agent")  # a session in the database: the middleware reads it
    client.raise_request_exception = False
    with database_down():
        response = client.get(reverse("servicedesk:request-list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/html") and "<h1>" in body
    assert not any(word in body for word in INTERNALS)
    assert client.get(reverse("servicedesk:request-list")).status_code == 200


def test_api_route_failing_outside_the_api_view_still_answers_json(world):
    client = world.client("agent")  # session auth: the session is read before the view
    client.raise_request_exception = False
    with database_down():
        response = client.get("/api/service-requests/")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert response["Retry-After"] == "5"


def test_any_other_server_error_stays_the_plain_500_page(rf: RequestFactory):
    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        response = server_error(rf.get("/requests/"))
    assert response.status_code == 500
    assert "Retry-After" not in response


# --- Redis down -------------------------------------------------------------------------------


def test_cache_with_redis_down_misses_instead_of_failing():
    backend = ResilientRedisCache(f"redis://127.0.0.1:{closed_port()}/0",
                                  {"OPTIONS": {"socket_connect_timeout": 1}})
    assert backend.get("k", "fallback") == "fallback"
    backend.set("k", 1)  # dropped, no error
    assert backend.add("k", 1) is False
    assert backend.get_many(["k"]) == {}
    assert backend.has_key("k") is False
    assert backend.delete("k") is False
    assert backend.get("k", default="kw") == "kw"
    assert backend.set_many({"a": 1, "b": 2}) == ["a", "b"]  # none written
    assert backend.touch("k") is False
    backend.delete_many(["a", "b"])  # dropped, no error


def test_cache_with_redis_up_stores_and_reads():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    backend = ResilientRedisCache("redis://127.0.0.1:6379/0",
                                  {"KEY_PREFIX": f"itsm-test-{uuid.uuid4().hex}"})
    backend.set("k", {"a": 1}, 30)
    try:
        assert backend.get("k") == {"a": 1}
        assert backend.add("k", 2) is False
    finally:
        backend.delete("k")
    assert backend.get("k") is None


def test_calendars_and_tickets_work_while_redis_is_down(world):
    with override_settings(CACHES=redis_cache(closed_port())):
        calendar = admin_services.create_calendar(
            actor=None, data={"name": "华东 日历", "organization": world.orgs["P"]},
            windows=[{"weekday": d, "start": dt.time(9), "end": dt.time(18)}
                     for d in range(5)])
        hours = BusinessCalendar.objects.get(pk=calendar.pk).business_hours()
        assert hours.windows_on(dt.date(2030, 3, 4)) == ((dt.time(9), dt.time(18)),)
        response = world.client("requester_a").post("/api/service-requests/", {
            "title": "缓存服务宕机时提单"}, format="json")
        assert response.status_code == 201, response.content
        assert cache.get("anything", "miss") == "miss"
