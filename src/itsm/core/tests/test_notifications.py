"""Notifications (GEN-6): email, DingTalk, WeCom, Feishu, signed webhooks, all logged.

Robots and webhooks post to a real HTTP server on 127.0.0.1 (a thread of this
process), and every signature is checked here with an independent computation from
the platforms' documented recipes. Email goes through Django's locmem backend and,
once, through a real SMTP server (aiosmtpd). Jobs run in huey's immediate mode: a
job queued on commit runs at once, a job scheduled for later waits in huey's
in-memory schedule until ``run_due`` executes it.
"""

# covers: GEN-6

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from itsm.conftest import SENTINEL_B, is_postgres, job_queue_down, race
from itsm.core import notifications
from itsm.core.choices import ChannelKind, NotificationEvent, NotificationStatus
from itsm.core.models import (
    AuditEntry,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationPreference,
)
from itsm.core.notifications import delivery
from itsm.core.tasks import retry_pending_notifications, send_notification

EV = NotificationEvent

# --- Fixtures and helpers -------------------------------------------------------------------


class Robot:
    """A local HTTP server standing in for DingTalk, WeCom, Feishu and webhook receivers."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.scripts: dict[str, list[tuple[int, Any]]] = {}
        self.lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with robot.lock:
                    robot.requests.append({
                        "path": parts.path, "query": parts.query,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "raw": raw, "json": json.loads(raw.decode("utf-8"))})
                    script = robot.scripts.get(parts.path)
                    status, answer = (script.pop(0) if script else robot.default(parts.path))
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @staticmethod
    def default(path: str) -> tuple[int, Any]:
        if path.startswith("/feishu"):
            return 200, {"code": 0, "msg": "success", "data": {}}
        if path.startswith("/hook"):
            return 204, b""
        return 200, {"errcode": 0, "errmsg": "ok"}

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def answer(self, path: str, *answers: tuple[int, Any]) -> None:
        self.scripts[path] = list(answers)

    def posts(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def robot():
    server = Robot()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture(autouse=True)
def empty_queue():
    HUEY.flush()
    yield
    HUEY.flush()


def run_due(seconds: float = 0) -> int:
    """Run the jobs huey scheduled for the next ``seconds``; how many ran."""
    when = HUEY._get_timestamp() + dt.timedelta(seconds=seconds)
    tasks = HUEY.read_schedule(when)
    for task in tasks:
        HUEY.execute(task, when)
    return len(tasks)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """``notify`` as a caller's committed transaction: the jobs run on commit."""

    def call(event: str = EV.RECORD_ASSIGNED, **kwargs: Any) -> list[Notification]:
        kwargs.setdefault("subject", "工单已指派：打印机卡纸")
        kwargs.setdefault("body", "请尽快处理 **三楼打印机卡纸**。")
        with django_capture_on_commit_callbacks(execute=True):
            return notifications.notify(event, **kwargs)

    return call


def channel(world, kind: str, target: str, *, org: str = "P", **extra: Any
            ) -> NotificationChannel:
    return notifications.create_channel(actor=None, data={
        "organization": world.orgs[org], "name": f"{kind} robot {org}", "kind": kind,
        "target": target, **extra})


def refreshed(notification: Notification) -> Notification:
    return Notification.objects.get(pk=notification.pk)


