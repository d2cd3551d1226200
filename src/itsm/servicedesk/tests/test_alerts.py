"""Monitoring alerts → incidents (INC-6): Prometheus Alertmanager, Zabbix and generic
webhooks, deduplication by fingerprint, recovery, priority mapping, token auth, and
payload validation (400 with field messages, never a 500, nothing written)."""

# covers: INC-6 (monitoring events create or update incidents), GEN-API (webhooks)

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from itsm.core import directory
from itsm.core.choices import Role
from itsm.core.models import AuditEntry, Comment
from itsm.servicedesk import alerts
from itsm.servicedesk.models import AlertEvent, Incident

PROMETHEUS = reverse("api:alerts-prometheus")
ZABBIX = reverse("api:alerts-zabbix")
GENERIC = reverse("api:alerts-generic")


@pytest.fixture
def monitor(world):
    """The service account of the monitoring system: an agent of provider P."""
    return directory.create_person(actor=None, data={
        "username": "prometheus", "first_name": "Prometheus", "last_name": "",
        "email": "prometheus@example.cn", "password": "x-unused-password-123",
        "roles": [Role.AGENT], "profile": {"organization": world.orgs["P"]}})


def token_client(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(monitor) -> APIClient:
    return token_client(monitor)


def prom_alert(status="firing", fingerprint="a1b2c3d4e5f60718", **labels) -> dict:
    labels = {"alertname": "HostDown", "instance": "db01:9100", "severity": "critical",
              **labels}
    return {
        "status": status, "labels": labels,
        "annotations": {"summary": "db01 is unreachable", "description": "No scrape for 5m",
                        "runbook_url": "https://wiki.example.cn/hostdown"},
        "startsAt": "2026-05-01T02:00:00.123456789Z",
        "endsAt": ("2026-05-01T02:30:00Z" if status == "resolved"
                   else "0001-01-01T00:00:00Z"),
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def prom(*alerts_, status="firing") -> dict:
    return {"version": "4", "groupKey": "{}:{alertname=\"HostDown\"}", "truncatedAlerts": 0,
            "status": status, "receiver": "itsm", "groupLabels": {"alertname": "HostDown"},
            "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am:9093",
            "alerts": list(alerts_)}


def incidents(fingerprint: str):
    return Incident.objects.filter(alert_fingerprint=fingerprint)


# --- Prometheus --------------------------------------------------------------------------


def test_prometheus_firing_creates_one_incident(world, api, monitor):
    response = api.post(PROMETHEUS, prom(prom_alert()), format="json")
    assert response.status_code == 200, response.json()
    result = response.json()["results"][0]
    assert result["action"] == "created"
    incident = Incident.objects.get(pk=result["incident_id"])
    assert result["incident"] == incident.number
    assert incident.alert_fingerprint == "prometheus:a1b2c3d4e5f60718"
    assert incident.title == "HostDown: db01 is unreachable"
    assert "No scrape for 5m" in incident.description
    assert "instance=db01:9100" in incident.description
    assert incident.channel == "monitoring"
    assert incident.priority == 1
    assert incident.affected_system == "db01:9100"
    assert incident.status == "new"
    assert incident.organization == world.orgs["P"]  # no organization label
    assert incident.requester == monitor and incident.created_by == monitor
    # Through the service layer: numbered, audited (as an API write), on the timeline.
    assert incident.number.startswith("INC-")
    entry = AuditEntry.objects.get(object_type="servicedesk.incident",
                                   object_id=str(incident.pk), action="create")
    assert entry.source == "api" and entry.actor_id == monitor.pk
    assert incident.timeline.filter(kind="created").exists()
    event = AlertEvent.objects.get()
    assert (event.source, event.status, event.incident_id) == ("prometheus", "firing",
                                                               incident.pk)
    assert event.payload["alert"]["labels"]["alertname"] == "HostDown"
    assert event.payload["action"] == "created"


def test_repeated_posts_and_duplicates_in_one_payload_make_one_incident(world, api):
    body = prom(prom_alert(), prom_alert())  # the same fingerprint twice in one payload
    first = api.post(PROMETHEUS, body, format="json").json()["results"]
    assert [r["action"] for r in first] == ["created", "deduplicated"]
    second = api.post(PROMETHEUS, body, format="json").json()["results"]
    assert [r["action"] for r in second] == ["deduplicated", "deduplicated"]
    assert incidents("prometheus:a1b2c3d4e5f60718").count() == 1
    assert AlertEvent.objects.count() == 4
    assert Comment.objects.count() == 0  # no "still firing" note within the hour


def test_still_firing_is_noted_at_most_once_per_hour(world, api):
    api.post(PROMETHEUS, prom(prom_alert()), format="json")
    incident = incidents("prometheus:a1b2c3d4e5f60718").get()
    AlertEvent.objects.update(received_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    result = api.post(PROMETHEUS, prom(prom_alert()), format="json").json()["results"][0]
    assert result["action"] == "still_firing"
    assert result["incident"] == incident.number
    note = incident.comments.get()
    assert note.internal and "HostDown" in note.body
    again = api.post(PROMETHEUS, prom(prom_alert()), format="json").json()["results"][0]
    assert again["action"] == "deduplicated"
    assert incident.comments.count() == 1


def test_prometheus_resolved_notes_recovery_and_resolves(world, api, monitor):
    api.post(PROMETHEUS, prom(prom_alert()), format="json")
    incident = incidents("prometheus:a1b2c3d4e5f60718").get()
    response = api.post(PROMETHEUS, prom(prom_alert("resolved"), status="resolved"),
                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["results"][0]["action"] == "resolved"
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.assignee == monitor  # "start" needs an assignee: the service account
    assert "2026-05-01 10:30:00" in incident.resolution  # Asia/Shanghai
    note = incident.comments.get()
    assert note.internal and "2026-05-01 10:30:00" in note.body
    transitions = list(incident.timeline.filter(kind="transitioned")
                       .values_list("data__transition", flat=True))
    assert transitions == ["start", "resolve"]
    # A second "resolved" finds no open incident: stored, nothing else happens.
    again = api.post(PROMETHEUS, prom(prom_alert("resolved")), format="json").json()
    assert again["results"][0]["action"] == "ignored"
    assert incident.comments.count() == 1
    # It fires again: a new incident (the old one stays resolved).
    api.post(PROMETHEUS, prom(prom_alert()), format="json")
    assert incidents("prometheus:a1b2c3d4e5f60718").count() == 2


def test_resolved_keeps_the_agents_assignee_and_spares_waiting_incidents(world, api):
    api.post(PROMETHEUS, prom(prom_alert(), prom_alert(fingerprint="ffff000011112222")),
             format="json")
    first = incidents("prometheus:a1b2c3d4e5f60718").get()
    waiting = incidents("prometheus:ffff000011112222").get()
    from itsm.core import services

    services.transition_record(first, "assign", actor=world.agent,
                               values={"assignee": world.engineer})
    services.transition_record(waiting, "start", actor=world.agent,
                               values={"assignee": world.agent})
    services.transition_record(waiting, "ask_customer", actor=world.agent, comment="日志?")
    result = api.post(PROMETHEUS, prom(prom_alert("resolved"),
                                       prom_alert("resolved", fingerprint="ffff000011112222")),
                      format="json").json()["results"]
    assert [r["action"] for r in result] == ["resolved", "annotated"]
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert (first.status, first.assignee) == ("resolved", world.engineer)
    assert waiting.status == "waiting_customer"
    note = waiting.comments.get(internal=True)
    assert "2026-05-01" in note.body and note.body != ""  # the recovery time, localized


def test_resolved_does_not_resolve_an_incident_not_raised_by_monitoring(world, api):
    from itsm.core import services

    incident = services.create_record(Incident, actor=world.agent, data={
        "organization": world.orgs["P"], "requester": world.agent, "title": "手工报障",
        "channel": "phone", "alert_fingerprint": "generic:manual-1"})
    result = api.post(GENERIC, {"fingerprint": "manual-1", "status": "resolved"},
                      format="json").json()["results"][0]
    assert (result["action"], result["incident"]) == ("annotated", incident.number)
    incident.refresh_from_db()
    assert incident.status == "new"


def test_organization_label_of_a_customer(world, api):
    body = prom(prom_alert(organization="A"),
                prom_alert(fingerprint="0000000000000002", customer="b"),
                prom_alert(fingerprint="0000000000000003", organization="c"),  # Q's customer
                prom_alert(fingerprint="0000000000000004", organization="nope"))
    results = api.post(PROMETHEUS, body, format="json").json()["results"]
    orgs = [Incident.objects.get(pk=r["incident_id"]).organization for r in results]
    assert orgs == [world.orgs["A"], world.orgs["B"], world.orgs["P"], world.orgs["P"]]
    # A customer's incident needs a requester of that customer: its administrator.
    first = Incident.objects.get(pk=results[0]["incident_id"])
    assert first.requester == world.custadmin_a
    # The customer administrator sees it; another provider's agent does not.
    assert world.client("custadmin_a").get(
        reverse("api:incident-detail", args=[first.pk])).status_code == 200
    assert world.client("agent_q").get(
        reverse("api:incident-detail", args=[first.pk])).status_code == 404


@pytest.mark.parametrize(("severity", "priority"), [
    ("critical", 1), ("CRITICAL", 1), ("disaster", 1), ("warning", 2), ("high", 2),
    ("average", 3), ("info", 3), ("information", 3), ("", 4), ("page", 4),
])
def test_severity_to_priority(severity, priority):
    assert alerts.severity_priority(severity) == priority


def test_priority_through_the_webhook(world, api):
    body = prom(*[prom_alert(fingerprint=f"{i:016x}", severity=s)
                  for i, s in enumerate(["critical", "warning", "info", "none"])])
    results = api.post(PROMETHEUS, body, format="json").json()["results"]
    assert [Incident.objects.get(pk=r["incident_id"]).priority for r in results] == [1, 2, 3, 4]


def test_fingerprint_is_computed_from_labels_when_missing(world, api):
    alert = prom_alert()
    del alert["fingerprint"]
    first = api.post(PROMETHEUS, prom(alert), format="json").json()["results"][0]
    second = api.post(PROMETHEUS, prom(alert), format="json").json()["results"][0]
    assert first["fingerprint"] == second["fingerprint"]
    assert first["fingerprint"].startswith("prometheus:")
    assert second["action"] == "deduplicated"


# --- Zabbix and generic ----------------------------------------------------------------------


def zabbix(status="PROBLEM", **extra) -> dict:
    return {"event_id": "4711", "trigger_id": "13573", "status": status,
            "severity": "High", "host": "web01", "name": "Nginx is down on web01",
            "message": "Problem started at 10:00:00 on 2026.05.01", "timestamp":
            "2026.05.01 10:00:00", **extra}


def test_zabbix_problem_and_resolved(world, api, monitor):
    response = api.post(ZABBIX, zabbix(organization="a"), format="json")
    assert response.status_code == 200, response.json()
    result = response.json()["results"][0]
    assert (result["action"], result["fingerprint"]) == ("created", "zabbix:13573@web01")
    incident = Incident.objects.get(pk=result["incident_id"])
    assert (incident.title, incident.priority, incident.organization) == (
        "Nginx is down on web01", 2, world.orgs["A"])
    assert "web01" in incident.description and "13573" in incident.description
    assert incident.affected_system == "web01"
    # The same trigger on the same host again: deduplicated.
    again = api.post(ZABBIX, zabbix(event_id="4712"), format="json").json()["results"][0]
    assert again["action"] == "deduplicated"
    # Same trigger, other host: another incident.
    other = api.post(ZABBIX, zabbix(host="web02"), format="json").json()["results"][0]
    assert other["action"] == "created"
    resolved = api.post(ZABBIX, zabbix("RESOLVED", timestamp="2026.05.01 10:20:00"),
                        format="json").json()["results"][0]
    assert resolved["action"] == "resolved"
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert "2026-05-01 10:20:00" in incident.resolution
    ok = api.post(ZABBIX, zabbix("ok", host="web02"), format="json").json()["results"][0]
    assert ok["action"] == "resolved"


def test_generic_single_and_batch(world, api):
    response = api.post(GENERIC, {"fingerprint": "disk-full-nas1", "status": "firing",
                                  "title": "NAS1 磁盘已满", "description": "98%",
                                  "severity": "warning", "organization": "b"}, format="json")
    assert response.status_code == 200, response.json()
    result = response.json()["results"][0]
    incident = Incident.objects.get(pk=result["incident_id"])
    assert (incident.title, incident.priority, incident.organization, incident.requester) == (
        "NAS1 磁盘已满", 2, world.orgs["B"], world.custadmin_b)
    assert incident.alert_fingerprint == "generic:disk-full-nas1"
    batch = api.post(GENERIC, {"alerts": [
        {"fingerprint": "disk-full-nas1", "status": "resolved",
         "timestamp": "2026-05-01T03:00:00Z"},
        {"fingerprint": "cpu-hot", "status": "firing", "title": "CPU hot", "severity": "info"},
    ]}, format="json")
    assert batch.status_code == 200, batch.json()
    assert [r["action"] for r in batch.json()["results"]] == ["resolved", "created"]
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert "2026-05-01 11:00:00" in incident.resolution


def test_customer_without_administrator_falls_back_to_the_provider(world, api):
    directory.create_object(type(world.orgs["A"]), actor=None, data={
        "code": "d", "name": "Customer D", "kind": "customer", "provider": world.orgs["P"]})
    result = api.post(GENERIC, {"fingerprint": "x", "status": "firing", "title": "X",
                                "organization": "d"}, format="json").json()["results"][0]
    incident = Incident.objects.get(pk=result["incident_id"])
    assert incident.organization == world.orgs["P"]
    assert "Customer D" in incident.description


# --- Authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PROMETHEUS, ZABBIX, GENERIC])
def test_anonymous_is_refused(world, url):
    response = APIClient().post(url, {"fingerprint": "x", "status": "firing"}, format="json")
    assert response.status_code in (401, 403)
    assert response.status_code == 401  # token authentication asks for credentials
    assert not AlertEvent.objects.exists() and not Incident.objects.exists()


@pytest.mark.parametrize("username", ["requester_a", "custadmin_a", "auditor"])
@pytest.mark.parametrize("url", [PROMETHEUS, GENERIC])
def test_customer_and_auditor_tokens_are_forbidden(world, url, username):
    client = token_client(world.users[username])
    body = prom(prom_alert()) if url == PROMETHEUS else {"fingerprint": "x", "status": "firing"}
    response = client.post(url, body, format="json")
    assert response.status_code == 403
    # Even with a broken body: the role is checked first, nothing is disclosed.
    assert client.post(url, {"alerts": "nope"}, format="json").status_code == 403
    assert not AlertEvent.objects.exists() and not Incident.objects.exists()


def test_session_login_is_not_enough(world):
    """The webhooks take tokens only: a browser session of an agent cannot post alerts."""
    response = world.client("agent").post(GENERIC, {"fingerprint": "x", "status": "firing"},
                                          format="json")
    assert response.status_code == 401


def test_an_invalid_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.post(GENERIC, {}, format="json").status_code == 401


# --- Validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "body", "field"), [
    (PROMETHEUS, {"version": "4"}, "alerts"),
    (PROMETHEUS, {"version": "3", "alerts": []}, "version"),
    (PROMETHEUS, {"alerts": "x"}, "alerts"),
    (PROMETHEUS, {"alerts": [{"status": "burning", "labels": {}}]}, "alerts"),
    (PROMETHEUS, {"alerts": [{"status": "firing"}]}, "alerts"),
    (PROMETHEUS, {"alerts": [{"status": "firing", "labels": {"a": {"b": 1}}}]}, "alerts"),
    (PROMETHEUS, {"alerts": [{"status": "firing", "labels": {}, "startsAt": "yesterday"}]},
     "alerts"),
    (PROMETHEUS, [1, 2], "non_field_errors"),
    (ZABBIX, {**zabbix(), "status": "MAYBE"}, "status"),
    (ZABBIX, {k: v for k, v in zabbix().items() if k != "host"}, "host"),
    (ZABBIX, {**zabbix(), "trigger_id": "1/../2"}, "trigger_id"),
    (ZABBIX, {**zabbix(), "timestamp": True}, "timestamp"),
    (GENERIC, {"status": "firing"}, "fingerprint"),
    (GENERIC, {"fingerprint": "x", "status": "on"}, "status"),
    (GENERIC, {"fingerprint": "x" * 151, "status": "firing"}, "fingerprint"),
    (GENERIC, {"alerts": [{"fingerprint": "x"}]}, "alerts"),
    (GENERIC, "just a string", "non_field_errors"),
    # Found by fuzzing: NUL in a stored key or value was a 500 on PostgreSQL.
    (PROMETHEUS, prom({**prom_alert(), "extra": {"a\x00": [1]}}), "non_field_errors"),
    (ZABBIX, {**zabbix(), "note": "x\x00y"}, "non_field_errors"),
    (GENERIC, {"fingerprint": "x", "status": "firing", "tags": ["\x00"]},
     "non_field_errors"),
])
def test_bad_payloads_are_400_with_field_messages(world, api, url, body, field):
    response = api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not AlertEvent.objects.exists() and not Incident.objects.exists()


@pytest.mark.parametrize("url", [PROMETHEUS, ZABBIX, GENERIC])
def test_malformed_json_is_400(world, api, url):
    response = api.post(url, data='{"alerts": [', content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    response = api.post(url, data="a=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_at_most_500_alerts_per_request(world, api):
    too_many = prom(*[prom_alert(fingerprint=f"{i:016x}") for i in range(501)])
    response = api.post(PROMETHEUS, too_many, format="json")
    assert response.status_code == 400
    assert "alerts" in response.json()
    assert not Incident.objects.exists()
    batch = {"alerts": [{"fingerprint": str(i), "status": "firing"} for i in range(501)]}
    assert api.post(GENERIC, batch, format="json").status_code == 400
    empty = api.post(PROMETHEUS, prom(), format="json")
    assert empty.status_code == 200 and empty.json() == {"received": 0, "results": []}


def test_a_failing_alert_rolls_back_the_whole_request(world, api, monkeypatch):
    calls = []

    def boom(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            from django.core.exceptions import ValidationError

            raise ValidationError({"title": "broken"})
        return real(*args, **kwargs)

    real = alerts._create_incident
    monkeypatch.setattr(alerts, "_create_incident", boom)
    body = prom(prom_alert(), prom_alert(fingerprint="0000000000000009"))
    response = api.post(PROMETHEUS, body, format="json")
    assert response.status_code == 400
    assert not Incident.objects.exists() and not AlertEvent.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_open_one_incident(world, monitor):
    """Alertmanager retries and HA pairs deliver the same alert at once: one incident."""

    from itsm.conftest import is_postgres, race

    if not is_postgres():
        pytest.skip("concurrency is proven on PostgreSQL (SQLite serializes all writers)")
    Token.objects.get_or_create(user=monitor)
    race(lambda: token_client(monitor).post(PROMETHEUS, prom(prom_alert()), format="json"), 8)
    assert incidents("prometheus:a1b2c3d4e5f60718").count() == 1
    assert AlertEvent.objects.count() == 8
