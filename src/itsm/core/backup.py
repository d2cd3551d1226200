"""Backup and restore: one ``.tar.gz`` with the database, the attachments and a manifest.

``create_backup`` takes a consistent copy of the live database while others write:
SQLite through the online backup API (one step, one read snapshot), PostgreSQL with
``pg_dump --format=custom --snapshot=…`` on a snapshot exported by a REPEATABLE READ
transaction. The manifest's row counts, audit hashes and attachment list are read from
that same snapshot (SQLite: from the copy), so they describe exactly what the dump holds.
Attachment files are archived after the snapshot: every file a snapshot row names was
written before its row committed, so it is there.

``restore_backup`` loads an archive into the configured database only when that
database is empty (no people, organizations or audit entries: a new or freshly migrated
database), puts the files under MEDIA_ROOT, and verifies row counts, the audit hash
chain and every file's SHA-256 against the manifest and the attachment rows.

Archive layout: ``manifest.json``, ``database/itsm.sqlite3`` or ``database/itsm.pgdump``,
``media/<path under MEDIA_ROOT>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump/pg_restore with argument lists, no shell
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, connections

from .audit import log_event, verify_chain
from .choices import AuditAction
from .models import Attachment, AuditChainHead, AuditEntry, Organization

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/itsm.sqlite3"
PG_MEMBER = "database/itsm.pgdump"
MEDIA_PREFIX = "media"


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message says why."""


# --- What the manifest describes ------------------------------------------------------------


def counted_tables() -> list[str]:
    """The tables of every concrete, managed model (ours, auth, sessions …)."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    }
    return sorted(tables)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scalar(cursor: Any, sql: str) -> Any:
    cursor.execute(sql)
    row = cursor.fetchone()
    return row[0] if row else None


def _facts(cursor: Any, existing: set[str]) -> dict[str, Any]:
    """Row counts, audit hashes and attachment rows as seen by ``cursor``'s snapshot."""
    counts = {
        table: _scalar(cursor, f"SELECT COUNT(*) FROM {_q(table)}")  # noqa: S608 # nosec B608 - model table names
        for table in counted_tables() if table in existing
    }
    entries, heads, files = (AuditEntry._meta.db_table, AuditChainHead._meta.db_table,
                             Attachment._meta.db_table)
    last_entry = _scalar(cursor, f"SELECT hash FROM {_q(entries)} ORDER BY id DESC LIMIT 1")  # noqa: S608 # nosec B608
    head = _scalar(cursor, f"SELECT last_hash FROM {_q(heads)} WHERE id = 1")  # noqa: S608 # nosec B608
    cursor.execute(f"SELECT file, sha256 FROM {_q(files)} ORDER BY id")  # noqa: S608 # nosec B608
    attachments = {name: digest for name, digest in cursor.fetchall()}
    return {
        "tables": counts,
        "audit": {"entries": counts.get(entries, 0), "last_entry_hash": last_entry,
                  "chain_head_hash": head},
        "attachments": attachments,
    }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _itsm_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("itsm")
    except PackageNotFoundError:
        return None


# --- PostgreSQL tools --------------------------------------------------------------------------


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed (or not on PATH). Install the PostgreSQL client tools "
            f"of the server's major version, e.g. `apt-get install postgresql-client`.")
    return path


