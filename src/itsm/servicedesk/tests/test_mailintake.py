"""Email intake against a real IMAP server (Debian dovecot on loopback).

# covers: REQ-1, REQ-2, GEN-8
"""

from __future__ import annotations

import base64
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from huey.exceptions import TaskLockedException

from itsm.conftest import is_postgres, race
from itsm.core import services
from itsm.core.choices import AuditSource
from itsm.core.models import AuditEntry, Comment, Notification
from itsm.servicedesk import tasks
from itsm.servicedesk.choices import Channel, InboundMailStatus, TicketStatus
from itsm.servicedesk.mailintake import acknowledgements, decoding, fetcher, intake, parsing
from itsm.servicedesk.models import InboundMail, ServiceRequest

DOVECOT = shutil.which("dovecot") or next(
    (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)), None)
needs_dovecot = pytest.mark.skipif(
    DOVECOT is None,
    reason="dovecot is not installed (apt-get install dovecot-imapd; scripts/test.sh does it)")

IMAP_USER = "itsm-intake"
IMAP_PASSWORD = "intake-secret-7f3a"
SENDER = "requester_a@example.cn"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Reasons and notes are compared in English, whatever the catalogue says."""
    with translation.override("en"):
        yield


# --- A real IMAP server ---------------------------------------------------------------


@dataclass
class ImapServer:
    host: str
    port: int
    url: str
    log: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dovecot_version() -> tuple[int, int]:
    out = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True,
                         check=True).stdout
    match = re.match(r"(\d+)\.(\d+)", out.strip())
    return (int(match.group(1)), int(match.group(2))) if match else (2, 3)


def _dovecot_config(root: Path, port: int, version: tuple[int, int]) -> str:
    """A minimal dovecot: IMAP on 127.0.0.1 only, no TLS, one passwd-file user, maildir.

    As root, dovecot refuses to run logins as root and to serve mail as uid 0, so the
    package's own ``dovecot``/``dovenull`` users are used; otherwise everything runs as
    the current user.
    """
    if os.geteuid() == 0:
        internal, login = pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
        mail_user = internal
    else:
        internal = login = mail_user = pwd.getpwuid(os.geteuid())
    home = root / "home"
    home.mkdir()
    os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(
        f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{mail_user.pw_uid}:{mail_user.pw_gid}::"
        f"{home}::\n")
    common = f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
default_internal_user = {internal.pw_name}
default_internal_group = {grp.getgrgid(internal.pw_gid).gr_name}
default_login_user = {login.pw_name}
first_valid_uid = {mail_user.pw_uid}
first_valid_gid = {mail_user.pw_gid}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    if version >= (2, 4):
        return f"""dovecot_config_version = {version[0]}.{version[1]}.0
dovecot_storage_version = {version[0]}.{version[1]}.0
auth_allow_cleartext = yes
{common}
mail_driver = maildir
mail_path = ~/Maildir
passdb passwd-file {{
  passwd_file_path = {root}/passwd
}}
userdb passwd-file {{
  passwd_file_path = {root}/passwd
}}
"""
    return f"""disable_plaintext_auth = no
