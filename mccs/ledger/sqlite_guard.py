"""SQLite's side of "postings are never deleted" (see migration 0003 and docs/adr/0011).

The SQLite trigger that refuses a DELETE of a posting asks ``mccs_ledger_wipe()`` first. MCCS registers that
function on each of its SQLite connections; it answers 1 only while ``flush`` empties every table (as the test
runner does between tests), because a flush is not a correction of the ledger but its removal. ``flush`` opens that
door with the audit log's switch (``mccs.audit.guard.audit_maintenance``, set by the ``flush`` command), the one
mechanism for both. Clients without the function — the sqlite3 shell, another program — get an error, so their
DELETE is refused too.
"""

from __future__ import annotations

import importlib

from django.db import connections

from mccs.audit.guard import wipe_allowed


def _wipe_allowed() -> int:
    return 1 if wipe_allowed() else 0


def register_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("mccs_ledger_wipe", 0, _wipe_allowed, deterministic=False)


TRIGGER_MIGRATIONS = ("0003_append_only_triggers", "0005_double_entry_in_the_database")


def reinstall_triggers(sender, using="default", **kwargs) -> None:
    """After ``migrate``, put back any ledger trigger that SQLite lost. SQLite cannot alter most columns in place,
    so Django rebuilds a table (copy, drop, rename) when a later migration changes it — and dropping a table drops
    its triggers. The triggers' text lives in the migrations that first created them."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'ledger_posting'")
        if cursor.fetchone() is None:
            return  # migrated backwards, or not yet
        for name in TRIGGER_MIGRATIONS:
            module = importlib.import_module(f"mccs.ledger.migrations.{name}")
            for sql in module.SQLITE_FORWARD:
                cursor.execute(sql.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1))
