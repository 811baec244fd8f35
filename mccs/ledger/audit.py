"""`mccs ledger-audit`: check every ledger invariant and name each violation (docs/ledger.md explains each)."""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum

from mccs.ledger.account_numbers import luhn_valid
from mccs.ledger.models import Account, Posting, Transfer, TransferKind, TransferState


def ledger_audit() -> list[str]:
    violations: list[str] = []

    total = Posting.objects.aggregate(total=Sum("amount"))["total"] or 0
    if total != 0:
        violations.append(f"zero sum: all postings together sum to {total} hundredths, not 0")

    for row in Posting.objects.values("transfer_id").annotate(total=Sum("amount")).exclude(total=0):
        violations.append(
            f"transfer {row['transfer_id']}: its postings sum to {row['total']} hundredths, not 0"
        )

    posted = {
        row["account_id"]: row["total"]
        for row in Posting.objects.values("account_id").annotate(total=Sum("amount"))
    }
    for account in Account.objects.order_by("pk"):
        expected = posted.get(account.pk, 0)
        if account.balance != expected:
            violations.append(
                f"account {account.number}: cached balance {account.balance} differs from the sum of "
                f"its postings {expected}"
            )
        if account.balance > account.max_positive_balance or account.balance < -account.max_negative_balance:
            violations.append(
                f"account {account.number}: balance {account.balance} is outside its limits "
                f"[-{account.max_negative_balance}, {account.max_positive_balance}]"
            )
        if account.max_positive_balance < 0 or account.max_negative_balance < 0:
            violations.append(f"account {account.number}: a limit is negative")
        if not luhn_valid(account.number):
            violations.append(f"account {account.number}: the account number fails its Luhn check")

    legal_states = set(TransferState.values)
    for transfer in Transfer.objects.exclude(state__in=legal_states).only("id", "state"):
        violations.append(f"transfer {transfer.id}: illegal state {transfer.state!r}")
    for transfer in Transfer.objects.exclude(kind__in=TransferKind.values).only("id", "kind"):
        violations.append(f"transfer {transfer.id}: illegal kind {transfer.kind!r}")
    for transfer in Transfer.objects.filter(amount__lte=0).only("id", "amount"):
        violations.append(f"transfer {transfer.id}: amount {transfer.amount} is not positive")
    for transfer in Transfer.objects.filter(payer=F("payee")).only("id"):
        violations.append(f"transfer {transfer.id}: payer and payee are the same account")
    for transfer in Transfer.objects.exclude(Q(initiator=F("payer")) | Q(initiator=F("payee"))).only("id"):
        violations.append(f"transfer {transfer.id}: the initiator is not one of its parties")
    dates_ok = (
        Q(state=TransferState.PENDING, completed_at__isnull=True, cancelled_at__isnull=True)
        | Q(state=TransferState.COMPLETED, completed_at__isnull=False, cancelled_at__isnull=True)
        | Q(state=TransferState.CANCELLED, completed_at__isnull=True, cancelled_at__isnull=False)
    )
    for transfer in Transfer.objects.filter(state__in=legal_states).exclude(dates_ok).only("id", "state"):
        violations.append(
            f"transfer {transfer.id}: its completion/cancellation dates do not match state {transfer.state!r}"
        )

    for transfer in (
        Transfer.objects.exclude(state=TransferState.COMPLETED)
        .annotate(n=Count("postings"))
        .filter(n__gt=0)
        .only("id", "state")
    ):
        violations.append(
            f"transfer {transfer.id}: it is {transfer.state} but has postings; only completed "
            "transfers have postings"
        )
    completed = Transfer.objects.filter(state=TransferState.COMPLETED).annotate(
        n=Count("postings"),
        debit=Sum("postings__amount", filter=Q(postings__account=F("payer"))),
        credit=Sum("postings__amount", filter=Q(postings__account=F("payee"))),
    )
    for transfer in completed.exclude(n=2, debit=-F("amount"), credit=F("amount")).only("id", "amount"):
        violations.append(
            f"transfer {transfer.id}: completed, but its postings are not exactly "
            f"-{transfer.amount} to the payer and +{transfer.amount} to the payee"
        )
    return violations
