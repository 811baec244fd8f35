"""`mccs ledger-audit`: check every ledger invariant and name each violation (docs/ledger.md explains each).

The audit streams: the database does the sums and the joins and returns only the rows that break an invariant,
and the one pass over every account (for the Luhn check, which is Python) reads accounts in chunks. Its memory
does not grow with the ledger (docs/benchmarks.md, "A big ledger").
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from mccs.ledger.account_numbers import luhn_valid
from mccs.ledger.models import Account, Posting, Transfer, TransferKind, TransferState

CHUNK = 5000


def ledger_audit() -> list[str]:
    """Every violation, as a list (see ``ledger_violations`` to stream them)."""
    return list(ledger_violations())


def ledger_violations() -> Iterator[str]:
    """Each broken invariant as a sentence naming the account or transfer, as soon as it is found."""
    total = Posting.objects.aggregate(total=Sum("amount"))["total"] or 0
    if total != 0:
        yield f"zero sum: all postings together sum to {total} hundredths, not 0"

    unbalanced = (
        Posting.objects.order_by().values("transfer_id").annotate(total=Sum("amount")).exclude(total=0)
    )
    for row in unbalanced.iterator(chunk_size=CHUNK):
        yield f"transfer {row['transfer_id']}: its postings sum to {row['total']} hundredths, not 0"

    posted = (
        Posting.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    drifted = (
        Account.objects.annotate(posted=Coalesce(Subquery(posted), Value(0), output_field=IntegerField()))
        .exclude(balance=F("posted"))
        .order_by("pk")
        .values_list("number", "balance", "posted")
    )
    for number, balance, expected in drifted.iterator(chunk_size=CHUNK):
        yield f"account {number}: cached balance {balance} differs from the sum of its postings {expected}"

    accounts = Account.objects.order_by("pk").values_list(
        "number", "balance", "max_positive_balance", "max_negative_balance"
    )
    for number, balance, max_positive, max_negative in accounts.iterator(chunk_size=CHUNK):
        if balance > max_positive or balance < -max_negative:
            yield (
                f"account {number}: balance {balance} is outside its limits [-{max_negative}, {max_positive}]"
            )
        if max_positive < 0 or max_negative < 0:
            yield f"account {number}: a limit is negative"
        if not luhn_valid(number):
            yield f"account {number}: the account number fails its Luhn check"

    def ids(queryset, *fields: str):
        return queryset.order_by().values_list("id", *fields).iterator(chunk_size=CHUNK)

    legal_states = set(TransferState.values)
    for pk, state in ids(Transfer.objects.exclude(state__in=legal_states), "state"):
        yield f"transfer {pk}: illegal state {state!r}"
    for pk, kind in ids(Transfer.objects.exclude(kind__in=TransferKind.values), "kind"):
        yield f"transfer {pk}: illegal kind {kind!r}"
    for pk, amount in ids(Transfer.objects.filter(amount__lte=0), "amount"):
        yield f"transfer {pk}: amount {amount} is not positive"
    for (pk,) in ids(Transfer.objects.filter(payer=F("payee"))):
        yield f"transfer {pk}: payer and payee are the same account"
    for (pk,) in ids(Transfer.objects.exclude(Q(initiator=F("payer")) | Q(initiator=F("payee")))):
        yield f"transfer {pk}: the initiator is not one of its parties"
    dates_ok = (
        Q(state=TransferState.PENDING, completed_at__isnull=True, cancelled_at__isnull=True)
        | Q(state=TransferState.COMPLETED, completed_at__isnull=False, cancelled_at__isnull=True)
        | Q(state=TransferState.CANCELLED, completed_at__isnull=True, cancelled_at__isnull=False)
    )
    for pk, state in ids(Transfer.objects.filter(state__in=legal_states).exclude(dates_ok), "state"):
        yield f"transfer {pk}: its completion/cancellation dates do not match state {state!r}"

    # Postings of transfers that are not completed: looked up from the (few) transfers that are not completed,
    # through the posting's transfer index, instead of counting the postings of every transfer.
    not_completed = Transfer.objects.exclude(state=TransferState.COMPLETED).filter(
        Exists(Posting.objects.filter(transfer=OuterRef("pk")))
    )
    for pk, state in ids(not_completed, "state"):
        yield f"transfer {pk}: it is {state} but has postings; only completed transfers have postings"

    completed = Transfer.objects.filter(state=TransferState.COMPLETED).annotate(
        n=Count("postings"),
        debit=Sum("postings__amount", filter=Q(postings__account=F("payer"))),
        credit=Sum("postings__amount", filter=Q(postings__account=F("payee"))),
    )
    for pk, amount in ids(completed.exclude(n=2, debit=-F("amount"), credit=F("amount")), "amount"):
        yield (
            f"transfer {pk}: completed, but its postings are not exactly "
            f"-{amount} to the payer and +{amount} to the payee"
        )