auth_mechanisms = plain login
{common}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
"""


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    # Not under pytest's tmp dir: that is private to us, and dovecot's own users
    # (when we run as root) must be able to read the passwd file and the maildir.
    root = Path(tempfile.mkdtemp(prefix="itsm-dovecot-"))
    root.chmod(0o755)
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_dovecot_config(root, port, _dovecot_version()))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    log = root / "dovecot.log"
    deadline = time.monotonic() + 20
    try:
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                logged = log.read_text(errors="replace") if log.exists() else ""
                pytest.fail(f"dovecot exited:\n{output}\n{logged}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("dovecot did not start listening within 20 s")
            time.sleep(0.1)
        yield ImapServer("127.0.0.1", port,
                         f"imap://{IMAP_USER}:{IMAP_PASSWORD}@127.0.0.1:{port}/INBOX", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


class Mailbox:
    """IMAP APPEND into the intake mailbox, and a look at what the poll left there."""

    def __init__(self, server: ImapServer) -> None:
        self.server = server

    def _box(self):
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted(self.server.host, self.server.port).login(
            IMAP_USER, IMAP_PASSWORD)

    def clear(self) -> None:
        with self._box() as box:
            for folder in ("Processed", "INBOX"):
                if box.folder.exists(folder):
                    box.folder.set(folder)
                    box.delete(box.uids())

    def append(self, *messages: bytes) -> None:
        with self._box() as box:
            for raw in messages:
                box.append(raw, "INBOX")

    def unseen(self) -> list[str]:
        with self._box() as box:
            return box.uids("UNSEEN")

    def create_folder(self, name: str) -> None:
        with self._box() as box:
            if not box.folder.exists(name):
                box.folder.create(name)

    def count(self, folder: str) -> int:
        with self._box() as box:
            box.folder.set(folder)
            return len(box.uids())


@pytest.fixture
def imap(imap_server, settings) -> Mailbox:
    settings.IMAP_URL = imap_server.url
    box = Mailbox(imap_server)
    box.clear()
    return box


@pytest.fixture
def poll(django_capture_on_commit_callbacks):
    """One poll, with the after-commit jobs (acknowledgements) executed."""

    def run() -> fetcher.PollStats:
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.poll_once()

    return run


@pytest.fixture
def process(django_capture_on_commit_callbacks):
    def run(raw: bytes, **kwargs) -> intake.IntakeResult:
        with django_capture_on_commit_callbacks(execute=True):
            return intake.process_message(raw, **kwargs)

    return run


# --- Building messages ------------------------------------------------------------------

_counter = iter(range(1, 10**9))


def b64word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def message(subject: str = "", body: str | bytes = "正文", *, sender: str = SENDER,
            charset: str = "utf-8", message_id: str | None = None, headers: str = "",
            content_type: str = "text/plain") -> bytes:
    """A single-part message; ``subject`` is used as is (pass encoded words yourself)."""
    message_id = message_id or f"<m{next(_counter)}.{time.time_ns()}@mail.example.cn>"
    data = body if isinstance(body, bytes) else body.encode(charset)
    head = (f"From: {sender}\r\nTo: desk@itsm.example.cn\r\nSubject: {subject}\r\n"
            f"Date: Fri, 21 Nov 2025 10:00:00 +0800\r\nMessage-ID: {message_id}\r\n"
            f"MIME-Version: 1.0\r\n{headers}"
            f"Content-Type: {content_type}; charset={charset}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n")
    return head.encode() + base64.encodebytes(data).replace(b"\n", b"\r\n")


def msg_id(raw: bytes) -> str:
    return message_from_bytes(raw)["Message-ID"]


def comments(record) -> list[Comment]:
    return list(Comment.objects.for_record(record).select_related("author"))


def decoded_subject(email_message) -> str:
    return str(make_header(decode_header(email_message.message()["Subject"])))


# --- New tickets ------------------------------------------------------------------------


@needs_dovecot
def test_new_mail_creates_one_ticket_with_requester_channel_and_chinese_text(world, imap, poll):
    imap.append(message(b64word("三楼打印机卡纸"), "三楼东侧打印机卡纸，无法打印合同。\n谢谢！",
                        sender="Requester_A@Example.CN"))
    stats = poll()
    assert (stats.fetched, stats.created, stats.quarantined) == (1, 1, 0)
    ticket = ServiceRequest.objects.get()
    assert ticket.title == "三楼打印机卡纸"
    assert ticket.description == "三楼东侧打印机卡纸，无法打印合同。\n谢谢！"
    assert ticket.requester == world.requester_a
    assert ticket.created_by == world.requester_a
    assert ticket.organization == world.orgs["A"]
    assert ticket.channel == Channel.EMAIL
    assert ticket.status == TicketStatus.NEW
    inbound = InboundMail.objects.get()
    assert inbound.status == InboundMailStatus.CREATED
    assert inbound.record_id == ticket.pk and inbound.subject == "三楼打印机卡纸"
    assert inbound.mailbox.startswith(IMAP_USER) and IMAP_PASSWORD not in inbound.mailbox
    assert not inbound.raw  # raw bytes are kept for quarantined mail only
    entry = AuditEntry.objects.get(object_type="servicedesk.servicerequest", action="create")
    assert entry.source == AuditSource.EMAIL and entry.actor_id == world.requester_a.pk
    assert imap.unseen() == []  # flagged seen
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Requester_A@Example.CN"]  # the sender's own address only


@needs_dovecot
def test_processed_messages_move_to_processed_folder_when_it_exists(world, imap, poll):
    imap.create_folder("Processed")
    imap.append(message("move me"), message("and me"))
    assert poll().created == 2
    assert imap.count("INBOX") == 0
    assert imap.count("Processed") == 2


def test_html_only_mail_becomes_text_and_attachments_are_attached(world, process, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    boundary = "b-1"
    raw = (
        f"From: {SENDER}\r\nSubject: {b64word('网页邮件')}\r\nMessage-ID: <html1@x.cn>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<p>第一段 &amp; 更多</p><div>第二段<br>换行</div><script>alert(1)</script></body></html>"
        f"\r\n--{boundary}\r\nContent-Type: text/plain; name=\"{b64word('日志.txt')}\"\r\n"
        "Content-Disposition: attachment; filename*=utf-8''%E6%97%A5%E5%BF%97.txt\r\n\r\n"
        "log line\r\n"
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename=\"../../big.bin\"\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.b64encode(b'x' * 2000).decode()}\r\n"
        f"--{boundary}--\r\n").encode()
    result = process(raw)
    ticket = result.record
    assert result.status == InboundMailStatus.CREATED
    assert ticket.description == "第一段 & 更多\n第二段\n换行"
    assert [a.original_name for a in ticket.attachments.all()] == ["日志.txt"]
    note = comments(ticket)
    assert len(note) == 1 and "big.bin" in note[0].body and note[0].author is None


def test_unknown_sender_is_quarantined(world, process):
    result = process(message("求助", sender="stranger@elsewhere.cn"))
    assert result.status == InboundMailStatus.QUARANTINED
    assert result.reason == "unknown sender"
    assert ServiceRequest.objects.count() == 0
    inbound = InboundMail.objects.get()
    assert inbound.raw and inbound.raw.read().startswith(b"From: stranger@elsewhere.cn")


def test_unknown_sender_is_filed_under_the_intake_organization(world, process, settings):
    settings.MAIL_INTAKE_ORGANIZATION = "b"
    result = process(message("新用户求助", sender="王小明 <xiaoming.wang@customer-b.cn>"))
    assert result.status == InboundMailStatus.CREATED
    ticket = result.record
    assert ticket.organization == world.orgs["B"]
    assert ticket.requester.email == "xiaoming.wang@customer-b.cn"
    assert ticket.requester.profile.organization == world.orgs["B"]
    assert not ticket.requester.has_usable_password()
    # the second mail of the same sender finds the same person
    again = process(message("再次求助", sender="xiaoming.wang@customer-b.cn"))
    assert again.record.requester == ticket.requester


# --- Charsets ---------------------------------------------------------------------------


@needs_dovecot
def test_gbk_subject_and_replies_give_one_ticket_with_two_comments(world, imap, poll):
    """Acceptance: a GBK subject and two replies give one ticket with two comments."""
    # 镕 and 堃 are in GBK but not in GB2312: only a GB18030 decoder reads them right.
    original = message(b64word("财务系统无法登录（镕）", "gbk"),
                       "朱镕基同志的账号无法登录，王堃也一样。".encode("gbk"), charset="gb2312")
    imap.append(original)
    assert poll().created == 1
    ticket = ServiceRequest.objects.get()
    assert ticket.title == "财务系统无法登录（镕）"
    assert ticket.description == "朱镕基同志的账号无法登录，王堃也一样。"

    by_number = message(
        f"回复: [{ticket.number}] 财务系统无法登录",
        "已经清除缓存，还是不行。\n\n在 2025年11月21日 10:00，服务台 写道：\n> 请清除缓存后重试\n",
        charset="gb18030")
    by_header = message(
        b64word("Re: 财务系统无法登录", "gb2312"),
        "补充：报错截图见附件。\n-----Original Message-----\nFrom: desk\n旧内容\n",
        headers=f"In-Reply-To: {msg_id(original)}\r\nReferences: {msg_id(original)}\r\n")
    imap.append(by_number, by_header)
    stats = poll()
    assert (stats.created, stats.commented, stats.quarantined) == (0, 2, 0)
    assert ServiceRequest.objects.count() == 1
    bodies = [c.body for c in comments(ticket)]
    assert bodies == ["已经清除缓存，还是不行。", "补充：报错截图见附件。"]
    assert all(c.author == world.requester_a and not c.internal for c in comments(ticket))
    assert set(InboundMail.objects.values_list("record_id", flat=True)) == {ticket.pk}
    assert len(mail.outbox) == 1  # acknowledged once, on creation only


@pytest.mark.parametrize(("charset", "payload", "expected"), [
    ("x-unknown-charset", "未知字符集，按 UTF-8 读取".encode(), "未知字符集，按 UTF-8 读取"),
    ("x-unknown-charset", "未知字符集，按 GB18030 读取".encode("gb18030"),
     "未知字符集，按 GB18030 读取"),
    ("gb_2312-80", "国标 GB2312-80".encode("gb2312"), "国标 GB2312-80"),
    ("GBK", "喆".encode("gbk"), "喆"),
    ("us-ascii", "声明错误的 UTF-8".encode(), "声明错误的 UTF-8"),
])
def test_body_charsets_are_decoded_robustly(world, process, charset, payload, expected):
    result = process(message("charset", payload, charset=charset))
    assert result.status == InboundMailStatus.CREATED
    assert result.record.description == expected


def test_header_charsets_and_raw_8bit_headers():
    assert decoding.decode_header_value("=?gb2312?B?" + base64.b64encode(
        "镕".encode("gbk")).decode() + "?=") == "镕"
    assert decoding.decode_header_value("=?x-nonsense?B?" + base64.b64encode(
        "乱码".encode("gb18030")).decode() + "?=") == "乱码"
    assert decoding.decode_header_value("=?utf-8?B?not-base64!?=")  # never raises
    raw = "From: requester_a@example.cn\r\nSubject: 原始八位\r\n\r\nx".encode("gbk")
    assert parsing.parse_message(raw).subject == "原始八位"
    assert decoding.decode_bytes(b"\xff\xfe\xfa", "latin-9-nonsense")  # last resort


# --- Exactly once -----------------------------------------------------------------------


@needs_dovecot
def test_same_message_appended_twice_gives_one_ticket(world, imap, poll):
    raw = message("重复的邮件", "同一封邮件")
    imap.append(raw, raw)
    stats = poll()
    assert (stats.fetched, stats.created, stats.duplicates) == (2, 1, 1)
    assert ServiceRequest.objects.count() == 1
    assert InboundMail.objects.count() == 1
    assert imap.unseen() == []


def test_message_without_message_id_is_keyed_by_its_bytes(world, process):
    raw = message("无 ID").replace(b"Message-ID:", b"X-Old-Message-ID:")
    assert process(raw).status == InboundMailStatus.CREATED
    assert process(raw).status == intake.IntakeResult.DUPLICATE
    assert ServiceRequest.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_process_the_same_message_once(world):
    if not is_postgres():
        pytest.skip("concurrency is proven on PostgreSQL (SQLite serializes all writers)")
    raw = message("并发处理", "两个工作进程同时处理同一封邮件")
    results = race(lambda: intake.process_message(raw).status, 2)
    assert sorted(results) == sorted([InboundMailStatus.CREATED,
                                      intake.IntakeResult.DUPLICATE])
    assert ServiceRequest.objects.count() == 1
    assert InboundMail.objects.count() == 1
    assert len(mail.outbox) == 1


# --- Malformed mail ---------------------------------------------------------------------


def no_boundary() -> bytes:
    return (f"From: {SENDER}\r\nSubject: no boundary\r\nMessage-ID: <nb@x.cn>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
            "--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n").encode()


def nested(levels: int) -> bytes:
    inner = b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    for i in reversed(range(levels)):
        inner = (f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
                 + inner + f"\r\n--b{i}--\r\n".encode())
    return (f"From: {SENDER}\r\nSubject: nested\r\nMessage-ID: <nested{levels}@x.cn>\r\n"
            "MIME-Version: 1.0\r\n").encode() + inner


def no_from() -> bytes:
    return b"To: desk@itsm.example.cn\r\nSubject: anonymous\r\nMessage-ID: <nf@x.cn>\r\n\r\nhi\r\n"


def oversized() -> bytes:
    return message("附件太大", "x" * 300_000)


def missing_start_boundary() -> bytes:
    return (f"From: {SENDER}\r\nSubject: broken\r\nMessage-ID: <sb@x.cn>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n"
            "no parts here\r\n").encode()


MALFORMED = [
    (no_boundary, "boundary"),
    (missing_start_boundary, "boundary"),
    (lambda: nested(2000), "MIME parts"),
    (lambda: nested(60), "nested too deeply"),
    (oversized, "limit"),
    (no_from, "sender"),
    (lambda: b"\x00\xff garbage \r\n\r\n\x00", "sender"),
    (lambda: b"", "sender"),
]


@pytest.mark.parametrize(("build", "reason"), MALFORMED)
def test_malformed_mail_is_quarantined_with_a_reason(world, process, settings, build, reason):
    settings.MAIL_MAX_BYTES = 200_000
    raw = build()
    result = process(raw)
    assert result.status == InboundMailStatus.QUARANTINED
    assert reason in result.reason
    inbound = InboundMail.objects.get()
    assert inbound.status == InboundMailStatus.QUARANTINED and inbound.reason == result.reason
    with inbound.raw.open("rb") as stored:
        assert stored.read() == raw
    assert ServiceRequest.objects.count() == 0


@needs_dovecot
def test_worker_keeps_going_after_malformed_mail(world, imap, poll, settings):
    settings.MAIL_MAX_BYTES = 200_000
    imap.append(no_boundary(), message("未知字符集", "内容".encode(), charset="x-klingon"),
                nested(2000), oversized(), no_from(), message("正常邮件", "最后一封"))
    stats = poll()
    assert (stats.fetched, stats.created, stats.quarantined, stats.errors) == (6, 2, 4, 0)
    assert sorted(ServiceRequest.objects.values_list("title", flat=True)) == ["未知字符集",
                                                                              "正常邮件"]
    assert ServiceRequest.objects.get(title="未知字符集").description == "内容"
    quarantined = InboundMail.objects.filter(status=InboundMailStatus.QUARANTINED)
    assert quarantined.count() == 4 and all(m.reason and m.raw for m in quarantined)
    big = quarantined.get(subject="附件太大")
    assert big.size > 200_000 and "limit" in big.reason
    assert imap.unseen() == []


def test_unexpected_errors_quarantine_instead_of_crashing(world, process, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(intake, "find_person", boom)
    result = process(message("会出错"))
    assert result.status == InboundMailStatus.QUARANTINED
    assert "disk on fire" in result.reason
    assert ServiceRequest.objects.count() == 0


# --- Replies and the workflow -----------------------------------------------------------


def test_requester_reply_while_waiting_for_customer_resumes_work(world, process):
    ticket = process(message("等待客户")).record
    services.transition_record(ticket, "start", actor=world.agent,
                               values={"assignee": world.agent})
    services.transition_record(ticket, "ask_customer", actor=world.agent,
                               comment="请提供报错截图")
    process(message(f"Re: {ticket.number}", "截图已补充"))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert [c.body for c in comments(ticket)] == ["请提供报错截图", "截图已补充"]


def test_reply_to_resolved_ticket_reopens_within_the_window(world, process, settings):
    settings.REOPEN_DAYS = 7
    ticket = process(message("已解决又出现")).record
    services.transition_record(ticket, "start", actor=world.agent,
                               values={"assignee": world.agent})
    services.transition_record(ticket, "resolve", actor=world.agent,
                               values={"resolution": "重启解决"})
    result = process(message(f"答复: [{ticket.number}]", "问题又出现了"))
    ticket.refresh_from_db()
    assert result.status == InboundMailStatus.COMMENTED
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert comments(ticket)[-1].body == "问题又出现了"

    services.transition_record(ticket, "resolve", actor=world.agent,
                               values={"resolution": "再次重启"})
    ServiceRequest.objects.filter(pk=ticket.pk).update(
        resolved_at=timezone.now() - timezone.timedelta(days=8))
    late = process(message(f"答复: [{ticket.number}]", "过了很久又坏了"))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert late.status == InboundMailStatus.CREATED and late.record.pk != ticket.pk
    assert ticket.number in late.record.description


def test_reply_by_someone_who_may_not_comment_is_quarantined(world, process):
    ticket = process(message("A 的工单")).record
    result = process(message(f"Re: {ticket.number}", "我是 B 的人",
                             sender="requester_b@example.cn"))
    assert result.status == InboundMailStatus.QUARANTINED
    assert ticket.number in result.reason
    assert comments(ticket) == []


def test_reply_to_our_acknowledgement_message_id_is_a_comment(world, process):
    ticket = process(message("通过回执回复")).record
    ack_id = mail.outbox[0].extra_headers["Message-ID"]
    assert re.fullmatch(rf"<itsm\.{ticket.number}\.[0-9a-f]+@[A-Za-z0-9.-]+>", ack_id)
    result = process(message("Re: 通过回执回复", "收到，谢谢",
                             headers=f"In-Reply-To: {ack_id}\r\n"))
    assert result.status == InboundMailStatus.COMMENTED and result.record.pk == ticket.pk


def test_strip_quoted():
    text = ("好的\n\n> 原文\n>> 更早\n谢谢\n-----原始邮件-----\n发件人: x\n")
    assert decoding.strip_quoted(text) == "好的\n\n谢谢"
    assert decoding.strip_quoted("ok\nOn Fri, Nov 21, 2025 Desk wrote:\n> q") == "ok"
    assert decoding.strip_quoted("嗯\n在 2025年11月21日 周五 10:00，\n服务台 写道：\n旧") == "嗯"


# --- Automatic replies ------------------------------------------------------------------


def test_ordinary_mail_gets_exactly_one_acknowledgement(world, process):
    raw = message(b64word("申请 VPN 账号"), "请开通 VPN", headers="Auto-Submitted: no\r\n")
    ticket = process(raw).record
    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.to == [SENDER] and ack.cc == [] and ack.bcc == []
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert ack.extra_headers["In-Reply-To"] == msg_id(raw)
    assert ack.extra_headers["References"] == msg_id(raw)
    assert ticket.number in ack.subject and "申请 VPN 账号" in ack.subject
    note = Notification.objects.get()
    assert note.status == "sent" and note.recipient == SENDER and note.attempt_log.get().ok


@pytest.mark.parametrize(("headers", "sender"), [
    ("Auto-Submitted: auto-replied\r\n", SENDER),
    ("Auto-Submitted: auto-generated; owner-email=x@y.cn\r\n", SENDER),
    ("Precedence: bulk\r\n", SENDER),
    ("Precedence: junk\r\n", SENDER),
    ("Precedence: list\r\n", SENDER),
    ("List-Id: <it.list.example.cn>\r\n", SENDER),
    ("X-Auto-Response-Suppress: OOF, AutoReply\r\n", SENDER),
    ("Return-Path: <>\r\n", SENDER),
    ("", "MAILER-DAEMON@example.cn"),
    ("", "postmaster@example.cn"),
    ("", "noreply@example.cn"),
    ("", "no-reply@example.cn"),
])
def test_automatic_and_bulk_mail_gets_no_automatic_reply(world, process, settings, headers,
                                                         sender):
    settings.MAIL_INTAKE_ORGANIZATION = "a"
    result = process(message("自动邮件", headers=headers, sender=sender))
    assert result.status == InboundMailStatus.CREATED  # still a ticket, just no reply
    assert mail.outbox == []


def test_mail_from_our_own_address_is_ignored(world, process, settings):
    settings.MAIL_INTAKE_ORGANIZATION = "a"
    result = process(message("loop", sender=settings.DEFAULT_FROM_EMAIL))
    assert result.status == InboundMailStatus.IGNORED
    assert ServiceRequest.objects.count() == 0 and mail.outbox == []


def test_acknowledgements_are_limited_per_sender_and_hour(world, process):
    for i in range(7):
        process(message(f"第 {i} 封"))
    assert ServiceRequest.objects.count() == 7
    assert len(mail.outbox) == acknowledgements.ACK_LIMIT_PER_HOUR == 5
    process(message("别人的邮件", sender="requester_a2@example.cn"))
    assert len(mail.outbox) == 6  # the limit is per sender
    Notification.objects.update(created_at=timezone.now() - timezone.timedelta(minutes=61))
    process(message("一小时后"))
    assert len(mail.outbox) == 7


def test_header_injection_in_subject_never_adds_a_recipient(world, process):
    evil = b64word("你好\r\nBcc: victim@evil.example\r\nCc: other@evil.example")
    raw = message(evil, "正文", headers="Cc: colleague@evil.example\r\n"
                  "Reply-To: attacker@evil.example\r\n")
    raw = raw.replace(b"To: desk@itsm.example.cn", b"To: desk@itsm.example.cn, x@evil.example")
    ticket = process(raw).record
    assert "\n" not in ticket.title and "\r" not in ticket.title
    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.recipients() == [SENDER]
    sent = ack.message()
    assert sent["Bcc"] is None and sent["Cc"] is None
    assert "evil" not in str(sent["To"])
    assert "\n" not in decoded_subject(ack)
    header_block = sent.as_bytes().split(b"\n\n", 1)[0]
    assert not re.search(rb"(?im)^(bcc|cc):", header_block)


def test_acknowledgement_through_a_real_smtp_server(world, process, settings):
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self) -> None:
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 OK"

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        raw = message(b64word("真实 SMTP"), "请回执")
        ticket = process(raw).record
        process(message("自动回复", headers="Auto-Submitted: auto-replied\r\n"))
    finally:
        controller.stop()
    assert len(sink.envelopes) == 1
    envelope = sink.envelopes[0]
    assert envelope.rcpt_tos == [SENDER]
    sent = message_from_bytes(envelope.original_content)
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == msg_id(raw)
    assert sent["Message-ID"].startswith(f"<itsm.{ticket.number}.")
    assert str(make_header(decode_header(sent["Subject"]))).startswith(f"[{ticket.number}]")


def test_failed_acknowledgement_is_logged_and_retried(world, process, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    assert process(message("发不出去")).status == InboundMailStatus.CREATED
    note = Notification.objects.get()
    assert note.status == "pending" and note.attempts == 1 and note.last_error
    assert not note.attempt_log.get().ok


def test_acknowledgement_whose_job_was_lost_is_sent_once_with_its_headers(
        world, process, monkeypatch, django_capture_on_commit_callbacks):
    from itsm.core.notifications import compose, delivery, jobs

    monkeypatch.setattr(compose, "_enqueue", lambda pk: None)  # the job queue lost it
    raw = message("队列丢了回执")
    process(raw)
    assert mail.outbox == [] and Notification.objects.get().status == "pending"
    monkeypatch.undo()
    later = timezone.now() + delivery.LOST_AFTER + timezone.timedelta(minutes=1)
    for _ in range(2):  # the periodic job runs twice: one email
        with django_capture_on_commit_callbacks(execute=True):
            jobs.retry_pending(later)
    assert len(mail.outbox) == 1
    ack = mail.outbox[0]
    assert ack.recipients() == [SENDER]
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert ack.extra_headers["In-Reply-To"] == ack.extra_headers["References"] == msg_id(raw)
    assert ack.extra_headers["Message-ID"].startswith("<itsm.REQ-")
    assert Notification.objects.get().status == "sent"


# --- Job, lock and command --------------------------------------------------------------


def test_intake_is_off_without_a_url(world, settings):
    settings.IMAP_URL = ""
    assert fetcher.poll_mailbox() == fetcher.PollStats()
    with pytest.raises(CommandError, match="ITSM_IMAP_URL"):
        call_command("fetch-mail")


def test_imap_url_parsing():
    config = fetcher.parse_imap_url("imaps://desk%40corp.cn:p%40ss@imap.corp.cn/%E6%94%B6")
    assert (config.scheme, config.host, config.port) == ("imaps", "imap.corp.cn", 993)
    assert (config.username, config.password, config.folder) == ("desk@corp.cn", "p@ss", "收")
    assert fetcher.parse_imap_url("imap://u:p@h").port == 143
    assert "p@ss" not in config.label
    with pytest.raises(ValueError):
        fetcher.parse_imap_url("pop3://u:p@h")


def test_poll_is_locked_across_consumers(world, settings):
    settings.IMAP_URL = "imap://u:p@127.0.0.1:1/INBOX"
    from huey.contrib.djhuey import lock_task

    with lock_task(tasks.MAILBOX_LOCK_NAME), pytest.raises(TaskLockedException):
        tasks.poll_once()
    with lock_task(tasks.MAILBOX_LOCK_NAME), pytest.raises(CommandError, match="Another worker"):
        call_command("fetch-mail")
    # a periodic task, every minute by default
    from huey.api import PeriodicTask

    assert issubclass(tasks.poll_mailbox.task_class, PeriodicTask)
    assert tasks.poll_mailbox.task_class().validate_datetime(timezone.now())


@needs_dovecot
def test_fetch_mail_command_reports_a_wrong_password(world, imap, settings):
    settings.IMAP_URL = imap.server.url.replace(IMAP_PASSWORD, "wrong")
    with pytest.raises(CommandError, match="not reachable"):
        call_command("fetch-mail")


@needs_dovecot
def test_fetch_mail_command_prints_counts(world, imap, capsys):
    imap.append(message("命令行取信"), no_from())
    call_command("fetch-mail")
    out = capsys.readouterr().out
    assert re.search(r"2\D+1\D+0\D+1\D+0\D+0\D+0", out), out
    assert ServiceRequest.objects.count() == 1


def test_encoded_display_name_cannot_choose_the_sender_address(world, process, settings):
    settings.MAIL_INTAKE_ORGANIZATION = ""
    spoof = b64word("requester_a <requester_a@example.cn>")
    result = process(message("冒充", sender=f"{spoof} <stranger@evil.example>"))
    assert result.status == InboundMailStatus.QUARANTINED  # stranger, not requester_a
    assert result.inbound.from_address == "stranger@evil.example"


def test_reply_to_a_merged_ticket_goes_to_the_ticket_it_was_merged_into(world, process):
    old = process(message("旧工单")).record
    new = process(message("新工单")).record
    ServiceRequest.objects.filter(pk=old.pk).update(merged_into=new)
    result = process(message(f"Re: [{old.number}]", "补充信息"))
    assert result.record.pk == new.pk
    assert [c.body for c in comments(new)] == ["补充信息"]


@pytest.mark.parametrize("with_nh3", [True, False])
def test_html_to_text_with_and_without_nh3(monkeypatch, with_nh3):
    import sys

    if not with_nh3:
        monkeypatch.setitem(sys.modules, "nh3", None)  # import nh3 → ImportError
    markup = ("<html><head><title>标题</title><style>p {}</style></head><body><p>你好 &lt;世界&gt;"
              "</p><div>第二行<br/>第三行</div><script>evil()</script></body></html>")
    assert decoding.html_to_text(markup) == "你好 <世界>\n第二行\n第三行"


def test_plain_text_keeps_its_indentation(world, process):
    body = "日志如下：\n    at com.example.Main(Main.java:10)\n\tat run()\n"
    assert process(message("缩进", body)).record.description == (
        "日志如下：\n    at com.example.Main(Main.java:10)\n\tat run()")


# --- Torture: mislabeled charsets, a 30 MB message, a mail loop ---------------------------


@pytest.mark.parametrize(("charset", "payload", "expected"), [
    ("utf-8", "标成 UTF-8 的 GBK 正文".encode("gbk"), "标成 UTF-8 的 GBK 正文"),
    ("gb2312", "GB2312 里没有的字：镕喆堃".encode("gbk"), "GB2312 里没有的字：镕喆堃"),
    ("iso-8859-1", "标成 Latin-1 的 UTF-8".encode(), "标成 Latin-1 的 UTF-8"),
    ("big5", "繁體標成 Big5 的 GBK".encode("gbk"), None),  # decodes to something, no crash
])
def test_mislabeled_chinese_charsets_never_crash(world, process, charset, payload, expected):
    result = process(message(b64word("字符集标错", "gbk").replace("gbk", charset), payload,
                             charset=charset))
    assert result.status == InboundMailStatus.CREATED
    if expected is not None:
        assert result.record.description == expected
    assert result.record.title  # some text, never empty or an exception


def thirty_megabytes() -> bytes:
    """A real 30 MB message: a short text part and a 30 MB attachment."""
    blob = base64.encodebytes(os.urandom(22 * 1024 * 1024)).replace(b"\n", b"\r\n")
    head = (f"From: {SENDER}\r\nTo: desk@itsm.example.cn\r\nSubject: {b64word('三十兆的日志')}\r\n"
            "Message-ID: <thirty-mb@mail.example.cn>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="big"\r\n\r\n'
            "--big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nlog attached\r\n"
            "--big\r\nContent-Type: application/octet-stream\r\n"
            'Content-Disposition: attachment; filename="app.log"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n").encode()
    raw = head + blob + b"\r\n--big--\r\n"
    assert len(raw) > 30 * 1000 * 1000
    return raw


def test_a_30_mb_message_is_quarantined_with_its_size(world, process, settings):
    assert settings.MAIL_MAX_BYTES == 25 * 1024 * 1024  # the shipped default
    raw = thirty_megabytes()
    result = process(raw)
    assert result.status == InboundMailStatus.QUARANTINED
    assert "the limit is 25.0\xa0MB" in result.reason
    inbound = InboundMail.objects.get()
    assert inbound.size == len(raw) and inbound.subject == "三十兆的日志"
    assert ServiceRequest.objects.count() == 0 and mail.outbox == []


@needs_dovecot
def test_a_30_mb_message_in_the_mailbox_is_not_downloaded(world, imap, poll, settings):
    """Past the limit only the header is fetched; the worker carries on with the next mail."""
    imap.append(thirty_megabytes(), message("大邮件之后的正常邮件"))
    stats = poll()
    assert (stats.fetched, stats.created, stats.quarantined, stats.errors) == (2, 1, 1, 0)
    big = InboundMail.objects.get(status=InboundMailStatus.QUARANTINED)
    assert big.size > 30 * 1000 * 1000 and "limit" in big.reason
    with big.raw.open("rb") as stored:
        assert len(stored.read()) < 10_000  # the header only
    assert imap.unseen() == []


class VacationResponder:
    """The other mailbox of a loop: answers every message it receives, at once.

    ``threads`` keeps In-Reply-To / References (a polite responder); without it each
    answer looks like new mail (subject changed, no references, no Auto-Submitted) — the
    worst case, which only our per-sender acknowledgement limit can stop."""

    def __init__(self, threads: bool) -> None:
        self.threads = threads
        self.sent = 0

    def answer(self, outgoing) -> bytes:
        self.sent += 1
        subject = b64word(f"自动回复: 我在休假 ({self.sent})")
        if not self.threads:
            return message(subject, "我正在休假，稍后回复。")
        ref = outgoing.extra_headers["Message-ID"]
        return message(subject, "我正在休假，稍后回复。",
                       headers=f"In-Reply-To: {ref}\r\nReferences: {ref}\r\n")


@pytest.mark.parametrize("threads", [True, False], ids=["threading", "thread-breaking"])
def test_an_auto_reply_loop_between_two_mailboxes_is_capped(world, process, threads):
    responder = VacationResponder(threads)
    process(message("打印机坏了", "请帮忙"))
    delivered = 0
    for _ in range(100):  # at most 100 rounds; the loop must die long before
        outgoing = mail.outbox[delivered:]
        if not outgoing:
            break
        delivered = len(mail.outbox)
        for sent in outgoing:
            assert sent.recipients() == [SENDER]
            assert sent.extra_headers["Auto-Submitted"] == "auto-replied"
            assert process(responder.answer(sent)).status in (
                InboundMailStatus.CREATED, InboundMailStatus.COMMENTED)
    assert mail.outbox[delivered:] == []  # the loop ended by itself
    assert len(mail.outbox) <= acknowledgements.ACK_LIMIT_PER_HOUR
    assert responder.sent == len(mail.outbox)
    tickets = ServiceRequest.objects.count()
    assert tickets == (1 if threads else acknowledgements.ACK_LIMIT_PER_HOUR + 1)
