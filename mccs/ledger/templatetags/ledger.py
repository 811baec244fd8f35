"""Template helpers for ledger pages: money formatting and the dashboard panel's data (from the selectors)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.utils import formats

from mccs.core.amount import Amount
from mccs.ledger.models import Account, Transfer
from mccs.ledger.selectors import account_for_entity, pending_transfers_for_account

register = template.Library()


@register.filter
def money(cents: int | None, bare: str = "") -> str:
    """Hundredths as a signed amount with two decimals and the node's unit, written the way the active language
    writes numbers: -123450 → "-1,234.50 mc" in English, "-1.234,50 mc" in German. In a table whose column
    header names the unit, ``|money:"bare"`` leaves the unit out of each cell: -1250 → "-12.50"."""
    if cents is None or cents == "":  # "": a variable an email's stored context does not have
        return ""
    number = formats.number_format(Amount(cents).to_decimal(), 2, use_l10n=True, force_grouping=True)
    return number if bare else f"{number} {settings.MCCS_CURRENCY_UNIT}"


@register.simple_tag
def currency_unit() -> str:
    return settings.MCCS_CURRENCY_UNIT


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
        lines.append(
            PendingLine(
                transfer=transfer,
                incoming=transfer.initiator_id != account.pk,
                pays=pays,
                other_name=other.entity.name or other.number,
                other_number=other.number,
            )
        )
    return lines


@register.simple_tag
def ledger_panel(entity) -> Panel | None:
    account = account_for_entity(entity) if entity is not None else None
    if account is None:
        return None
    return Panel(account=account, pending=pending_lines(account))
