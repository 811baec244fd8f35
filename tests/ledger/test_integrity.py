"""The database defends the ledger, and `mccs ledger-audit` names every violation (found by corrupting data)."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from mccs.cli import main as mccs
from mccs.core.amount import Amount
from mccs.core.errors import InvalidRequest, PermissionDenied
from mccs.ledger.account_numbers import luhn_check_digit
from mccs.ledger.audit import ledger_audit
from mccs.ledger.models import AppendOnly, Posting, Transfer
from mccs.ledger.services import account_limits_set, transfer_accept, transfer_propose
from tests.ledger.conftest import account, number


@pytest.fixture
def completed(alice, bob):
    transfer = transfer_propose(
        actor=alice.user, initiator=number(alice), receiver=number(bob), direction="out", amount=Amount(2500)
    )
    return transfer_accept(actor=bob.user, transfer_id=transfer.pk)


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def without_checks(table: str, *constraints: str) -> None:
    """Switch the CHECK constraints off for this test only (the test's transaction is rolled back)."""
    if connection.vendor == "sqlite":
        raw("PRAGMA ignore_check_constraints = ON")
    else:
        raw("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL alters no table with deferred checks pending
        for name in constraints:
            raw(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')


def without_double_entry_triggers() -> None:
    """Take away the database's double-entry triggers for this test only (rolled back with it), to play a client
    that went around them — e.g. an operator with the database owner's rights — and see the audit catch it."""
    from importlib import import_module

    migration = import_module("mccs.ledger.migrations.0005_double_entry_in_the_database")
    backward = migration.SQLITE_BACKWARD if connection.vendor == "sqlite" else migration.POSTGRES_BACKWARD
    for sql in backward:
        raw(sql)


@pytest.fixture(autouse=True)
def _restore_sqlite_checks(db):
    yield
    if connection.vendor == "sqlite":
        raw("PRAGMA ignore_check_constraints = OFF")


def test_a_clean_ledger_audits_clean(completed, capsys):
    assert ledger_audit() == []
    assert mccs(["ledger-audit"]) == 0
    assert "Ledger audit clean" in capsys.readouterr().out


def test_postings_cannot_be_changed_or_removed(completed):
    posting = Posting.objects.first()
    with pytest.raises(AppendOnly):
        posting.amount = 1
        posting.save()
    with pytest.raises(AppendOnly):
        posting.delete()
    with pytest.raises(AppendOnly):
        Posting.objects.filter(pk=posting.pk).update(amount=5)
    with pytest.raises(AppendOnly):
        Posting.objects.all().delete()
    for sql in ("UPDATE ledger_posting SET amount = amount + 1", "DELETE FROM ledger_posting"):
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(sql)
    assert Posting.objects.count() == 2


def test_a_finished_transfer_cannot_change_in_the_database(completed):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE ledger_transfer SET amount = 1")
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE ledger_transfer SET state = 'pending', completed_at = NULL")


def pk_param(transfer: Transfer):
    return transfer.pk.hex if connection.vendor == "sqlite" else transfer.pk


def test_the_database_refuses_postings_that_do_not_sum_to_zero(completed, alice, bob, carol):
    """Double entry lives in the database: no raw INSERT can add a posting that its transfer does not imply."""
    insert = (
        "INSERT INTO ledger_posting (transfer_id, account_id, amount, created_at) VALUES (%s, %s, %s, %s)"
    )
    pending = transfer_propose(
        actor=alice.user, initiator=number(alice), receiver=number(bob), direction="out", amount=Amount(100)
    )
    attempts = [
        [pk_param(completed), account(carol).pk, 7],  # a third party's posting on a completed transfer
        [pk_param(completed), account(bob).pk, 2500],  # the payee a second time
        [pk_param(pending), account(alice).pk, -100],  # half a transfer that is still pending
        [pk_param(pending), account(bob).pk, 100],
    ]
    for transfer_id, account_id, amount in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(insert, [transfer_id, account_id, amount, completed.completed_at])
    assert Posting.objects.count() == 2
    assert ledger_audit() == []


def test_the_database_refuses_a_balance_that_differs_from_its_postings(completed, alice, bob, carol):
    for sql, params in (
        ("UPDATE ledger_account SET balance = 100 WHERE id = %s", [account(bob).pk]),
        ("UPDATE ledger_account SET balance = balance + 1 WHERE id = %s", [account(carol).pk]),
        ("UPDATE ledger_account SET last_posting_id = NULL WHERE id = %s", [account(bob).pk]),
        # moving the balance by the amount of an existing posting that was already applied
        (
            "UPDATE ledger_account SET balance = balance + 2500, last_posting_id = "
            "(SELECT max(id) FROM ledger_posting) WHERE id = %s",
            [account(bob).pk],
        ),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(sql, params)
    new_account = (
        "INSERT INTO ledger_account (entity_id, number, balance, max_positive_balance, max_negative_balance, "
        "created_at) SELECT entity_id, '0000000000000000', 5, 500, 500, created_at FROM ledger_account WHERE id = %s"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(new_account, [account(carol).pk])
    assert ledger_audit() == []
    assert [account(alice).balance, account(bob).balance, account(carol).balance] == [-2500, 2500, 0]


def test_ledger_triggers_survive_a_table_rebuild_on_sqlite(completed, bob):
    """SQLite drops a table's triggers when a migration rebuilds it; ``migrate`` puts them back."""
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite rebuilds tables to alter them")
    from mccs.ledger.sqlite_guard import reinstall_triggers

    raw("DROP TRIGGER ledger_account_balance_from_postings")
    raw("DROP TRIGGER ledger_posting_no_update")
    reinstall_triggers(sender=None)
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE ledger_account SET balance = 100 WHERE id = %s", [account(bob).pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        raw("UPDATE ledger_posting SET amount = amount + 1")


def test_check_constraints_refuse_impossible_rows(alice, bob):
    transfer = transfer_propose(
        actor=alice.user, initiator=number(alice), receiver=number(bob), direction="out", amount=Amount(100)
    )
    for sql in (
        "UPDATE ledger_transfer SET amount = 0",
        "UPDATE ledger_transfer SET state = 'bogus'",
        "UPDATE ledger_transfer SET payee_id = payer_id",
        "UPDATE ledger_account SET balance = max_positive_balance + 1",
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            raw(sql)
    assert Transfer.objects.get(pk=transfer.pk).amount == 100


def test_audit_names_a_posting_that_breaks_zero_sum(completed, carol, capsys):
    without_double_entry_triggers()
    raw(
        "INSERT INTO ledger_posting (transfer_id, account_id, amount, created_at) VALUES (%s, %s, %s, %s)",
        [
            completed.pk.hex if connection.vendor == "sqlite" else completed.pk,
            account(carol).pk,
            7,
            completed.completed_at,
        ],
    )
    violations = ledger_audit()
    text = "\n".join(violations)
    assert "zero sum: all postings together sum to 7 hundredths" in text
    assert f"transfer {completed.pk}: its postings sum to 7 hundredths" in text
    assert f"account {number(carol)}: cached balance 0 differs from the sum of its postings 7" in text
    assert f"transfer {completed.pk}: completed, but its postings are not exactly" in text
    assert mccs(["ledger-audit"]) == 1
    out = capsys.readouterr()
    assert out.out.count("VIOLATION:") == len(violations) and "violation(s) found" in out.err


def test_audit_names_a_cached_balance_that_drifted(completed, bob):
    without_double_entry_triggers()
    raw("UPDATE ledger_account SET balance = 100 WHERE id = %s", [account(bob).pk])
    assert ledger_audit() == [
        f"account {number(bob)}: cached balance 100 differs from the sum of its postings 2500"
    ]


def test_audit_names_postings_of_a_transfer_that_is_not_completed(alice, bob, carol):
    pending = transfer_propose(
        actor=alice.user, initiator=number(alice), receiver=number(bob), direction="out", amount=Amount(100)
    )
    pk = pending.pk.hex if connection.vendor == "sqlite" else pending.pk
    without_double_entry_triggers()
    raw(
        "INSERT INTO ledger_posting (transfer_id, account_id, amount, created_at) VALUES (%s, %s, %s, %s)",
        [pk, account(alice).pk, -100, pending.created_at],
    )
    raw(
        "INSERT INTO ledger_posting (transfer_id, account_id, amount, created_at) VALUES (%s, %s, %s, %s)",
        [pk, account(bob).pk, 100, pending.created_at],
    )
    assert f"transfer {pending.pk}: it is pending but has postings" in "\n".join(ledger_audit())


def test_audit_names_balances_outside_limits_illegal_states_and_bad_numbers(completed, alice, bob):
    without_double_entry_triggers()
    without_checks("ledger_account", "account_balance_within_positive_limit")
    raw("UPDATE ledger_account SET max_positive_balance = 1000 WHERE id = %s", [account(bob).pk])
    bad = number(alice)[:-1] + str((int(luhn_check_digit(number(alice)[:-1])) + 1) % 10)
    raw("UPDATE ledger_account SET number = %s WHERE id = %s", [bad, account(alice).pk])
    raw(
        "DROP TRIGGER IF EXISTS ledger_transfer_final"
        + ("" if connection.vendor == "sqlite" else " ON ledger_transfer")
    )
    without_checks("ledger_transfer", "transfer_state_valid", "transfer_dates_match_state")
    raw(
        "UPDATE ledger_transfer SET state = 'erased' WHERE id = %s",
        [completed.pk.hex if connection.vendor == "sqlite" else completed.pk],
    )
    text = "\n".join(ledger_audit())
    assert f"account {number(bob)}: balance 2500 is outside its limits [-50000, 1000]" in text
    assert f"account {bad}: the account number fails its Luhn check" in text
    assert f"transfer {completed.pk}: illegal state 'erased'" in text
    assert f"transfer {completed.pk}: it is erased but has postings" in text


def test_limits_are_changed_by_administrators_and_never_below_the_balance(completed, alice, bob, admin):
    from mccs.audit.models import AuditEntry

    with pytest.raises(PermissionDenied):
        account_limits_set(actor=alice.user, entity=alice.entity, max_negative_balance=Amount(0))
    with pytest.raises(InvalidRequest, match="the balance is already -25.00 mc. Set it to at least 25.00"):
        account_limits_set(actor=admin, entity=alice.entity, max_negative_balance=Amount(2499))
    with pytest.raises(InvalidRequest, match="the balance is already 25.00 mc"):
        account_limits_set(actor=admin, entity=bob.entity, max_positive_balance="24.99")
    updated = account_limits_set(
        actor=admin, entity=alice.entity, max_negative_balance="25", max_positive_balance=Amount(100_000)
    )
    assert (updated.max_negative_balance, updated.max_positive_balance) == (2500, 100_000)
    entry = AuditEntry.objects.get(action="account.limits_change")
    assert entry.changes == {
        "maxPositiveBalance": ["500.00", "1,000.00"],
        "maxNegativeBalance": ["500.00", "25.00"],
    }
    assert entry.actor == admin and entry.entity_id == str(alice.entity.pk)
    with pytest.raises(InvalidRequest):
        account_limits_set(actor=admin, entity=alice.entity, max_negative_balance="-1")
    assert ledger_audit() == []


def test_an_unknown_transfer_is_not_found(alice):
    response = alice.api.patch_json(f"/transfers/{uuid.uuid4()}", {"action": "accept"})
    assert response.status_code == 404
