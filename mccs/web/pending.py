"""The dashboard's and the statement's list of pending transfers, as a member reads it.

The other party is named by its entity's name, or, when the transfer crosses to another node, by the Credit
Commons path of the remote account (``t/b2/4000000000000002``): the neighbour node's account here is only the way
the credit travels, not the member who pays or is paid.
"""

from __future__ import annotations

from dataclasses import dataclass

from mccs.federation import services as federation
from mccs.ledger.models import Account, Transfer
from mccs.ledger.selectors import account_for_entity, pending_transfers_for_account


@dataclass(frozen=True)
class PendingLine:
    transfer: Transfer
    incoming: bool  # this entity must answer it (accept/reject); otherwise it can cancel it
    pays: bool
    other_name: str
    other_number: str


@dataclass(frozen=True)
class Panel:
    account: Account
    pending: list[PendingLine]

    @property
    def available(self) -> int:
        return max(self.account.available_to_spend, 0)


def pending_lines(account: Account) -> list[PendingLine]:
    lines = []
    for transfer in pending_transfers_for_account(account):
        pays = transfer.payer_id == account.pk
        other = transfer.payee if pays else transfer.payer
        remote = federation.remote_party(transfer, account, other)
        lines.append(
            PendingLine(
                transfer=transfer,
                incoming=transfer.initiator_id != account.pk,
                pays=pays,
                other_name=remote or other.entity.name or other.number,
                other_number=remote or other.number,
            )
        )
    return lines


def ledger_panel(entity) -> Panel | None:
    account = account_for_entity(entity) if entity is not None else None
    if account is None:
        return None
    return Panel(account=account, pending=pending_lines(account))
