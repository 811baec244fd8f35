"""Every row lock on accounts lives here (Saleor's lock_objects.py pattern).

Accounts come last in the node's one lock order (user, entity, category or tag, node, federated transfer, neighbours,
accounts: docs/ledger.md, "Lock order"; the others are in the users', directory's and federation's ``locks.py``).
Accounts are always locked in primary-key order, in one statement, so two transactions that need the same accounts queue
up instead of deadlocking. The lock is ``FOR NO KEY UPDATE``: it excludes other writers of the balance but not the ``FOR
KEY SHARE`` locks that PostgreSQL's foreign-key checks take when a transfer or a posting that points at the account is
inserted — with a plain ``FOR UPDATE``, proposing (which inserts a transfer, locking its accounts in payer/payee order)
and accepting (which locks them in primary-key order) deadlock each other. On PostgreSQL the rows come back through
``ORDER BY id ... FOR UPDATE``, which locks them in that order. On SQLite ``select_for_update`` is a no-op: the
IMMEDIATE transaction already holds the database's single write lock from its first statement, so writers are serialised
anyway.
"""

from __future__ import annotations

from mccs.ledger.models import Account


def accounts_lock(*account_ids: int, with_entities: bool = False, **annotations) -> dict[int, Account]:
    """Lock the given accounts (in primary-key order) and return them freshly read, by id.

    ``with_entities`` also reads their entities (fresh statuses) in the same statement, locking only the accounts;
    ``annotations`` add expressions evaluated under the lock (e.g. "is the transfer still pending?"), so that the
    accept path re-reads everything it checks in one round trip."""
    ids = sorted(set(account_ids))
    accounts = Account.objects.filter(pk__in=ids).order_by("pk")
    if with_entities:
        accounts = accounts.select_related("entity").select_for_update(no_key=True, of=("self",))
    else:
        accounts = accounts.select_for_update(no_key=True)
    if annotations:
        accounts = accounts.annotate(**annotations)
    return {account.pk: account for account in accounts}
