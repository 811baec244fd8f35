"""`mccs backup FILE` and `mccs restore FILE --yes`: one file that holds the whole database (see docs/deploy.md).

SQLite: SQLite's online backup API copies a consistent snapshot while the node keeps serving, and restores by the
same API into the live file, so a restore is all or nothing. PostgreSQL: `pg_dump --format=custom` while serving;
a restore empties the schema and replays the dump in ONE transaction through psql, so a failed restore leaves the
database as it was. Either way the restored database is migrated to this version afterwards.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


def _sqlite_path() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    connection_settings: Mapping[str, object] = db  # read by a key from the loop below
    env = dict(os.environ)
    for key, variable in (
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if connection_settings.get(key):
            env[variable] = str(connection_settings[key])
    if sslmode := (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return env


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, capture_output=True, env=_pg_env(), **kwargs)
    except FileNotFoundError as exc:
        raise BackupError(
            f"{args[0]} is not installed; install the PostgreSQL client tools of your server's version."
        ) from exc


def database_backup(path: str) -> str:
    """Write the database to ``path`` (written aside, then renamed into place). Returns the engine's name."""
    target = Path(path)
    if target.is_dir():
        raise BackupError(f"{path} is a directory; name the file to write.")
    partial = target.with_name(f".{target.name}.partial")
    connections.close_all()
    try:
        if _engine() == "sqlite":
            source = sqlite3.connect(_sqlite_path())
            destination = sqlite3.connect(partial)
            try:
                with destination:
                    source.backup(destination)
            finally:
                destination.close()
                source.close()
        else:
            done = _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"])
            if done.returncode:
                raise BackupError(f"pg_dump failed: {done.stderr.decode(errors='replace').strip()}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return _engine()


def database_restore(path: str) -> str:
    """Replace the whole database with the backup in ``path``, then migrate. Stop every server first."""
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"{path} does not exist.")
    with open(source, "rb") as fh:
        header = fh.read(16)
    engine = _engine()
    connections.close_all()
    if engine == "sqlite":
        if header != SQLITE_HEADER:
            raise BackupError(f"{path} is not a SQLite backup made by `mccs backup`; nothing was changed.")
        backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "django_migrations" not in tables:
                raise BackupError(f"{path} is a SQLite file but not an MCCS database; nothing was changed.")
            live = sqlite3.connect(_sqlite_path(), timeout=30)
            try:
                with live:
                    backup.backup(live)
            finally:
                live.close()
        finally:
            backup.close()
    else:
        if not header.startswith(PG_DUMP_HEADER):
            raise BackupError(f"{path} is not a pg_dump archive made by `mccs backup`; nothing was changed.")
        listed = _run(["pg_restore", "--list", str(source)])
        if listed.returncode or b"django_migrations" not in listed.stdout:
            raise BackupError(f"{path} is not an MCCS database dump; nothing was changed.")
        script = _run(["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(source)])
        if script.returncode:
            raise BackupError(f"pg_restore failed: {script.stderr.decode(errors='replace').strip()}")
        # Empty the schema and replay the dump in one transaction: a restore that fails changes nothing.
        sql = b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n" + script.stdout
        done = _run(
            ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1", "--file=-"],
            input=sql,
        )
        if done.returncode:
            raise BackupError(
                f"restoring failed, the database is unchanged: {done.stderr.decode(errors='replace').strip()}"
            )
    call_command("migrate", "--no-input", verbosity=0)
    return engine