def b64_hmac(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


# --- Email ------------------------------------------------------------------------------------


def test_email_goes_to_each_person_with_auto_submitted_headers(world, send):
    record = world.request("requester_a")
    sent = send(record=record, recipients=[world.agent, world.requester_a, world.agent],
                subject="工单已指派：打印机卡纸\r\nBcc: attacker@evil.example")
    assert len(sent) == 2  # listed twice, notified once
    assert sorted(m.to[0] for m in mail.outbox) == ["agent@example.cn",
                                                    "requester_a@example.cn"]
    for message in mail.outbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc
        parsed = message.message()
        assert parsed["Auto-Submitted"] == "auto-generated"
        assert parsed["X-Auto-Response-Suppress"] == "All"
        assert parsed["Bcc"] is None
        assert "\n" not in message.subject and "\r" not in message.subject
        assert message.subject.startswith("工单已指派：打印机卡纸")
        assert "三楼打印机卡纸" in message.body
        raw = parsed.as_bytes()
        decoded = email.message_from_bytes(raw, policy=email.policy.default)
        # The injected line is harmless text of the subject, not a header.
        assert decoded["Subject"].strip() == "工单已指派：打印机卡纸 Bcc: attacker@evil.example"
        assert decoded["Bcc"] is None
    for notification in sent:
        notification = refreshed(notification)
        assert notification.status == NotificationStatus.SENT
        assert notification.sent_at is not None and notification.attempts == 1
        assert list(notification.attempt_log.values_list("ok", flat=True)) == [True]
        assert notification.record_id == record.pk
        assert notification.organization_id == record.organization_id


def test_email_off_in_preferences_means_no_mail(world, send):
    response = world.client("requester_a").put(
        reverse("api:me-notification-preferences"),
        [{"event": EV.RECORD_ASSIGNED, "email": False, "im": True}], format="json")
    assert response.status_code == 200
    record = world.request("requester_a")
    send(record=record, recipients=[world.requester_a, world.agent])
    assert [m.to for m in mail.outbox] == [["agent@example.cn"]]
    assert not Notification.objects.filter(recipient="requester_a@example.cn").exists()
    mail.outbox.clear()
    send(EV.RECORD_RESOLVED, record=record, recipients=[world.requester_a])  # still on
    assert [m.to for m in mail.outbox] == [["requester_a@example.cn"]]


def test_people_without_email_or_inactive_are_skipped(world, send):
    world.requester_a.email = ""
    world.requester_a.save()
    world.engineer.is_active = False
    world.engineer.save()
    send(record=world.request("requester_a2"),
         recipients=[world.requester_a, world.engineer, world.requester_a2])
    assert [m.to for m in mail.outbox] == [["requester_a2@example.cn"]]
    # the one without an address finds it in the app (the bell); the inactive one not
    assert sorted(Notification.objects.values_list("recipient", "user__username")) == [
        ("requester_a", "requester_a"), ("requester_a2@example.cn", "requester_a2")]


def test_same_dedupe_key_notifies_once(world, send, robot):
    channel(world, ChannelKind.WECOM, robot.url("/wecom?key=k1"))
    record = world.request("requester_a")
    first = send(EV.SLA_BREACH, record=record, recipients=[world.agent],
                 dedupe_key=f"sla:{record.pk}:resolution")
    second = send(EV.SLA_BREACH, record=record, recipients=[world.agent],
                  dedupe_key=f"sla:{record.pk}:resolution")
    assert len(first) == 2 and second == []
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 1
    assert len(robot.posts("/wecom")) == 1
    # Another person added later still gets their one notification.
    third = send(EV.SLA_BREACH, record=record, recipients=[world.agent, world.lead],
                 dedupe_key=f"sla:{record.pk}:resolution")
    assert [n.recipient for n in third] == ["lead@example.cn"]


def test_a_rolled_back_change_notifies_nobody(world, django_capture_on_commit_callbacks):
    record = world.request("requester_a")
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        notifications.notify(EV.RECORD_ASSIGNED, record=record, recipients=[world.agent],
                             subject="s", body="b")
        raise RuntimeError("the change fails after notify()")
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_unknown_event_is_refused(world):
    with pytest.raises(ValueError, match="unknown"):
        notifications.notify("no_such_event", recipients=[world.agent], subject="x", body="y")


def test_real_smtp_server_receives_the_chinese_subject(world, send):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.envelopes: list[Any] = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                               EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_USE_TLS=False,
                               EMAIL_USE_SSL=False, EMAIL_HOST_USER="",
                               EMAIL_HOST_PASSWORD="", EMAIL_TIMEOUT=5):
            sent = send(record=world.request("requester_a"), recipients=[world.requester_a],
                        subject="您的工单已解决：打印机卡纸", body="感谢您的耐心等待。")
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["requester_a@example.cn"]
    raw = envelope.original_content or envelope.content
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert "您的工单" not in raw.decode("ascii", "replace")  # encoded on the wire
    assert message["Subject"] == "您的工单已解决：打印机卡纸"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body().get_content().strip() == "感谢您的耐心等待。"
    assert refreshed(sent[0]).status == NotificationStatus.SENT


