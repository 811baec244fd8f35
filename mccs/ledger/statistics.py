"""Figures for the pictures (ADR 0063): a member's balance history, and the network's weeks and limits for the
administrators' overview. Selectors: each reads in a fixed number of set-wise queries — never one per member — and
reads a bounded number of rows however big the ledger grows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Abs, TruncWeek

from mccs.core import clock
from mccs.directory.models import EntityStatus
from mccs.ledger.models import Account, Posting

# --- one account's balance over time -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BalancePoint:
    at: datetime.datetime
    balance: int  # right after the posting at ``at``


@dataclass(frozen=True)
class BalanceHistory:
    since: datetime.datetime  # the left edge of the picture
    until: datetime.datetime  # now
    opening: int  # the balance at ``since``
    points: list[BalancePoint]  # oldest first
    balance: int  # now: the balance after the last point (the opening one when there are none)
    truncated: bool  # the period had more postings than the limit: ``since`` is the oldest one shown

    @property
    def lowest(self) -> int:
        return min([self.opening] + [p.balance for p in self.points])

    @property
    def highest(self) -> int:
        return max([self.opening] + [p.balance for p in self.points])


def balance_history(*, account: Account, days: int = 90, limit: int = 200) -> BalanceHistory:
    """The balance after each posting of the last ``days`` days (at most the newest ``limit`` postings), in the
    statement's order (time, then posting), so every point is a running balance the statement also shows.

    Worked backwards from the balance the account row holds, over the newest postings only: one read of the account
    and one index range of at most ``limit + 1`` postings (``posting_account_created``), whatever the account's
    history. Postings newer than the account's ``last_posting`` (committed after the row was read) are left out,
    so the figures always add up to the balance shown."""
    until = clock.now()
    since = until - datetime.timedelta(days=days)
    row = Account.objects.filter(pk=account.pk).values("balance", "last_posting_id").get()
    balance, last = row["balance"], row["last_posting_id"]
    if last is None:
        return BalanceHistory(since=since, until=until, opening=0, points=[], balance=0, truncated=False)
    rows = list(
        Posting.objects.filter(account_id=account.pk, created_at__gte=since, id__lte=last)
        .order_by("-created_at", "-id")
        .values_list("created_at", "amount")[: limit + 1]
    )
    truncated = len(rows) > limit
    running, points = balance, []
    for at, amount in rows[:limit]:
        points.append(BalancePoint(at=at, balance=running))
        running -= amount
    points.reverse()
    if truncated:
        since = points[0].at
    return BalanceHistory(
        since=since, until=until, opening=running, points=points, balance=balance, truncated=truncated
    )


# --- the network, week by week -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    starts: datetime.date  # a Monday (UTC)
    transfers: int  # completed in that week
    volume: int  # hundredths moved by them
    traders: int  # accounts that paid or were paid


def network_weeks(*, weeks: int = 12) -> list[Week]:
    """The last ``weeks`` weeks, this one included, oldest first, every week listed (zero when nothing moved).

    From the postings, in one grouped query over the period (``posting_created``): a completed transfer has one
    positive posting (its amount) and one negative one, and each posting names an account that traded."""
    today = clock.now().astimezone(datetime.UTC).date()
    first = today - datetime.timedelta(days=today.weekday(), weeks=weeks - 1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=datetime.UTC)
    rows = (
        Posting.objects.filter(created_at__gte=start)
        .annotate(week=TruncWeek("created_at", tzinfo=datetime.UTC))
        .values("week")
        .annotate(
            transfers=Count("pk", filter=Q(amount__gt=0)),
            volume=Sum("amount", filter=Q(amount__gt=0)),
            traders=Count("account", distinct=True),
        )
        .order_by()
    )
    found = {_as_date(row["week"]): row for row in rows}
    result = []
    for index in range(weeks):
        monday = first + datetime.timedelta(weeks=index)
        row = found.get(monday, {})
        result.append(
            Week(
                starts=monday,
                transfers=row.get("transfers") or 0,
                volume=row.get("volume") or 0,
                traders=row.get("traders") or 0,
            )
        )
    return result


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).date()
    return value


# --- limits --------------------------------------------------------------------------------------------------------

# How much of its room on its side a balance uses, in thousandths, signed: -1000 at the lowest balance allowed,
# +1000 at the highest. A negative balance implies a non-zero negative limit (and likewise), so no division by zero.
LIMIT_USE = Case(
    When(balance__lt=0, then=F("balance") * 1000 / F("max_negative_balance")),
    When(balance__gt=0, then=F("balance") * 1000 / F("max_positive_balance")),
    default=Value(0),
    output_field=IntegerField(),
)
NEAR = 800  # "near a limit": 80 % of the room on that side used, or more

# Ten bands of 20 % from the lowest balance allowed to the highest; a zero balance is in the band just above zero.
USE_BANDS = [(-1000, -800), (-800, -600), (-600, -400), (-400, -200), (-200, 0)] + [
    (0, 200),
    (200, 400),
    (400, 600),
    (600, 800),
    (800, 1000),
]


def accounts_in_use() -> QuerySet[Account]:
    """Accounts of members who may trade, and any other account that holds a balance (a member no longer
    trading, a neighbour node): newcomers at zero would only crowd the middle of the picture."""
    return Account.objects.filter(Q(entity__status=EntityStatus.TRADING_ACCEPTED) | ~Q(balance=0))


@dataclass(frozen=True)
class NearLimit:
    account: Account
    use: int  # thousandths of the room used, signed as LIMIT_USE


def accounts_near_limits(*, limit: int = 20) -> tuple[list[NearLimit], int]:
    """The accounts closest to one of their limits (at least ``NEAR`` used), closest first, and how many there are."""
    near = (
        accounts_in_use()
        .annotate(use=LIMIT_USE)
        .filter(Q(use__lte=-NEAR) | Q(use__gte=NEAR))
        .annotate(closeness=Abs("use"))
    )
    rows = near.select_related("entity").order_by("-closeness", "entity__name", "pk")[:limit]
    return [NearLimit(account=a, use=a.use) for a in rows], near.count()


def limit_use_bands() -> list[int]:
    """How many accounts (``accounts_in_use``) sit in each band of ``USE_BANDS``: one grouped query."""
    band = Case(
        *[When(use__lt=high, then=Value(index)) for index, (_, high) in enumerate(USE_BANDS[:-1])],
        default=Value(len(USE_BANDS) - 1),
        output_field=IntegerField(),
    )
    counts = dict(
        accounts_in_use()
        .annotate(use=LIMIT_USE)
        .annotate(band=band)
        .values("band")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("band", "n")
    )
    return [counts.get(index, 0) for index in range(len(USE_BANDS))]
