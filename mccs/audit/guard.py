"""The database refuses to change or remove audit entries (and, through the same switch, ledger postings).

Triggers (migration 0003) abort every UPDATE and DELETE on the audit table — and TRUNCATE on PostgreSQL — with one
exception: Django may set ``actor_id`` to NULL when the acting user is deleted (``actor_email`` keeps who it was).

The only way around them is :func:`audit_maintenance`, used by ``flush`` (``mccs flush``, and the test runner
between transactional tests), the command that wipes the whole database on purpose. On SQLite the triggers ask the
application function ``mccs_audit_locked()``; a connection that does not define it (the ``sqlite3`` shell, another
program) fails closed. On PostgreSQL they read the session setting ``mccs.audit_maintenance``.

This is the project's one "append-only except during flush" switch: the ledger's SQLite trigger on postings asks
:func:`wipe_allowed` too (``mccs.ledger.sqlite_guard``), so ``flush`` is the only way past both.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

from django.db import connections

_maintenance: ContextVar[bool] = ContextVar("mccs_audit_maintenance", default=False)
APPEND_ONLY_MESSAGE = "audit entries are append-only"


def wipe_allowed() -> bool:
    """Whether ``flush`` is wiping the database right now, in this context (see :func:`audit_maintenance`)."""
    return _maintenance.get()


def _locked() -> int:
    return 0 if wipe_allowed() else 1


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """connection_created handler: give every SQLite connection the function the triggers call."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("mccs_audit_locked", 0, _locked)


@contextlib.contextmanager
def audit_maintenance(using: str = "default"):
    """Let the next statements on this connection wipe the audit table. For ``flush`` only."""
    connection = connections[using]
    token = _maintenance.set(True)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('mccs.audit_maintenance', 'on', false)")
        yield
    finally:
        _maintenance.reset(token)
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('mccs.audit_maintenance', '', false)")
