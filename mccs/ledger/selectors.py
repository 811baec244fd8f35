"""Reading the ledger: transfer lists, pending transfers, statements with running balances, counterparties."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from mccs.core.errors import InvalidRequest
from mccs.core.ids import parse_id
from mccs.directory.models import Entity, EntityStatus
from mccs.ledger import policies
from mccs.ledger.account_numbers import luhn_valid
from mccs.ledger.errors import TransferNotFound
from mccs.ledger.models import Account, Posting, Transfer, TransferState

STATUS_FILTERS = {
    "all": None,
    "initiated": TransferState.PENDING,
    "completed": TransferState.COMPLETED,
    "cancelled": TransferState.CANCELLED,
}


def transfers_with_parties() -> QuerySet[Transfer]:
    return Transfer.objects.select_related("payer__entity", "payee__entity")


def transfer_list_for_account(*, account: Account, status: str = "all") -> QuerySet[Transfer]:
    if status not in STATUS_FILTERS:
        raise InvalidRequest(
            _("status must be one of all, initiated, completed or cancelled."), field="status"
        )
    queryset = transfers_with_parties().filter(Q(payer=account) | Q(payee=account))
    if state := STATUS_FILTERS[status]:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-created_at", "-id")


def transfer_list(*, status: str = "all") -> QuerySet[Transfer]:
    """Every transfer of the node (for administrators)."""
    if status not in STATUS_FILTERS:
        raise InvalidRequest(
            _("status must be one of all, initiated, completed or cancelled."), field="status"
        )
    queryset = transfers_with_parties()
    if state := STATUS_FILTERS[status]:
        queryset = queryset.filter(state=state)
    return queryset.order_by("-created_at", "-id")


def transfer_get(*, transfer_id: object) -> Transfer:
    pk = parse_id(str(transfer_id), message=_("Transfer not found."))
    transfer = transfers_with_parties().filter(pk=pk).first()
    if transfer is None:
        raise TransferNotFound(_("Transfer not found."))
    return transfer


def transfer_for_actor(*, actor, transfer_id: object) -> Transfer:
    transfer = transfer_get(transfer_id=transfer_id)
    if not policies.can_see_transfer(actor, transfer):
        raise TransferNotFound(_("Transfer not found."))
    return transfer


def pending_transfers_for_account(account: Account) -> QuerySet[Transfer]:
    return transfer_list_for_account(account=account, status="initiated")


@dataclass(frozen=True)
class StatementLine:
    transfer: Transfer
    at: datetime.datetime
    amount: int  # signed: positive when the account received credit
    balance: int  # the running balance after this line


@dataclass(frozen=True)
class StatementPage:
    """One page of an account's completed transfers in a period, newest first, each with the balance after it."""

    account: Account
    opening_balance: int  # before the period
    closing_balance: int  # at the end of the period
    lines: list[StatementLine]
    page: int
    has_newer: bool
    has_older: bool


STATEMENT_PAGE_SIZE = 50
STATEMENT_CHUNK = 2000


