"""Reading the ledger: transfer lists, pending transfers, statements with running balances, counterparties, and
what administrators read (members, entities whatever their status, the approval queue)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.db.models import Count, F, Model, OneToOneRel, Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mccs.core import rows
from mccs.core.amount import Amount
from mccs.core.errors import InvalidRequest, NotFound
from mccs.core.ids import parse_id
from mccs.directory.models import Entity, EntityStatus, EntityTag
from mccs.directory.search import ENTITY_NOT_FOUND, search_terms, tag_ids_matching
from mccs.ledger import policies
from mccs.ledger.account_numbers import luhn_valid
from mccs.ledger.errors import CounterpartyAmbiguous, TransferNotFound
from mccs.ledger.models import Account, Posting, Transfer, TransferState
from mccs.users.models import User

TRANSFER_NOT_FOUND = gettext_lazy("Transfer not found.")

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


def transfer_get(*, transfer_id: object, with_parties: bool = True, party_of: User | None = None) -> Transfer:
    """The one way to load a transfer by id (services, API and web): unknown ids are TransferNotFound.

    ``with_parties``: with both accounts, their entities and the initiator. Accepting does without them: it reads
    both accounts and entities once, fresh, under its lock — and, with ``party_of``, which of the two accounts
    that user acts for, in the same statement (``policies.party_columns``)."""
    pk = parse_id(str(transfer_id), message=TRANSFER_NOT_FOUND)
    if not with_parties:
        transfer = _transfer_alone(pk, party_of)
    else:
        # "federated" is the federation app's one-to-one: a transfer that crosses to another node.
        transfers = Transfer.objects.select_related(
            "federated", "payer__entity", "payee__entity", "initiator"
        )
        transfer = transfers.filter(pk=pk).first()
    if transfer is None:
        raise TransferNotFound(TRANSFER_NOT_FOUND)
    return transfer


def _transfer_alone(pk: object, party_of: User | None) -> Transfer | None:
    """The transfer with its federated one-to-one (or None in its place), as ``select_related("federated")`` reads
    them, and which parties ``party_of`` acts for, in SQL of our own: this is the accept path's first read
    (ADR 0165)."""
    relation = cast(OneToOneRel, Transfer._meta.get_field("federated"))
    federated = cast(type[Model], relation.related_model)
    parties = f", {policies.party_columns('t')}" if party_of is not None else ""
    user = [rows.prep(User, "id", party_of.pk)] * 2 if party_of is not None else []
    found = rows.select(
        f"SELECT {rows.columns(Transfer, 't')}, {rows.columns(federated, 'f')}{parties} "
        f"FROM {Transfer._meta.db_table} t LEFT JOIN {federated._meta.db_table} f ON f.transfer_id = t.id "
        "WHERE t.id = %s",
        [*user, rows.prep(Transfer, "id", pk)],
    )
    if not found:
        return None
    row = found[0]
    transfer = rows.instance(Transfer, row)
    link = rows.joined(federated, row, rows.width(Transfer))
    relation.set_cached_value(transfer, link)
    if link is not None:
        relation.field.set_cached_value(link, transfer)
    if party_of is not None:
        policies.parties_read(party_of, transfer, row[-2], row[-1])
    return transfer


def transfer_for_actor(*, actor: User, transfer_id: object, with_parties: bool = True) -> Transfer:
    """A transfer the actor may see; one they may not see is not found, like one that does not exist."""
    party_of = actor if actor is not None and actor.is_authenticated else None
    transfer = transfer_get(transfer_id=transfer_id, with_parties=with_parties, party_of=party_of)
    if not policies.can_see_transfer(actor, transfer):
        raise TransferNotFound(TRANSFER_NOT_FOUND)
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


def counterparty_resolve(
    *, query: str, account: Account, choice: str = "", field: str = "counterparty"
) -> Account:
    """The one account a member means by ``query`` (a name, part of one, or an account number), other than their
    own ``account``; ``choice`` is the account number they picked when several matched.

    Refuses with a sentence that says what to do: their own account, no match, or several matches
    (``CounterpartyAmbiguous``, carrying the accounts to choose from)."""
    matches = counterparty_search(query=query, exclude=account)
    picked = [a for a in matches if a.number == choice]
    if picked:
        matches = picked
    if not matches and _is_own_account(account, query):
        raise InvalidRequest(
            _("That is your own account. Choose the member you want to pay or ask for a payment."),
            field=field,
        )
    if not matches:
        raise InvalidRequest(
            _("No member accepted for trading matches that name or account number."), field=field
        )
    if len(matches) > 1:
        raise CounterpartyAmbiguous(
            _("Several members match “%(query)s”. Choose one below, then send again.") % {"query": query},
            matches=matches,
            field=field,
        )
    return matches[0]


def _is_own_account(account: Account, query: str) -> bool:
    text = query.strip()
    digits = text.replace(" ", "").replace("-", "")
    name = (account.entity.name or "").casefold()
    return digits == account.number or bool(name and text.casefold() in name)


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


# --- what administrators read: members, entities whatever their status, the approval queue ---------------------

USER_NOT_FOUND = gettext_lazy("User not found.")


def members() -> QuerySet[User]:
    """The users administrators manage here: members, not other administrators (see `mccs createadmin`)."""
    return User.objects.filter(is_staff=False)


def admin_user_search(*, last_name: str = "", email: str = "") -> QuerySet[User]:
    users = members().prefetch_related(
        "entities__entity_tags__tag", "entities__categories", "entities__account"
    )
    if last_name.strip():
        users = users.filter(last_name__icontains=last_name.strip())
    if email.strip():
        users = users.filter(email__icontains=email.strip())
    return users.order_by("email")


def admin_user_get(*, user_id: object) -> User:
    user = admin_user_search().filter(pk=parse_id(user_id, message=USER_NOT_FOUND)).first()
    if user is None:
        raise NotFound(USER_NOT_FOUND)
    return user


def admin_entity_queryset() -> QuerySet[Entity]:
    return Entity.objects.select_related("account").prefetch_related(
        "entity_tags__tag", "categories", "users"
    )


def admin_entity_get(*, entity_id: object) -> Entity:
    entity = admin_entity_queryset().filter(pk=parse_id(entity_id, message=ENTITY_NOT_FOUND)).first()
    if entity is None:
        raise NotFound(ENTITY_NOT_FOUND)
    return entity


def _amount_filter(value: object, field: str) -> int:
    return Amount.parse(
        value if isinstance(value, Decimal | int) else str(value),
        field=field,
        allow_zero=True,
        allow_negative=field == "balance",
    ).cents


def admin_entity_search(
    *,
    name: str = "",
    email: str = "",
    account_number: str = "",
    status: str = "",
    offers: str = "",
    wants: str = "",
    tagged_since=None,
    category: str = "",
    city: str = "",
    region: str = "",
    country: str = "",
    balance: object = None,
    max_pos_bal: object = None,
    max_neg_bal: object = None,
) -> QuerySet[Entity]:
    """Every entity, whatever its status. Text filters match part of a value, case-insensitively; ``balance``,
    ``max_pos_bal`` and ``max_neg_bal`` return entities at or above the amount."""
    entities = admin_entity_queryset()
    for field, value in (
        ("name", name),
        ("email", email),
        ("city", city),
        ("region", region),
        ("country", country),
    ):
        if value.strip():
            entities = entities.filter(**{f"{field}__icontains": value.strip()})
    if account_number.strip():
        entities = entities.filter(account__number=account_number.strip())
    if status.strip():
        if status.strip() not in EntityStatus.values:
            raise InvalidRequest(
                _("status must be one of: %(values)s.") % {"values": ", ".join(EntityStatus.values)},
                field="status",
            )
        entities = entities.filter(status=status.strip())
    tag_since = Q(added_at__gte=tagged_since) if tagged_since else Q()
    searched = False
    for kind, field, text in (
        (EntityTag.Kind.OFFER, "offers", offers),
        (EntityTag.Kind.WANT, "wants", wants),
    ):
        # Matched like the directory search (exact, other forms, part of a tag, typo), at most MAX_TERMS
        # terms: the terms pick tag ids from the small vocabulary, and one subquery keeps the entities having any
        # of them, so the query has the same shape for one term as for ten.
        terms = search_terms(text, field=field)
        if not terms:
            continue
        searched = True
        tagged = EntityTag.objects.filter(Q(kind=kind, tag_id__in=list(tag_ids_matching(terms))) & tag_since)
        entities = entities.filter(pk__in=tagged.values("entity_id"))
    if tagged_since and not searched:
        entities = entities.filter(pk__in=EntityTag.objects.filter(tag_since).values("entity_id"))
    if category.strip():
        entities = entities.filter(categories__name__icontains=category.strip())
    if balance not in (None, ""):
        entities = entities.filter(account__balance__gte=_amount_filter(balance, "balance"))
    if max_pos_bal not in (None, ""):
        entities = entities.filter(
            account__max_positive_balance__gte=_amount_filter(max_pos_bal, "max_pos_bal")
        )
    if max_neg_bal not in (None, ""):
        entities = entities.filter(
            account__max_negative_balance__gte=_amount_filter(max_neg_bal, "max_neg_bal")
        )
    return entities.distinct().order_by("name", "created_at")


def approval_queue() -> QuerySet[Entity]:
    """Entities waiting for an administrator: new applications first come first served."""
    return (
        admin_entity_queryset()
        .filter(status__in=[EntityStatus.PENDING, EntityStatus.TRADING_PENDING])
        .order_by("created_at")
    )