def test_smtp_server_down_is_a_logged_failed_attempt(world, send):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                           EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_TIMEOUT=2):
        sent = send(record=world.request("requester_a"), recipients=[world.agent])
    notification = refreshed(sent[0])
    assert notification.status == NotificationStatus.PENDING  # a retry is scheduled
    assert notification.attempts == 1
    attempt = notification.attempt_log.get()
    assert not attempt.ok and "Connection" in attempt.error
    assert len(HUEY.scheduled()) == 1


# --- IM robots and webhooks ------------------------------------------------------------------


def test_dingtalk_markdown_signed_with_timestamp_and_sign(world, send, robot):
    secret = "SEC0123456789abcdef+/="
    channel(world, ChannelKind.DINGTALK, robot.url("/dingtalk?access_token=tok"),
            secret=secret)
    sent = send(record=world.request("requester_a"), subject="新工单：打印机卡纸")
    [post] = robot.posts("/dingtalk")
    query = urllib.parse.parse_qs(post["query"])
    assert query["access_token"] == ["tok"]
    timestamp = query["timestamp"][0]
    assert abs(int(timestamp) - timezone.now().timestamp() * 1000) < 60_000  # milliseconds
    expected = b64_hmac(secret.encode(), f"{timestamp}\n{secret}".encode())
    assert query["sign"] == [expected]
    raw_sign = post["query"].split("sign=")[1]
    assert urllib.parse.unquote_plus(raw_sign) == expected and "+" not in raw_sign
    assert post["json"]["msgtype"] == "markdown"
    assert post["json"]["markdown"]["title"] == "新工单：打印机卡纸"
    assert "三楼打印机卡纸" in post["json"]["markdown"]["text"]
    notification = refreshed(sent[0])
    assert notification.status == NotificationStatus.SENT
    assert notification.recipient == "dingtalk robot P"  # never the URL with its token
    attempt = notification.attempt_log.get()
    assert attempt.ok and attempt.status_code == 200 and '"errcode": 0' in attempt.response


def test_dingtalk_errcode_is_a_failure_until_attempts_run_out(world, send, robot):
    channel(world, ChannelKind.DINGTALK, robot.url("/dingtalk?access_token=tok"), secret="s")
    robot.answer("/dingtalk", *[(200, {"errcode": 310000, "errmsg": "sign not match"})] * 6)
    [notification] = send(record=world.request("requester_a"))
    assert refreshed(notification).status == NotificationStatus.PENDING
    assert run_due(10) == 0  # the first retry waits 30 s
    for _ in range(delivery.RETRIES):
        assert run_due(3600) == 1
    notification = refreshed(notification)
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == delivery.MAX_ATTEMPTS == 6
    assert "310000" in notification.last_error and "sign not match" in notification.last_error
    attempts = list(notification.attempt_log.all())
    assert len(attempts) == 6 and not any(a.ok for a in attempts)
    assert all(a.status_code == 200 and "310000" in a.error for a in attempts)
    assert HUEY.scheduled() == []  # nothing left to retry
    assert len(robot.posts("/dingtalk")) == 6


def test_wecom_markdown_to_the_keyed_url(world, send, robot):
    channel(world, ChannelKind.WECOM, robot.url("/wecom/send?key=abc-123"))
    sent = send(record=world.request("requester_a"))
    [post] = robot.posts("/wecom/send")
    assert urllib.parse.parse_qs(post["query"]) == {"key": ["abc-123"]}
    assert post["json"]["msgtype"] == "markdown"
    content = post["json"]["markdown"]["content"]
    assert "工单已指派：打印机卡纸" in content and "三楼打印机卡纸" in content
    assert refreshed(sent[0]).status == NotificationStatus.SENT


def test_wecom_long_body_is_cut_to_4096_bytes(world, send, robot):
    channel(world, ChannelKind.WECOM, robot.url("/wecom/send?key=k"))
    send(record=world.request("requester_a"), body="长" * 3000)
    content = robot.posts("/wecom/send")[0]["json"]["markdown"]["content"]
    assert len(content.encode()) <= 4096


