"""The database refuses to change or remove postings, and to change a transfer once it is completed or cancelled.

SQLite: a DELETE of a posting is allowed only while ``mccs_ledger_wipe()`` answers 1 — a function that MCCS
registers on its own connections and that answers 1 only during ``flush`` (which empties every table at once). Any
other client (the sqlite3 shell) does not have the function, so its DELETE fails as well.
PostgreSQL: row triggers refuse UPDATE and DELETE unconditionally; TRUNCATE (used by ``flush``) is not a row event.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_posting_no_update BEFORE UPDATE ON ledger_posting
       BEGIN SELECT RAISE(ABORT, 'ledger_posting is append-only: postings are never updated'); END""",
    """CREATE TRIGGER ledger_posting_no_delete BEFORE DELETE ON ledger_posting WHEN NOT mccs_ledger_wipe()
       BEGIN SELECT RAISE(ABORT, 'ledger_posting is append-only: postings are never deleted'); END""",
    """CREATE TRIGGER ledger_transfer_final BEFORE UPDATE ON ledger_transfer WHEN OLD.state <> 'pending'
       BEGIN SELECT RAISE(ABORT, 'a completed or cancelled transfer never changes'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_posting_no_update",
    "DROP TRIGGER IF EXISTS ledger_posting_no_delete",
    "DROP TRIGGER IF EXISTS ledger_transfer_final",
]

POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION ledger_posting_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'ledger_posting is append-only: postings are never %', lower(TG_OP) || 'd'; END $$""",
    """CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
       FOR EACH ROW EXECUTE FUNCTION ledger_posting_refuse()""",
    """CREATE OR REPLACE FUNCTION ledger_transfer_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'a completed or cancelled transfer never changes'; END $$""",
    """CREATE TRIGGER ledger_transfer_final BEFORE UPDATE ON ledger_transfer
       FOR EACH ROW WHEN (OLD.state <> 'pending') EXECUTE FUNCTION ledger_transfer_refuse()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_posting_refuse()",
    "DROP TRIGGER IF EXISTS ledger_transfer_final ON ledger_transfer",
    "DROP FUNCTION IF EXISTS ledger_transfer_refuse()",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(
        schema_editor.connection.vendor, []
    )
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(
        schema_editor.connection.vendor, []
    )
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_transfers_postings_idempotency")]

    operations = [migrations.RunPython(forward, backward)]
