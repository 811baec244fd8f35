"""Make the audit log append-only in the database itself (see mccs/audit/guard.py)."""

from django.db import migrations

TABLE = "audit_auditentry"
# Every column but actor_id, which Django sets to NULL when the acting user is deleted.
FROZEN_COLUMNS = [
    "id",
    "at",
    "actor_email",
    "actor_is_admin",
    "ip",
    "action",
    "object_type",
    "object_id",
    "entity_id",
    "user_id",
    "changes",
]

SQLITE_FORWARD = [
    f"""CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON {TABLE}
        WHEN mccs_audit_locked()
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    f"""CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON {TABLE}
        WHEN mccs_audit_locked() AND NOT (NEW.actor_id IS NULL AND {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in FROZEN_COLUMNS)})
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
]

POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF coalesce(current_setting('mccs.audit_maintenance', true), '') = 'on' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit entries are append-only' USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    f"""CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
    f"""CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()""",
]
POSTGRES_BACKWARD = [
    f"DROP TRIGGER IF EXISTS audit_entry_no_truncate ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_entry_no_change ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
