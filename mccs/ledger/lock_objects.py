"""Every row lock on accounts lives here (Saleor's lock_objects.py pattern).

Accounts come last in the node's one lock order (user, entity, category or tag, node, federated transfer, neighbours,
accounts: docs/ledger.md, "Lock order"; the others are in the users', directory's and federation's ``locks.py``).
Accounts are always locked in primary-key order, in one statement, so two transactions that need the same accounts queue
up instead of deadlocking. The lock is ``FOR NO KEY UPDATE``: it excludes other writers of the balance but not the ``FOR
KEY SHARE`` locks that PostgreSQL's foreign-key checks take when a transfer or a posting that points at the account is
inserted — with a plain ``FOR UPDATE``, proposing (which inserts a transfer, locking its accounts in payer/payee order)
and accepting (which locks them in primary-key order) deadlock each other. On PostgreSQL the rows come back through
``ORDER BY id ... FOR NO KEY UPDATE``, which locks them in that order. SQLite has no row locks (the statement goes
without the clause): the IMMEDIATE transaction already holds the database's single write lock from its first
statement, so writers are serialised anyway.
"""

from __future__ import annotations

from django.db import connection

from mccs.core import rows
from mccs.directory.models import Entity
from mccs.ledger.models import Account


def accounts_lock(*account_ids: int, with_entities: bool = False) -> dict[int, Account]:
    """Lock the given accounts (in primary-key order) and return them freshly read, by id.

    ``with_entities`` also reads their entities (fresh statuses) in the same statement, locking only the accounts.
    Written in SQL (ADR 0165): it is on the accept path, where the ORM spent longer building this statement than
    the database took to run it."""
    ids = sorted(set(account_ids))
    select = rows.columns(Account, "a")
    joins = ""
    if with_entities:
        select += ", " + rows.columns(Entity, "e")
        joins = f" JOIN {Entity._meta.db_table} e ON e.id = a.entity_id"
    lock = ""
    if (
        connection.features.has_select_for_update
    ):  # not SQLite, whose IMMEDIATE transaction already excludes writers
        lock = " FOR NO KEY UPDATE OF a" if with_entities else " FOR NO KEY UPDATE"
    found = rows.select(
        f"SELECT {select} FROM {Account._meta.db_table} a{joins} "
        f"WHERE a.id IN ({rows.placeholders(ids)}) ORDER BY a.id{lock}",
        ids,
    )
    accounts = {}
    for row in found:
        account = rows.instance(Account, row)
        if with_entities:
            account.entity = rows.instance(Entity, row, rows.width(Account))
        accounts[account.pk] = account
    return accounts
