"""Ledger details shown on a user's own entity: its pending transfers, as the alpha's TransferView."""

from __future__ import annotations

from mccs.ledger.selectors import account_for_entity, pending_transfers_for_account


def pending_transfers_for(entity) -> list[dict]:
    from mccs.api.routers.ledger import transfer_view

    account = getattr(entity, "account", None) or account_for_entity(entity)
    if account is None:
        return []
    return [transfer_view(t, account) for t in pending_transfers_for_account(account)]
