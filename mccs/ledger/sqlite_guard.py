"""SQLite's side of "postings are never deleted" (see migration 0003 and docs/adr/0011).

The SQLite trigger that refuses a DELETE of a posting asks ``mccs_ledger_wipe()`` first. MCCS registers that
function on each of its SQLite connections; it answers 1 only while Django's ``flush`` empties every table (as the
test runner does between tests), because a flush is not a correction of the ledger but its removal. Clients without
the function — the sqlite3 shell, another program — get an error, so their DELETE is refused too.
"""

from __future__ import annotations

import importlib
import threading
from contextlib import contextmanager

from django.db import connections

_state = threading.local()


def _wipe_allowed() -> int:
    return 1 if getattr(_state, "wiping", False) else 0


def register_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("mccs_ledger_wipe", 0, _wipe_allowed, deterministic=False)


@contextmanager
def ledger_wipe():
    _state.wiping = True
    try:
        yield
    finally:
        _state.wiping = False


def allow_wipe_during_flush() -> None:
    # Imported through base: operations imports base first, so importing it directly is circular. The stubs do
    # not list base's re-export.
    from django.db.backends.sqlite3.base import DatabaseOperations  # type: ignore[attr-defined]

    if getattr(DatabaseOperations.execute_sql_flush, "_mccs_wraps", False):
        return
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with ledger_wipe():
            return original(self, sql_list)

    execute_sql_flush._mccs_wraps = True  # type: ignore[attr-defined]
    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]


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
