"""Double entry enforced by the database itself, on SQLite and PostgreSQL (see docs/ledger.md).

- A transfer that becomes ``completed`` (or is inserted completed, as an administrator's transfer is) gets its two
  postings from a trigger: the payer's ``-amount`` and the payee's ``+amount``. A posting that does not match its
  transfer (wrong account, wrong amount, transfer not completed) is refused, and ``(transfer, account)`` is unique,
  so every transfer's postings sum to zero — by construction, with no deferred check needed.
- Each posting, once inserted, moves its account's cached ``balance`` and ``last_posting`` (another trigger). Any
  other change of ``balance`` or ``last_posting`` is refused: the balance may only move by the amount of a posting
  of that account that is newer than the last one applied. By induction the cached balance is always the sum of the
  account's postings. A new account starts at zero with no posting applied.

Applications must lock the accounts before completing a transfer (lock_objects.py does), so that postings of one
account are numbered in the order they are applied.
"""

from django.db import migrations, models

REFUSE_POSTING = "a posting must match its completed transfer: postings are written by the database"
REFUSE_BALANCE = "an account balance moves only with a new posting of that account"
REFUSE_NEW_ACCOUNT = "a new account starts with a zero balance"

SQLITE_FORWARD = [
    """CREATE TRIGGER ledger_transfer_posts_on_complete AFTER UPDATE OF state ON ledger_transfer
       WHEN OLD.state = 'pending' AND NEW.state = 'completed'
       BEGIN
         INSERT INTO ledger_posting (transfer_id, account_id, amount, created_at)
         VALUES (NEW.id, NEW.payer_id, -NEW.amount, NEW.completed_at),
                (NEW.id, NEW.payee_id, NEW.amount, NEW.completed_at);
       END""",
    """CREATE TRIGGER ledger_transfer_posts_on_insert AFTER INSERT ON ledger_transfer
       WHEN NEW.state = 'completed'
       BEGIN
         INSERT INTO ledger_posting (transfer_id, account_id, amount, created_at)
         VALUES (NEW.id, NEW.payer_id, -NEW.amount, NEW.completed_at),
                (NEW.id, NEW.payee_id, NEW.amount, NEW.completed_at);
       END""",
    f"""CREATE TRIGGER ledger_posting_matches_transfer BEFORE INSERT ON ledger_posting
       WHEN NOT EXISTS (
         SELECT 1 FROM ledger_transfer t WHERE t.id = NEW.transfer_id AND t.state = 'completed'
           AND ((NEW.account_id = t.payer_id AND NEW.amount = -t.amount)
             OR (NEW.account_id = t.payee_id AND NEW.amount = t.amount)))
       BEGIN SELECT RAISE(ABORT, '{REFUSE_POSTING}'); END""",
    """CREATE TRIGGER ledger_posting_moves_balance AFTER INSERT ON ledger_posting
       BEGIN
         UPDATE ledger_account SET balance = balance + NEW.amount, last_posting_id = NEW.id
         WHERE id = NEW.account_id;
       END""",
    f"""CREATE TRIGGER ledger_account_balance_from_postings BEFORE UPDATE OF balance, last_posting_id
       ON ledger_account
       WHEN (NEW.balance IS NOT OLD.balance OR NEW.last_posting_id IS NOT OLD.last_posting_id)
         AND NOT (NEW.last_posting_id > coalesce(OLD.last_posting_id, 0) AND EXISTS (
           SELECT 1 FROM ledger_posting p WHERE p.id = NEW.last_posting_id AND p.account_id = NEW.id
             AND NEW.balance = OLD.balance + p.amount))
       BEGIN SELECT RAISE(ABORT, '{REFUSE_BALANCE}'); END""",
    f"""CREATE TRIGGER ledger_account_starts_at_zero BEFORE INSERT ON ledger_account
       WHEN NEW.balance <> 0 OR NEW.last_posting_id IS NOT NULL
       BEGIN SELECT RAISE(ABORT, '{REFUSE_NEW_ACCOUNT}'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_transfer_posts_on_complete",
    "DROP TRIGGER IF EXISTS ledger_transfer_posts_on_insert",
    "DROP TRIGGER IF EXISTS ledger_posting_matches_transfer",
    "DROP TRIGGER IF EXISTS ledger_posting_moves_balance",
    "DROP TRIGGER IF EXISTS ledger_account_balance_from_postings",
    "DROP TRIGGER IF EXISTS ledger_account_starts_at_zero",
]

POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION ledger_transfer_post() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO ledger_posting (transfer_id, account_id, amount, created_at)
         VALUES (NEW.id, NEW.payer_id, -NEW.amount, NEW.completed_at),
                (NEW.id, NEW.payee_id, NEW.amount, NEW.completed_at);
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER ledger_transfer_posts_on_complete AFTER UPDATE OF state ON ledger_transfer
       FOR EACH ROW WHEN (OLD.state = 'pending' AND NEW.state = 'completed')
       EXECUTE FUNCTION ledger_transfer_post()""",
    """CREATE TRIGGER ledger_transfer_posts_on_insert AFTER INSERT ON ledger_transfer
       FOR EACH ROW WHEN (NEW.state = 'completed') EXECUTE FUNCTION ledger_transfer_post()""",
    f"""CREATE OR REPLACE FUNCTION ledger_posting_check() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NOT EXISTS (
           SELECT 1 FROM ledger_transfer t WHERE t.id = NEW.transfer_id AND t.state = 'completed'
             AND ((NEW.account_id = t.payer_id AND NEW.amount = -t.amount)
               OR (NEW.account_id = t.payee_id AND NEW.amount = t.amount))) THEN
           RAISE EXCEPTION '{REFUSE_POSTING}' USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER ledger_posting_matches_transfer BEFORE INSERT ON ledger_posting
       FOR EACH ROW EXECUTE FUNCTION ledger_posting_check()""",
    """CREATE OR REPLACE FUNCTION ledger_posting_apply() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE ledger_account SET balance = balance + NEW.amount, last_posting_id = NEW.id
         WHERE id = NEW.account_id;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER ledger_posting_moves_balance AFTER INSERT ON ledger_posting
       FOR EACH ROW EXECUTE FUNCTION ledger_posting_apply()""",
    f"""CREATE OR REPLACE FUNCTION ledger_account_check() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           IF NEW.balance <> 0 OR NEW.last_posting_id IS NOT NULL THEN
             RAISE EXCEPTION '{REFUSE_NEW_ACCOUNT}' USING ERRCODE = 'integrity_constraint_violation';
           END IF;
         ELSIF (NEW.balance IS DISTINCT FROM OLD.balance OR NEW.last_posting_id IS DISTINCT FROM OLD.last_posting_id)
           AND NOT (NEW.last_posting_id > coalesce(OLD.last_posting_id, 0) AND EXISTS (
             SELECT 1 FROM ledger_posting p WHERE p.id = NEW.last_posting_id AND p.account_id = NEW.id
               AND NEW.balance = OLD.balance + p.amount)) THEN
           RAISE EXCEPTION '{REFUSE_BALANCE}' USING ERRCODE = 'integrity_constraint_violation';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER ledger_account_balance_from_postings BEFORE INSERT OR UPDATE OF balance, last_posting_id
       ON ledger_account FOR EACH ROW EXECUTE FUNCTION ledger_account_check()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_transfer_posts_on_complete ON ledger_transfer",
    "DROP TRIGGER IF EXISTS ledger_transfer_posts_on_insert ON ledger_transfer",
    "DROP FUNCTION IF EXISTS ledger_transfer_post()",
    "DROP TRIGGER IF EXISTS ledger_posting_matches_transfer ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_posting_check()",
    "DROP TRIGGER IF EXISTS ledger_posting_moves_balance ON ledger_posting",
    "DROP FUNCTION IF EXISTS ledger_posting_apply()",
    "DROP TRIGGER IF EXISTS ledger_account_balance_from_postings ON ledger_account",
    "DROP FUNCTION IF EXISTS ledger_account_check()",
]


def backfill_last_posting(apps, schema_editor):
    """Existing accounts: the last posting applied is their newest one (their balances are what they were)."""
    Account = apps.get_model("ledger", "Account")
    Posting = apps.get_model("ledger", "Posting")
    latest = Posting.objects.filter(account=models.OuterRef("pk")).order_by("-id").values("id")[:1]
    Account.objects.update(last_posting=models.Subquery(latest))


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
    dependencies = [("ledger", "0004_transfer_initiated_by_protect")]

    operations = [
        migrations.AddField(
            model_name="account",
            name="last_posting",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=models.PROTECT,
                related_name="+",
                to="ledger.posting",
            ),
        ),
        migrations.RunPython(backfill_last_posting, migrations.RunPython.noop),
        migrations.RunPython(forward, backward),
    ]
