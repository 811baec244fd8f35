"""`mccs ledger-audit`: check every ledger invariant and name each violation."""

from __future__ import annotations

from django.db.models import F, Q

from mccs.ledger.account_numbers import luhn_valid
from mccs.ledger.models import Account


def ledger_audit() -> list[str]:
    violations: list[str] = []
    for account in Account.objects.filter(
        Q(balance__gt=F("max_positive_balance")) | Q(balance__lt=-F("max_negative_balance"))
    ):
        violations.append(f"account {account.number} balance {account.balance} is outside its limits")
    for number in Account.objects.values_list("number", flat=True):
        if not luhn_valid(number):
            violations.append(f"account number {number} fails its Luhn check")
    return violations
