"""Backup and restore: ``itsm backup`` taken during load, restored into an empty database.

The restore runs the real ``itsm`` CLI in a subprocess against a new database (SQLite:
a temporary file; PostgreSQL: a database created for the test) with its own var
directory, so it sees only what the archive brings: the schema, the rows, the files.
"""

# covers: backup/restore (row counts, audit chain and attachment checksums match)

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from itsm.conftest import is_postgres
from itsm.core import backup, services
from itsm.core.models import Attachment, AuditEntry, Comment
from itsm.servicedesk.models import ServiceRequest

from .scenario import upload

ITSM = str(Path(sys.executable).with_name("itsm"))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def make_tickets(world, count: int, *, tag: str = "") -> list[ServiceRequest]:
    tickets = []
    for i in range(count):
        ticket = world.request("requester_a", title=f"备份测试 {tag}{i}")
        services.add_comment(ticket, actor=world.requester_a, body=f"补充说明 {i}")
        content = f"log {tag}{i}\n".encode() * 50
        services.add_attachment(ticket, actor=world.requester_a,
                                upload=upload(f"日志-{tag}{i}.txt", content))
        tickets.append(ticket)
    return tickets


class Target:
    """An empty database (and var directory) for the restoring subprocess."""

    def __init__(self, tmp_path: Path):
        self.var = tmp_path / "restored-var"
        self.var.mkdir(parents=True)
        self.pg_name = None
        if is_postgres():
            self.pg_name = f"itsm_restore_{uuid.uuid4().hex[:12]}"
            self._admin(f'CREATE DATABASE "{self.pg_name}"')
            db = connection.settings_dict
            self.url = (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{self.pg_name}")
        else:
            self.url = f"sqlite:///{self.var / 'restored.sqlite3'}"

    @staticmethod
    def _admin(sql: str) -> None:
        import psycopg

        db = connection.settings_dict
        with psycopg.connect(dbname="postgres", user=db["USER"], host=db["HOST"] or "127.0.0.1",
                             port=db["PORT"] or 5432, password=db["PASSWORD"] or None,
                             autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self.pg_name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def itsm(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ITSM_")}
        env.update(DJANGO_SETTINGS_MODULE="itsm.settings", ITSM_DATABASE_URL=self.url,
                   ITSM_VAR_DIR=str(self.var))
        return subprocess.run([ITSM, *args], env=env, capture_output=True, text=True,
                              timeout=300, check=False)

    def counts(self, tables: list[str]) -> dict[str, int]:
        """Row counts read directly from the restored database, not through ITSM."""
        if self.pg_name:
            import psycopg

            db = connection.settings_dict
            conn = psycopg.connect(dbname=self.pg_name, user=db["USER"],
                                   host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                                   password=db["PASSWORD"] or None)
        else:
            conn = sqlite3.connect(self.var / "restored.sqlite3")
        try:
            cursor = conn.cursor()
            result = {}
            for table in tables:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - model tables
                result[table] = cursor.fetchone()[0]
            return result
        finally:
            conn.close()


@pytest.fixture
def target(tmp_path):
    made = []

    def make() -> Target:
        made.append(Target(tmp_path / f"t{len(made)}"))
        return made[-1]

    yield make
    for t in made:
        t.drop()


def read_manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile(backup.MANIFEST))


def assert_restored(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verification passed" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_an_empty_database_with_matching_counts_chain_and_files(
        world, media, tmp_path, target):
    tickets = make_tickets(world, 3)
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    manifest = read_manifest(archive)
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["tables"][ServiceRequest._meta.db_table] == 3
    assert manifest["tables"][Attachment._meta.db_table] == 3
    assert manifest["tables"][Comment._meta.db_table] == 3
    assert len(manifest["attachments"]) == 3
    assert manifest["audit"]["last_entry_hash"] == manifest["audit"]["chain_head_hash"]
    for attachment in Attachment.objects.all():
        assert manifest["media"][attachment.file.name] == attachment.sha256
    # The backup itself is audited, after the snapshot.
    assert manifest["audit"]["entries"] + 1 == AuditEntry.objects.count()

    t = target()
    result = t.itsm("restore", str(archive))
    assert_restored(result)
    assert t.counts(list(manifest["tables"])) == manifest["tables"]
    for rel, digest in manifest["media"].items():
        assert backup.sha256_file(t.var / "media" / rel) == digest
    # The restored database works through ITSM too.
    check = t.itsm("verify-audit")
    assert check.returncode == 0, check.stderr
    assert f"{manifest['audit']['entries']} entries verified" in check.stdout
    assert {tk.number for tk in tickets} <= set(
        json.loads(t.itsm("shell", "-c", "import json; from itsm.servicedesk.models import "
                          "ServiceRequest as S; print(json.dumps(list(S.objects.values_list("
                          "'number', flat=True))))").stdout.strip().splitlines()[-1]))


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(world, media, tmp_path, target):
    make_tickets(world, 1)
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    t = target()
    assert_restored(t.itsm("restore", str(archive)))
    before = t.counts([ServiceRequest._meta.db_table])
    again = t.itsm("restore", str(archive))
    assert again.returncode != 0
    assert "Restore refused" in again.stderr and "not empty" in again.stderr
    assert t.counts([ServiceRequest._meta.db_table]) == before


@pytest.mark.django_db(transaction=True)
def test_a_tampered_attachment_is_reported_as_a_checksum_mismatch(world, media, tmp_path,
                                                                  target):
    make_tickets(world, 2)
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    victim = Attachment.objects.order_by("id").first().file.name
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == f"media/{victim}":
                data = data.replace(b"log", b"LOG")
            if data is not None:
                member.size = len(data)
                dst.addfile(member, io.BytesIO(data))
            else:
                dst.addfile(member)
    result = target().itsm("restore", str(tampered))
    assert result.returncode != 0
    assert f"file {victim}: checksum mismatch" in result.stderr
    assert f"attachment {victim}: checksum mismatch" in result.stderr
    assert "Verification FAILED" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_backup_taken_during_load_restores_consistently(world, media, tmp_path, target):
    make_tickets(world, 2, tag="before-")
    stop = threading.Event()
    created: list[str] = []
    errors: list[BaseException] = []

    def load() -> None:
        i = 0
        try:
            while not stop.is_set() or len(created) < 3:
                # SQLite: the writer may meet the backup's read lock; it tries again.
                with contextlib.suppress(OperationalError):
                    created.append(make_tickets(world, 1, tag=f"load-{i}-")[0].number)
                i += 1
                if i > 200:
                    break
                time.sleep(0.01)  # leave the SQLite lock free now and then
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=load)
    thread.start()
    try:
        archives = []
        for n in range(3):  # several backups while tickets keep arriving
            archive = tmp_path / f"backup-{n}.tar.gz"
            for _attempt in range(20):
                try:
                    call_command("backup", output=str(archive), stdout=io.StringIO())
                    break
                except OperationalError:
                    # The SQLite test database is in memory with a shared cache, where a
                    # write meeting another connection's lock fails at once (SQLITE_LOCKED)
                    # instead of waiting as on a file database; PostgreSQL never gets here.
                    if is_postgres():
                        raise
            archives.append(archive)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not errors, errors
    assert created
    snapshots = [read_manifest(a)["tables"][ServiceRequest._meta.db_table] for a in archives]
    assert snapshots == sorted(snapshots)  # each a consistent point in time, in order
    archive = archives[-1]
    manifest = read_manifest(archive)
    live = ServiceRequest.objects.count()
    assert 2 <= manifest["tables"][ServiceRequest._meta.db_table] <= live
    t = target()
    assert_restored(t.itsm("restore", str(archive)))
    assert t.counts(list(manifest["tables"])) == manifest["tables"]
    # Every attachment row of the snapshot has its file; the chain verified in the subprocess.
    assert set(manifest["attachments"]) <= set(manifest["media"])


def test_missing_pg_tool_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump is not installed"):
        backup.require_tool("pg_dump")