def _period_bounds(
    date_from: datetime.date | None, date_to: datetime.date | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    start = (
        datetime.datetime.combine(date_from, datetime.time.min, tzinfo=datetime.UTC) if date_from else None
    )
    end = (
        datetime.datetime.combine(
            date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC
        )
        if date_to
        else None
    )
    return start, end


def _applied_postings(account: Account) -> QuerySet[Posting]:
    """The account's postings that its ``balance`` (as read with it) includes: the database applies them one at a
    time in id order and records the last one, so a statement agrees with the balance it shows even while new
    transfers complete."""
    if account.last_posting_id is None:
        return Posting.objects.none()
    # ``id + 0``: a bound the planner cannot serve from an index, so that it walks the (account, created_at) index
    # in statement order instead of sorting every posting of the account found by (account, id).
    return Posting.objects.alias(applied=F("id") + 0).filter(
        account=account, applied__lte=account.last_posting_id
    )


def _sum(postings: QuerySet[Posting]) -> int:
    return postings.aggregate(s=Sum("amount"))["s"] or 0


def _statement_balances(
    account: Account, start: datetime.datetime | None, end: datetime.datetime | None
) -> tuple[QuerySet[Posting], int, int]:
    """The postings of the period, the opening balance (zero without a start) and the closing balance. Sums read
    only the postings after the period or inside it, from the (account, created_at) index."""
    applied = _applied_postings(account)
    closing = account.balance - (_sum(applied.filter(created_at__gte=end)) if end else 0)
    period = applied.filter(created_at__lt=end) if end else applied
    if start:
        period = period.filter(created_at__gte=start)
        opening = closing - _sum(period)
    else:
        opening = 0
    return period, opening, closing


def statement_page(
    *,
    account: Account,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    page: int = 1,
    page_size: int | None = None,
) -> StatementPage:
    """Page ``page`` (from 1) of the completed transfers of a period, newest first. The running balance of the
    newest line is the closing balance less what the newer pages moved, so a page costs the same whatever the
    length of the account's history before it."""
    page_size = page_size or STATEMENT_PAGE_SIZE
    start, end = _period_bounds(date_from, date_to)
    period, opening, closing = _statement_balances(account, start, end)
    newest_first = period.order_by("-created_at", "-id")
    skip = (page - 1) * page_size
    newer = _sum(newest_first[:skip]) if skip else 0
    rows = list(
        newest_first.select_related("transfer__payer__entity", "transfer__payee__entity")[
            skip : skip + page_size + 1
        ]
    )
    running = closing - newer
    lines = []
    for posting in rows[:page_size]:
        lines.append(
            StatementLine(
                transfer=posting.transfer, at=posting.created_at, amount=posting.amount, balance=running
            )
        )
        running -= posting.amount
    return StatementPage(
        account=account,
        opening_balance=opening,
        closing_balance=closing,
        lines=lines,
        page=page,
        has_newer=page > 1,
        has_older=len(rows) > page_size,
    )


def statement_lines(
    *, account: Account, date_from: datetime.date | None = None, date_to: datetime.date | None = None
) -> Iterator[StatementLine]:
    """Every completed transfer of the period, oldest first, with the running balance: read in chunks (by the
    position of the last line read), so a long history streams in constant memory (the CSV export)."""
    start, end = _period_bounds(date_from, date_to)
    period, running, _ = _statement_balances(account, start, end)
    period = period.select_related("transfer__payer__entity", "transfer__payee__entity").order_by(
        "created_at", "id"
    )
    after: tuple[datetime.datetime, int] | None = None
    while True:
        chunk = period
        if after is not None:
            chunk = chunk.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], id__gt=after[1]))
        postings = list(chunk[:STATEMENT_CHUNK])
        for posting in postings:
            running += posting.amount
            yield StatementLine(
                transfer=posting.transfer, at=posting.created_at, amount=posting.amount, balance=running
            )
        if len(postings) < STATEMENT_CHUNK:
            return
        after = (postings[-1].created_at, postings[-1].id)


def counterparty_search(*, query: str, exclude: Account | None = None, limit: int = 10) -> list[Account]:
    """Accounts of entities accepted for trading, found by exact account number or by (part of) their name."""
    text = (query or "").strip()
    if not text:
        return []
    accounts = Account.objects.select_related("entity").filter(entity__status=EntityStatus.TRADING_ACCEPTED)
    if exclude is not None:
        accounts = accounts.exclude(pk=exclude.pk)
    digits = text.replace(" ", "").replace("-", "")
    if digits.isdigit() and len(digits) == 16 and luhn_valid(digits):
        return list(accounts.filter(number=digits))
    exact = list(accounts.filter(entity__name__iexact=text)[:limit])
    if exact:
        return exact
    return list(accounts.filter(entity__name__icontains=text).order_by("entity__name")[:limit])


def account_for_entity(entity: Entity) -> Account | None:
    return Account.objects.filter(entity=entity).select_related("entity").first()


@dataclass(frozen=True)
class ClosedTransfer:
    """A transfer that never moved credit, as its parties should see it."""

    transfer: Transfer
    how: str  # "rejected" (by the receiver), "cancelled" (by the initiator or an administrator), "failed"
    incoming: bool  # the other party proposed it
    pays: bool  # this account would have paid
    other: Account


CLOSING_ACTIONS = {
    "transfer.reject": "rejected",
    "transfer.cancel": "cancelled",
    "transfer.accept_failed": "failed",
}


def closed_transfers_for_account(*, account: Account, limit: int = 50) -> list[ClosedTransfer]:
    """Rejected and cancelled transfers of ``account``, newest first, each with who closed it (from the log)."""
    from mccs.audit.models import AuditEntry

    cancelled = transfer_list_for_account(account=account, status="cancelled")
    transfers = list(cancelled.order_by("-cancelled_at", "-id")[:limit])
    how = dict(
        AuditEntry.objects.filter(
            object_type="transfer", object_id__in=[str(t.pk) for t in transfers], action__in=CLOSING_ACTIONS
        ).values_list("object_id", "action")
    )
    return [
        ClosedTransfer(
            transfer=t,
            how=CLOSING_ACTIONS.get(how.get(str(t.pk), ""), "cancelled"),
            incoming=t.initiator_id != account.pk,
            pays=t.payer_id == account.pk,
            other=t.payee if t.payer_id == account.pk else t.payer,
        )
        for t in transfers
    ]


def transfer_counts_by_state() -> dict[str, int]:
    """How many transfers the ledger holds in each state (every state listed, zero included), for monitoring."""
    counts = dict.fromkeys(TransferState.values, 0)
    for row in Transfer.objects.order_by().values("state").annotate(n=Count("pk")):
        counts[row["state"]] = row["n"]
    return counts