def test_wecom_errcode_counts_as_failure(world, send, robot):
    channel(world, ChannelKind.WECOM, robot.url("/wecom/send?key=bad"))
    robot.answer("/wecom/send", (200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    [notification] = send(record=world.request("requester_a"))
    notification = refreshed(notification)
    assert notification.status == NotificationStatus.PENDING
    assert "93000" in notification.last_error
    assert run_due(31) == 1
    assert refreshed(notification).status == NotificationStatus.SENT


def test_feishu_text_signed_in_the_body(world, send, robot):
    secret = "feishu-secret"
    channel(world, ChannelKind.FEISHU, robot.url("/feishu/hook/xyz"), secret=secret)
    sent = send(record=world.request("requester_a"))
    [post] = robot.posts("/feishu/hook/xyz")
    body = post["json"]
    assert body["msg_type"] == "text"
    assert "工单已指派：打印机卡纸" in body["content"]["text"]
    assert isinstance(body["timestamp"], str)
    assert abs(int(body["timestamp"]) - timezone.now().timestamp()) < 60  # seconds
    assert body["sign"] == b64_hmac(f"{body['timestamp']}\n{secret}".encode(), b"")
    assert refreshed(sent[0]).status == NotificationStatus.SENT


def test_feishu_nonzero_code_is_a_failure(world, send, robot):
    channel(world, ChannelKind.FEISHU, robot.url("/feishu/hook/bad"), secret="s")
    robot.answer("/feishu/hook/bad", (200, {"code": 19021, "msg": "sign match fail"}))
    [notification] = send(record=world.request("requester_a"))
    assert "19021" in refreshed(notification).last_error
    assert refreshed(notification).status == NotificationStatus.PENDING


def test_webhook_is_signed_over_timestamp_and_raw_body(world, send, robot):
    secret = "whsec_测试"
    channel(world, ChannelKind.WEBHOOK, robot.url("/hook/itsm"), secret=secret)
    record = world.request("requester_a")
    sent = send(EV.RECORD_CREATED, record=record, context={"priority": 2})
    [post] = robot.posts("/hook/itsm")
    headers = post["headers"]
    assert headers["x-itsm-event"] == "record_created"
    assert headers["x-itsm-delivery"] == str(sent[0].pk)
    timestamp = headers["x-itsm-timestamp"]
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + post["raw"],
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-itsm-signature"], expected)
    wrong = "sha256=" + hmac.new(b"other", f"{timestamp}.".encode() + post["raw"],
                                 hashlib.sha256).hexdigest()
    assert headers["x-itsm-signature"] != wrong
    body = post["json"]
    assert body["event"] == "record_created"
    assert body["subject"] == "工单已指派：打印机卡纸"
    assert body["record"]["number"] == record.number
    assert body["record"]["url"] == settings.SITE_URL + record.get_absolute_url()
    assert dt.datetime.fromisoformat(body["sent_at"])
    assert refreshed(sent[0]).status == NotificationStatus.SENT


def test_webhook_500_twice_then_200_is_three_logged_attempts(world, send, robot):
    channel(world, ChannelKind.WEBHOOK, robot.url("/hook/flaky"), secret="s")
    robot.answer("/hook/flaky", (500, {"error": "boom"}), (502, b"bad gateway"), (200, {}))
    [notification] = send(record=world.request("requester_a"))
    assert refreshed(notification).attempts == 1
    assert run_due(20) == 0  # 30 s before the first retry
    assert run_due(31) == 1
    assert refreshed(notification).attempts == 2
    assert run_due(31) == 0  # the second retry waits 60 s
    assert run_due(61) == 1
    notification = refreshed(notification)
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 3 and notification.last_error == ""
    log = list(notification.attempt_log.values_list("ok", "status_code", "error"))
    assert log == [(False, 500, "HTTP 500"), (False, 502, "HTTP 502"), (True, 200, "")]
    assert "boom" in notification.attempt_log.first().response
    assert len(robot.posts("/hook/flaky")) == 3
    # Exactly once: running the job again sends nothing more.
    assert send_notification.call_local(notification.pk) == "skipped"
    assert len(robot.posts("/hook/flaky")) == 3


def test_webhook_redirect_is_not_followed(world, send, robot):
    channel(world, ChannelKind.WEBHOOK, robot.url("/hook/moved"))
    robot.answer("/hook/moved", (302, b""))
    [notification] = send(record=world.request("requester_a"))
    assert refreshed(notification).attempt_log.get().status_code == 302
    assert len(robot.requests) == 1


def test_channel_rate_limit_defers_the_21st_message(world, send, robot):
    channel(world, ChannelKind.DINGTALK, robot.url("/dingtalk?access_token=a"))
    other = channel(world, ChannelKind.WECOM, robot.url("/wecom?key=b"),
                    rate_limit_per_minute=30)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sent = [send(record=world.request("requester_a"), subject=f"消息 {i}")
                for i in range(21)]
        assert len(robot.posts("/dingtalk")) == 20
        assert len(robot.posts("/wecom")) == 21  # the limit is per channel
        late = next(n for batch in sent for n in batch if n.channel_id != other.pk
                    and refreshed(n).status == NotificationStatus.PENDING)
        assert late.subject == "消息 20"
        assert refreshed(late).attempts == 0 and not late.attempt_log.exists()
        assert run_due(30) == 0  # the oldest message leaves the window after 60 s
    with time_machine.travel(start + dt.timedelta(seconds=62), tick=False):
        assert run_due() == 1
    assert len(robot.posts("/dingtalk")) == 21
    assert robot.posts("/dingtalk")[-1]["json"]["markdown"]["title"] == "消息 20"
    late = refreshed(late)
    assert late.status == NotificationStatus.SENT and late.attempts == 1


def test_rate_limit_counts_attempts_of_other_processes(world, robot):
    """The limit is read from the attempt log, not from memory in this process."""
    robot_channel = channel(world, ChannelKind.WECOM, robot.url("/wecom?key=c"),
                            rate_limit_per_minute=3)
    other_process = Notification.objects.create(event=EV.RECORD_CREATED, channel=robot_channel,
                                                recipient="x", subject="s", body="b")
    for _ in range(3):
        NotificationAttempt.objects.create(notification=other_process, ok=True)
    mine = Notification.objects.create(event=EV.RECORD_CREATED, channel=robot_channel,
                                       recipient="x", subject="s", body="b")
    outcome = notifications.deliver(mine.pk)
    assert outcome.state == "deferred" and 55 < outcome.retry_in <= 62
    assert robot.requests == [] and refreshed(mine).attempts == 0


def test_channel_event_filter_and_provider_scope(world, send, robot):
    channel(world, ChannelKind.WECOM, robot.url("/wecom/sla"), events=[EV.SLA_BREACH])
    channel(world, ChannelKind.WECOM, robot.url("/wecom/all"))
    channel(world, ChannelKind.WECOM, robot.url("/wecom/off"), is_active=False)
    channel(world, ChannelKind.WECOM, robot.url("/wecom/q"), org="Q")
    record = world.request("requester_a")  # customer A, served by provider P
    send(EV.RECORD_CREATED, record=record)
    send(EV.SLA_BREACH, record=record)
    assert len(robot.posts("/wecom/sla")) == 1
    assert robot.posts("/wecom/sla")[0]["json"]["markdown"]["content"]
    assert len(robot.posts("/wecom/all")) == 2
    assert robot.posts("/wecom/off") == [] and robot.posts("/wecom/q") == []
    send(EV.MAJOR_INCIDENT, organization_id=world.orgs["Q"].pk)  # a provider itself
    assert len(robot.posts("/wecom/q")) == 1


def test_a_channel_disabled_before_sending_is_not_used(world, robot,
                                                       django_capture_on_commit_callbacks):
    wecom = channel(world, ChannelKind.WECOM, robot.url("/wecom/late"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [notification] = notifications.notify(EV.RECORD_CREATED, record=world.request(
            "requester_a"), subject="s", body="b")
    notifications.update_channel(wecom, actor=None, changes={"is_active": False})
    for callback in callbacks:
        callback()
    assert robot.requests == []
    assert refreshed(notification).status == NotificationStatus.FAILED


def test_email_channel_sends_to_its_configured_list(world, send):
    channel(world, ChannelKind.EMAIL, "noc@example.cn, duty@example.cn")
    send(EV.MAJOR_INCIDENT, record=world.request("requester_a"))
    assert [sorted(m.to) for m in mail.outbox] == [["duty@example.cn", "noc@example.cn"]]


# --- Lost jobs and exactly once ----------------------------------------------------------


def test_retry_pending_requeues_only_lost_notifications(world, robot,
                                                        django_capture_on_commit_callbacks):
    wecom = channel(world, ChannelKind.WECOM, robot.url("/wecom/lost"))
    with django_capture_on_commit_callbacks(execute=False):  # the worker crashed
        lost, fresh = (notifications.notify(
            EV.RECORD_CREATED, record=world.request("requester_a"), recipients=[world.agent],
            subject=f"丢失 {i}", body="b") for i in range(2))
    old = timezone.now() - dt.timedelta(minutes=11)
    Notification.objects.filter(pk__in=[n.pk for n in lost]).update(created_at=old)
    assert retry_pending_notifications.call_local() == 2
    assert {refreshed(n).status for n in lost} == {NotificationStatus.SENT}
    assert {refreshed(n).status for n in fresh} == {NotificationStatus.PENDING}
    assert len(robot.posts("/wecom/lost")) == 1 and len(mail.outbox) == 1
    # A notification waiting for a retry (recent attempt) is not queued twice.
    waiting = Notification.objects.create(event=EV.RECORD_CREATED, channel=wecom,
                                          recipient="x", subject="s", body="b",
                                          created_at=old)
    NotificationAttempt.objects.create(notification=waiting, ok=False, error="HTTP 500")
    assert retry_pending_notifications.call_local() == 0


def test_a_notification_being_sent_by_another_worker_is_skipped(world, robot):
    wecom = channel(world, ChannelKind.WECOM, robot.url("/wecom/busy"))
    notification = Notification.objects.create(event=EV.RECORD_CREATED, channel=wecom,
                                               recipient="x", subject="s", body="b")
    NotificationAttempt.objects.create(notification=notification)  # in progress elsewhere
    assert notifications.deliver(notification.pk).state == "skipped"
    assert robot.requests == []
    # A lease older than two minutes was a crashed worker: the job takes over.
    NotificationAttempt.objects.update(attempted_at=timezone.now() - dt.timedelta(minutes=3))
    assert notifications.deliver(notification.pk).state == "sent"
    assert len(robot.requests) == 1
    assert [a.error != "" for a in refreshed(notification).attempt_log.all()] == [True, False]


@pytest.mark.django_db(transaction=True)  # real commits: the hooks run as in production
def test_a_ticket_raised_while_the_job_queue_is_down_is_saved_and_notified_later(world):
    """Regression: the on-commit hook was a ``functools.partial``, and Django logs a
    failed robust hook by its ``__qualname__``: with Redis down, creating a ticket
    answered 500 (AttributeError) although the ticket was saved."""
    with job_queue_down():
        response = world.client("agent").post("/api/service-requests/", {
            "organization": world.orgs["A"].pk, "requester": world.requester_a.pk,
            "title": "电话报修：打印机卡纸", "channel": "phone"}, format="json")
    assert response.status_code == 201, response.content
    waiting = list(Notification.objects.filter(record_id=response.json()["id"]))
    assert waiting and {n.status for n in waiting} == {NotificationStatus.PENDING}
    assert mail.outbox == []
    # The periodic job queues them again once they count as lost: each is sent once,
    # and its mail names it (X-ITSM-Notification).
    later = timezone.now() + delivery.LOST_AFTER + dt.timedelta(minutes=1)
    assert notifications.retry_pending(now=later) == len(waiting)
    assert {refreshed(n).status for n in waiting} == {NotificationStatus.SENT}
    assert sorted(m.extra_headers["X-ITSM-Notification"] for m in mail.outbox) == sorted(
        str(n.pk) for n in waiting)
    assert notifications.retry_pending(now=later) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_once_and_respect_the_limit(world, robot):
    if not is_postgres():
        pytest.skip("row locks are proven on PostgreSQL (SQLite serializes all writers)")
    wecom = channel(world, ChannelKind.WECOM, robot.url("/wecom/race"),
                    rate_limit_per_minute=5)
    rows = [Notification.objects.create(event=EV.RECORD_CREATED, channel=wecom,
                                        recipient="x", subject=f"s{i}", body="b")
            for i in range(8)]
    race(notifications.deliver, [(row.pk,) for row in rows * 2])
    subjects = [p["json"]["markdown"]["content"] for p in robot.posts("/wecom/race")]
    assert len(subjects) == 5 == len(set(subjects))  # five slots, no message twice
    assert NotificationAttempt.objects.count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_notify_with_one_dedupe_key_makes_one_row(world):
    if not is_postgres():
        pytest.skip("the unique-constraint race is proven on PostgreSQL")
    agent = world.agent

    def work() -> None:
        with transaction.atomic():
            notifications.notify(EV.SLA_WARNING, recipients=[agent], subject="SLA 预警",
                                 body="b", dedupe_key="sla:race")

    race(work, 6)
    assert Notification.objects.filter(event=EV.SLA_WARNING).count() == 1
    assert len(mail.outbox) == 1


# --- REST API ------------------------------------------------------------------------------


def _channel_payload(robot_url: str, **extra: Any) -> dict[str, Any]:
    return {"name": "值班群机器人", "kind": ChannelKind.DINGTALK, "target": robot_url,
            "secret": "TOP-SECRET-SIGNING-KEY", "events": [EV.SLA_BREACH], **extra}


def test_only_administrators_create_channels_and_the_secret_never_leaves(world, robot):
    url = reverse("api:notificationchannel-list")
    target = robot.url("/dingtalk?access_token=TOKEN-123")
    for username in ("agent", "auditor", "requester_a", "custadmin_a"):
        response = world.client(username).post(url, _channel_payload(target), format="json")
        assert response.status_code == 403, username
    assert not NotificationChannel.objects.exists()

    admin = world.client("admin")
    created = admin.post(url, _channel_payload(target), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    saved = NotificationChannel.objects.get(pk=pk)
    assert saved.organization == world.orgs["P"] and saved.secret == "TOP-SECRET-SIGNING-KEY"
    detail = reverse("api:notificationchannel-detail", args=[pk])
    bodies = [created, admin.get(url), admin.get(detail),
              admin.patch(detail, {"name": "新名字"}, format="json"),
              world.client("agent").get(url), world.client("auditor").get(detail)]
    for response in bodies:
        assert response.status_code == 200 or response.status_code == 201
        assert b"TOP-SECRET" not in response.content
        assert "secret" not in json.dumps(response.json()).replace("has_secret", "")
    assert admin.get(detail).json()["has_secret"] is True
    assert admin.get(detail).json()["target"] == target
    agent_view = world.client("agent").get(detail).json()
    assert "TOKEN-123" not in agent_view["target"]  # the robot token is a credential too
    assert NotificationChannel.objects.get(pk=pk).secret == "TOP-SECRET-SIGNING-KEY"  # kept
    audit_text = json.dumps(list(AuditEntry.objects.filter(
        object_type="core.notificationchannel").values_list("changes", flat=True)),
        ensure_ascii=False)
    assert "TOP-SECRET" not in audit_text and "TOKEN-123" not in audit_text
    assert "***" in audit_text
    # Clearing the secret, and the agent cannot change or delete.
    assert admin.patch(detail, {"secret": ""}, format="json").json()["has_secret"] is False
    assert world.client("agent").patch(detail, {"name": "x"}, format="json").status_code == 403
    assert world.client("agent").delete(detail).status_code == 403
    assert admin.delete(detail).status_code == 204
    assert not NotificationChannel.objects.filter(pk=pk).exists()


def test_channel_validation(world):
    url = reverse("api:notificationchannel-list")
    admin = world.client("admin")
    for payload in (
        {"name": "x", "kind": ChannelKind.WEBHOOK, "target": "file:///etc/passwd"},
        {"name": "x", "kind": ChannelKind.WECOM, "target": "not a url"},
        {"name": "x", "kind": ChannelKind.EMAIL, "target": "noc@example.cn, not-an-address"},
        {"name": "x", "kind": ChannelKind.WECOM, "target": "https://qyapi.weixin.qq.com/x",
         "events": ["no_such_event"]},
        {"name": "x", "kind": ChannelKind.WECOM, "target": "https://qyapi.weixin.qq.com/x",
         "rate_limit_per_minute": 0},
    ):
        response = admin.post(url, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
    assert not NotificationChannel.objects.exists()


def test_customers_and_other_providers_see_no_channels_or_notifications(world, send, robot):
    mine = channel(world, ChannelKind.WECOM, robot.url("/wecom/p"))
    channel(world, ChannelKind.WECOM, robot.url("/wecom/q"), org="Q")
    record_b = world.request("requester_b", title=f"报修 {SENTINEL_B}")
    sent = send(record=record_b, recipients=[world.requester_b],
                subject=f"工单 {SENTINEL_B}")
    notification = sent[0]
    for username in ("requester_a", "custadmin_a", "requester_b", "custadmin_b",
                     "requester_c", "agent_q"):
        client = world.client(username)
        channels = client.get(reverse("api:notificationchannel-list"))
        log = client.get(reverse("api:notification-list"))
        assert channels.status_code == 200 and log.status_code == 200
        assert mine.pk not in {c["id"] for c in channels.json()["results"]}
        assert log.json()["results"] == []
        assert SENTINEL_B not in log.content.decode()
        assert client.get(reverse("api:notificationchannel-detail",
                                  args=[mine.pk])).status_code == 404
        assert client.get(reverse("api:notification-detail",
                                  args=[notification.pk])).status_code == 404
        assert client.patch(reverse("api:notificationchannel-detail", args=[mine.pk]),
                            {"name": "hacked"}, format="json").status_code == 404
    assert NotificationChannel.objects.get(pk=mine.pk).name == "wecom robot P"
    # agent_q sees their own provider's channel only.
    names = {c["name"] for c in world.client("agent_q").get(
        reverse("api:notificationchannel-list")).json()["results"]}
    assert names == {"wecom robot Q"}


def test_staff_read_the_log_with_its_attempts(world, send, robot):
    channel(world, ChannelKind.WEBHOOK, robot.url("/hook/log"))
    robot.answer("/hook/log", (500, b"down"))
    send(record=world.request("requester_a"), recipients=[world.agent])
    for username in ("agent", "auditor", "admin"):
        response = world.client(username).get(reverse("api:notification-list"))
        assert response.status_code == 200
        rows = {r["recipient"]: r for r in response.json()["results"]}
        assert set(rows) == {"agent@example.cn", "webhook robot P"}
        hook = rows["webhook robot P"]
        assert hook["status"] == "pending" and hook["last_error"] == "HTTP 500"
        assert [(a["ok"], a["status_code"]) for a in hook["attempt_log"]] == [(False, 500)]
        assert rows["agent@example.cn"]["status"] == "sent"
    filtered = world.client("agent").get(reverse("api:notification-list"), {"status": "sent"})
    assert [r["recipient"] for r in filtered.json()["results"]] == ["agent@example.cn"]
    for name in ("record_id", "channel"):  # found by fuzzing: a huge id was a 500
        response = world.client("agent").get(reverse("api:notification-list"),
                                             {name: str(2**70)})
        assert response.status_code == 400 and name in response.json()
    assert world.client("agent").post(reverse("api:notification-list"), {}).status_code == 405


def test_my_preferences_get_and_put(world):
    client = world.client("requester_a")
    url = reverse("api:me-notification-preferences")
    initial = client.get(url).json()
    assert {p["event"] for p in initial} == set(NotificationEvent.values)
    assert all(p["email"] and p["im"] for p in initial)
    response = client.put(url, [{"event": EV.COMMENT_ADDED, "email": False, "im": False}],
                          format="json")
    assert response.status_code == 200
    after = {p["event"]: p for p in response.json()}
    assert after[EV.COMMENT_ADDED]["email"] is False and after[EV.COMMENT_ADDED]["im"] is False
    assert after[EV.RECORD_CREATED]["email"] is True
    assert NotificationPreference.objects.get(user=world.requester_a).event == EV.COMMENT_ADDED
    # Somebody else's choices are theirs.
    assert all(p["email"] for p in world.client("requester_a2").get(url).json())
    bad = client.put(url, [{"event": "nope", "email": False}], format="json")
    assert bad.status_code == 400
    assert world.client(None).get(url).status_code in (401, 403)