def _pg_env() -> dict[str, str]:
    """The environment that points pg_dump/pg_restore at the configured database."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if db.get(key):
            env[var] = str(db[key])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _pg_connect() -> Any:
    import psycopg

    db = connection.settings_dict
    params = {"dbname": db.get("NAME"), "user": db.get("USER"), "password": db.get("PASSWORD"),
              "host": db.get("HOST"), "port": db.get("PORT"),
              "sslmode": (db.get("OPTIONS") or {}).get("sslmode")}
    return psycopg.connect(**{k: str(v) for k, v in params.items() if v})


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603 # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed (exit {result.returncode}): "
                          f"{result.stderr.strip() or result.stdout.strip()}")


# --- Dumping ---------------------------------------------------------------------------------


def _dump_sqlite(dest: Path) -> dict[str, Any]:
    connection.ensure_connection()
    copy = sqlite3.connect(dest)
    try:
        # pages=-1: the whole database in one step, inside one read transaction.
        connection.connection.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        existing = {row[0] for row in cursor.fetchall()}
        return _facts(cursor, existing)
    finally:
        copy.close()


def _dump_postgres(dest: Path) -> dict[str, Any]:
    from psycopg import IsolationLevel

    pg_dump = require_tool("pg_dump")
    conn = _pg_connect()
    try:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            snapshot = _scalar(cursor, "SELECT pg_export_snapshot()")
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            existing = {row[0] for row in cursor.fetchall()}
            facts = _facts(cursor, existing)
            # The exported snapshot lives as long as this transaction: dump while it is open.
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password",
                  f"--file={dest}"], env=_pg_env())
        conn.rollback()
    finally:
        conn.close()
    return facts


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path


def default_output() -> Path:
    directory = Path(settings.VAR_DIR) / "backups"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = directory / f"itsm-{stamp}.tar.gz"
    n = 2
    while path.exists():
        path = directory / f"itsm-{stamp}-{n}.tar.gz"
        n += 1
    return path


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    sha256: str

    @property
    def rows(self) -> int:
        return sum(self.manifest["tables"].values())


def create_backup(output: Path | None = None, *, audit: bool = True) -> BackupResult:
    """Write the archive to ``output`` (default ``var/backups/itsm-<UTC time>.tar.gz``)."""
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    output = Path(output) if output else default_output()
    output.parent.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="itsm-backup-") as tmp:
        member = SQLITE_MEMBER if vendor == "sqlite" else PG_MEMBER
        dump = Path(tmp) / Path(member).name
        facts = _dump_sqlite(dump) if vendor == "sqlite" else _dump_postgres(dump)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "itsm_version": _itsm_version(),
            "database": {"vendor": vendor, "member": member, "sha256": sha256_file(dump)},
            **facts,
            "media": {},
        }
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(dump, arcname=member)
            for rel, path in _media_files(media_root):
                manifest["media"][rel] = sha256_file(path)
                tar.add(path, arcname=f"{MEDIA_PREFIX}/{rel}")
            missing = sorted(set(facts["attachments"]) - set(manifest["media"]))
            if missing:
                raise BackupError(f"Attachment files missing under {media_root}: "
                                  + ", ".join(missing[:10]))
            data = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode()
            manifest_path = Path(tmp) / MANIFEST
            manifest_path.write_bytes(data)
            tar.add(manifest_path, arcname=MANIFEST)
        partial.chmod(0o600)  # password hashes and personal data
        os.replace(partial, output)
    result = BackupResult(output, manifest, sha256_file(output))
    if audit:

        log_event(action=AuditAction.READ, object_type="itsm.backup", object_id=output.name,
                  object_repr=f"backup {output.name}",
                  changes={"backup": str(output), "sha256": result.sha256, "rows": result.rows,
                           "files": len(manifest["media"]), "vendor": vendor})
    return result


# --- Restoring ---------------------------------------------------------------------------------


def database_is_empty() -> bool:
    """No people, organizations or audit entries (a new or freshly migrated database)."""
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in (get_user_model(), Organization, AuditEntry):
            table = model._meta.db_table
            if table in existing and _scalar(
                    cursor, f"SELECT 1 FROM {_q(table)} LIMIT 1") is not None:  # noqa: S608 # nosec B608
                return False
    return True


def _restore_sqlite(dump: Path) -> None:
    name = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db() or name == ":memory:":
        raise BackupError("The configured SQLite database is in memory; restore needs a file.")
    connections.close_all()
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        # Writes through SQLite (locks, WAL) into the configured file, replacing its content.
        source.backup(connection.connection, pages=-1)
    finally:
        source.close()
    connections.close_all()


def _restore_postgres(dump: Path) -> None:
    pg_restore = require_tool("pg_restore")
    connections.close_all()
    _run([pg_restore, "--no-owner", "--clean", "--if-exists", "--single-transaction",
          "--exit-on-error", "--no-password",
          f"--dbname={connection.settings_dict['NAME']}", str(dump)], env=_pg_env())


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    tables_checked: int = 0
    rows: int = 0
    audit_entries: int = 0
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _verify(manifest: dict[str, Any], report: RestoreReport) -> None:
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table, expected in sorted(manifest["tables"].items()):
            if table not in existing:
                report.problems.append(f"table {table}: missing after restore")
                continue
            actual = _scalar(cursor, f"SELECT COUNT(*) FROM {_q(table)}")  # noqa: S608 # nosec B608
            report.tables_checked += 1
            report.rows += actual
            if actual != expected:
                report.problems.append(f"table {table}: {actual} rows, manifest says {expected}")
    chain = verify_chain()
    report.audit_entries = chain.checked
    if not chain.ok:
        where = f" at entry #{chain.broken_entry.pk}" if chain.broken_entry else ""
        report.problems.append(f"audit chain broken{where}: {chain.reason}")
    head = AuditChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    if head != manifest["audit"]["chain_head_hash"]:
        report.problems.append(f"audit chain head {head} differs from the manifest's "
                               f"{manifest['audit']['chain_head_hash']}")
    media_root = Path(settings.MEDIA_ROOT)
    actual: dict[str, str] = {}
    for rel, expected in sorted(manifest["media"].items()):
        path = media_root / rel
        report.files_checked += 1
        if not path.is_file():
            report.problems.append(f"file {rel}: missing after restore")
            continue
        actual[rel] = sha256_file(path)
        if actual[rel] != expected:
            report.problems.append(f"file {rel}: checksum mismatch (sha256 differs from the "
                                   "manifest)")
    for name, digest in Attachment.objects.order_by("id").values_list("file", "sha256"):
        path = media_root / name
        if name not in actual and path.is_file():
            actual[name] = sha256_file(path)
        if name not in actual:
            report.problems.append(f"attachment {name}: file missing")
        elif actual[name] != digest:
            report.problems.append(f"attachment {name}: checksum mismatch (the file differs "
                                   "from the sha256 recorded at upload)")


def restore_backup(archive: Path) -> RestoreReport:
    """Restore ``archive`` into the configured (empty) database and MEDIA_ROOT, then verify."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"No such backup archive: {archive}")
    with tempfile.TemporaryDirectory(prefix="itsm-restore-") as tmp:
        root = Path(tmp)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(root, filter="data")
            manifest = json.loads((root / MANIFEST).read_text())
        except (OSError, tarfile.TarError, ValueError) as exc:
            raise BackupError(f"{archive} is not a readable ITSM backup: {exc}") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
        vendor = manifest["database"]["vendor"]
        if vendor != connection.vendor:
            raise BackupError(f"The backup is of a {vendor} database; the configured database "
                              f"is {connection.vendor}.")
        dump = root / manifest["database"]["member"]
        if sha256_file(dump) != manifest["database"]["sha256"]:
            raise BackupError("The database dump in the archive does not match its checksum "
                              "in the manifest; the archive is damaged.")
        if not database_is_empty():
            raise BackupError(
                "The configured database is not empty (it has people, organizations or audit "
                "entries). Restore only into a new or freshly migrated database.")
        if vendor == "sqlite":
            _restore_sqlite(dump)
        else:
            _restore_postgres(dump)
        media_root = Path(settings.MEDIA_ROOT)
        extracted = root / MEDIA_PREFIX
        for rel in manifest["media"]:
            source = extracted / rel
            target = media_root / rel
            if not target.resolve().is_relative_to(media_root.resolve()):
                raise BackupError(f"The manifest names a file outside MEDIA_ROOT: {rel}")
            if source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
        report = RestoreReport(manifest)
        _verify(manifest, report)
        return report
