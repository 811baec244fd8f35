"""Ledger use-cases: propose, accept, reject and cancel transfers; administrator transfers; account limits.

Every transfer service is one durable transaction that follows "lock, re-read, check, write" (``account_limits_set``
is not durable, so that an administrator's entity edit can include it): accounts are locked in
primary-key order (lock_objects.py), the transfer's state changes by compare-and-set
(``filter(pk=…, state=PENDING).update(…)``), and the database's CHECK constraints are the last line of defence.
Emails go to the outbox in the same transaction; the worker sends them after commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import NotRequired, TypedDict, Unpack

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from mccs.audit.services import audit_record
from mccs.core import rows
from mccs.core.amount import Amount, money
from mccs.core.clock import now
from mccs.core.errors import ApplicationError, InvalidRequest, NotFound, PermissionDenied
from mccs.directory.models import Entity
from mccs.directory.services import entities_mail
from mccs.ledger import policies
from mccs.ledger.account_numbers import luhn_valid
from mccs.ledger.errors import (
    CrossesNodes,
    LimitExceeded,
    NotAParty,
    TradingNotAllowed,
    TransferNotPending,
)
from mccs.ledger.idempotency import (
    Idempotency,
    fingerprint,
    idempotency_exists,
    idempotency_find,
    idempotency_replay,
    idempotency_save,
)
from mccs.ledger.lock_objects import accounts_lock
from mccs.ledger.models import Account, Transfer, TransferKind, TransferState
from mccs.ledger.selectors import transfer_for_actor
from mccs.notifications.services import emails_deferred_queue
from mccs.users.models import User

MAX_DESCRIPTION = 500
MAX_REASON = 500

Work = Callable[[], tuple[Transfer, ApplicationError | None]]


# --- helpers ------------------------------------------------------------------------------------------------------


def _name(account: Account) -> str:
    return account.entity.name or _("account %(number)s") % {"number": account.number}


def _clean_text(value: object, *, field: str, label: str, limit: int) -> str:
    """``label`` is "description" or "reason"; each has its own whole sentences, so that they translate."""
    if value is None:
        return ""
    if not isinstance(value, str):
        message = _("The reason must be text.") if label == "reason" else _("The description must be text.")
        raise InvalidRequest(message, field=field)
    text = value.strip()
    if len(text) > limit:
        if label == "reason":
            message = _("The reason can be at most %(limit)s characters long.")
        else:
            message = _("The description can be at most %(limit)s characters long.")
        raise InvalidRequest(message % {"limit": limit}, field=field)
    return text


def _invalid_number(number: object, *, field: str) -> InvalidRequest | None:
    if isinstance(number, str) and luhn_valid(number.strip()):
        return None
    return InvalidRequest(
        _("%(number)s is not a valid account number: it must be 16 digits with a correct check digit.")
        % {"number": number},
        field=field,
    )


def _no_account(number: object, *, field: str) -> NotFound:
    return NotFound(_("No account has the number %(number)s.") % {"number": number}, field=field)


def account_by_number(number: object, *, field: str) -> Account:
    if error := _invalid_number(number, field=field):
        raise error
    account = Account.objects.select_related("entity").filter(number=str(number).strip()).first()
    if account is None:
        raise _no_account(number, field=field)
    return account


def initiator_account(actor: User, number: object) -> Account:
    """The account a transfer is started from (``initiator``), which the actor must act for."""
    account = account_by_number(number, field="initiator")
    if not policies.can_act_for_account(actor, account):
        raise _not_yours()
    return account


def _not_yours() -> PermissionDenied:
    return PermissionDenied(
        _("You can only start transfers from the account of an entity you belong to."), field="initiator"
    )


def _proposal_accounts(actor: User, initiator: object, receiver: object) -> tuple[Account, Account]:
    """The initiator's and the receiver's accounts of a proposal, each with its entity (balances, limits and
    statuses as they are now), in one statement of our own that also reads whether ``actor`` is a member of the
    initiator's entity (ADR 0165: every proposal reads them). Refused in the order ``initiator_account`` then
    ``account_by_number`` refuse: the initiator's number, its account, the actor's right to it, then the
    receiver's number, its account."""
    if error := _invalid_number(initiator, field="initiator"):
        raise error
    own_number, other_number = str(initiator).strip(), str(receiver).strip()
    bad_receiver = _invalid_number(receiver, field="receiver")
    numbers = [own_number] if bad_receiver else [own_number, other_number]
    members = Entity.users.through._meta.db_table
    found = {}
    for row in rows.select(
        f"SELECT {rows.columns(Account, 'a')}, {rows.columns(Entity, 'e')}, "  # noqa: S608 — SQL of ours
        f"EXISTS (SELECT 1 FROM {members} m WHERE m.entity_id = e.id AND m.user_id = %s) "
        f"FROM {Account._meta.db_table} a JOIN {Entity._meta.db_table} e ON e.id = a.entity_id "
        f"WHERE a.number IN ({rows.placeholders(numbers)})",
        [rows.prep(User, "id", actor.pk), *numbers],
    ):
        account, entity = rows.instance(Account, row), rows.instance(Entity, row, rows.width(Account))
        Account._meta.get_field("entity").set_cached_value(account, entity)
        found[account.number] = (account, row[-1])
    if own_number not in found:
        raise _no_account(initiator, field="initiator")
    own, member = found[own_number]
    if not policies.can_act_for_account(actor, own, member=member):
        raise _not_yours()
    if bad_receiver:
        raise bad_receiver
    if other_number not in found:
        raise _no_account(receiver, field="receiver")
    return own, found[other_number][0]


def _check_trading(*accounts: Account, fresh: bool = False) -> None:
    """Both entities may trade. ``fresh``: their statuses were just read (with the accounts), ask nothing more."""
    if not fresh:
        statuses = dict(
            Entity.objects.filter(pk__in=[a.entity_id for a in accounts]).values_list("pk", "status")
        )
        for account in accounts:
            account.entity.status = statuses[account.entity_id]
    for account in accounts:
        if not account.entity.can_trade:
            raise TradingNotAllowed(
                _("%(name)s is not accepted for trading yet, so it cannot send or receive transfers.")
                % {"name": _name(account)}
            )


def limit_breach(*, payer: Account, payee: Account, amount: int) -> str | None:
    """The reason a transfer of ``amount`` cannot complete with these balances, or None if it can."""
    if payer.balance - amount < -payer.max_negative_balance:
        return _(
            "Paying %(amount)s would take %(name)s below its limit of -%(limit)s; it can pay at most %(most)s now."
        ) % {
            "amount": money(amount),
            "name": _name(payer),
            "limit": money(payer.max_negative_balance),
            "most": money(max(payer.available_to_spend, 0)),
        }
    if payee.balance + amount > payee.max_positive_balance:
        return _(
            "Receiving %(amount)s would take %(name)s above its limit of %(limit)s; it can receive at most %(most)s "
            "now."
        ) % {
            "amount": money(amount),
            "name": _name(payee),
            "limit": money(payee.max_positive_balance),
            "most": money(max(payee.available_to_receive, 0)),
        }
    return None


def _notify(transfer: Transfer, event: str, *, accounts: list[Account]) -> None:
    """Queue one email per party, in one statement; the worker renders them (ADR 0090). The context is a copy of
    what the email shows, so it tells what was true at this moment even if a name changes before it is sent."""
    emails = []
    mail = entities_mail([account.entity for account in accounts])
    for account in accounts:
        recipients, language = mail[account.entity.pk]
        if not recipients:
            continue
        other = transfer.payee if account.pk == transfer.payer_id else transfer.payer
        context = {
            "transfer": {"description": transfer.description},
            "entity": {"name": account.entity.name},
            "other": {"name": other.entity.name},
            "other_account": {"number": other.number},
            # written in the recipient's language when the email is rendered ("amount": older rows)
            "amount_cents": transfer.amount,
            "pays": account.pk == transfer.payer_id,
            "is_initiator": account.pk == transfer.initiator_id,
            "reason": transfer.cancellation_reason,
        }
        # The state changes once (compare-and-set), so these keys are new; the key still guards replays.
        key = f"transfer:{transfer.pk}:{event}:{account.pk}"
        emails.append((json.dumps(recipients), json.dumps(context), key, language))
    emails_deferred_queue(f"transfer_{event}", emails)


def _creation_changes(transfer: Transfer, payer: Account, payee: Account, amount: Amount) -> dict:
    """What the audit log records of a new transfer: everything it was created with."""
    return {
        "state": (None, transfer.state),
        "payer": (None, payer.number),
        "payee": (None, payee.number),
        "amount": (None, str(amount)),
        "description": (None, transfer.description),
    }


def transfer_record(actor: User | None, action: str, transfer: Transfer, changes: dict) -> None:
    """The audit entry of something done to a transfer, recorded against the entity that acted: the receiver for
    accept/reject, otherwise the initiator. The other party's account number is in ``changes`` so that a search
    finds both sides (a federated transfer's caller names the other side by its path instead)."""
    responder = transfer.payee if transfer.initiator_id == transfer.payer_id else transfer.payer
    acting = (
        responder
        if action in {"transfer.accept", "transfer.accept_failed", "transfer.reject"}
        else transfer.initiator
    )
    if "payer" not in changes and "counterparty" not in changes:
        other = transfer.payer if acting.pk == transfer.payee_id else transfer.payee
        changes = {**changes, "counterparty": (None, other.number)}
    audit_record(
        actor=actor,
        action=action,
        object_type="transfer",
        object_id=transfer.pk,
        entity_id=acting.entity_id,
        changes=changes,
    )


def _run(*, idempotency: Idempotency | None, print_: str, work: Work) -> Transfer:
    """One durable transaction around ``work``, with the idempotency record written inside it.

    ``work`` returns the transfer and, rarely, an error to raise *after* committing (a limit breach at acceptance
    cancels the transfer — that must stick — and still tells the caller why)."""
    for attempt in (1, 2):
        try:
            with transaction.atomic(durable=True):
                if idempotency is not None and (record := idempotency_find(idempotency, print_)):
                    return idempotency_replay(idempotency, record)
                transfer, error = work()
                if idempotency is not None:
                    idempotency_save(idempotency, print_, transfer=transfer, error=error)
        except (IntegrityError, TransferNotPending):
            # A copy of this very request may have committed first (and won the race): answer as it did.
            if idempotency is not None and attempt == 1 and idempotency_exists(idempotency):
                continue
            raise
        if error is not None:
            raise error
        return transfer
    raise AssertionError("unreachable")


def _refuse_federated(transfer: Transfer) -> None:
    """A transfer that crosses to another node (``federated``, the federation app's one-to-one) changes state only
    through the federation (``mccs.federation.routing``), never on this node alone."""
    if getattr(transfer, "federated", None) is not None:
        raise CrossesNodes(
            _(
                "This transfer crosses to another node: it can only be answered as a federated transfer, "
                "through the member API or the web pages of the node of its receiver or initiator."
            )
        )


def _not_pending(transfer: Transfer, *, state: str | None = None) -> TransferNotPending:
    """The error for a transfer that is not pending; its current ``state`` is read unless given."""
    if state is None:
        state = Transfer.objects.filter(pk=transfer.pk).values_list("state", flat=True).first()
    if state == TransferState.COMPLETED:
        return TransferNotPending(_("This transfer is already completed, so it cannot be changed any more."))
    if state == TransferState.CANCELLED:
        return TransferNotPending(_("This transfer is already cancelled, so it cannot be changed any more."))
    return TransferNotPending(_("This transfer is no longer pending, so it cannot be changed any more."))


def _set_state(transfer: Transfer, state: str, **fields) -> None:
    """Compare-and-set: only a pending transfer changes, and only once. In SQL of our own (ADR 0165): every accept,
    reject and cancel runs it."""
    values = {"state": state, **fields}
    sets = ", ".join(f"{Transfer._meta.get_field(name).column} = %s" for name in values)  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Transfer._meta.db_table} SET {sets} WHERE id = %s AND state = %s",
            [rows.prep(Transfer, name, value) for name, value in values.items()]
            + [rows.prep(Transfer, "id", transfer.pk), TransferState.PENDING],
        )
        updated = cursor.rowcount
    if updated != 1:
        raise _not_pending(transfer)
    transfer.state = state
    for name, value in fields.items():
        setattr(transfer, name, value)


# --- proposing ----------------------------------------------------------------------------------------------------


class TransferProposal(TypedDict):
    """What a member proposes, apart from the receiver (an account here, or a path to another node): the keywords
    of ``transfer_propose``, of ``mccs.federation.services.remote_transfer_propose`` and of
    ``mccs.federation.routing.transfer_propose``, which passes them on to one of the two. Declared here once; a
    missing ``description`` is empty and a missing ``idempotency`` None."""

    actor: User
    initiator: str
    direction: str
    amount: Amount
    description: NotRequired[object]
    idempotency: NotRequired[Idempotency | None]


def proposal_clean(*, direction: str, amount: Amount, description: object) -> str:
    """The checks every proposal passes, to an account here or on another node: a direction, an amount above zero
    and a description that is text of at most MAX_DESCRIPTION characters (returned stripped)."""
    if direction not in ("in", "out"):
        raise InvalidRequest(
            _('transfer must be "in" (request a payment) or "out" (make a payment).'), field="transfer"
        )
    if not isinstance(amount, Amount) or amount.cents <= 0:
        raise InvalidRequest(_("The amount must be greater than zero."), field="amount")
    return _clean_text(description, field="description", label="description", limit=MAX_DESCRIPTION)


def transfer_propose(*, receiver: str, **proposal: Unpack[TransferProposal]) -> Transfer:
    """``direction`` "out": the initiator pays the receiver; "in": the initiator asks the receiver to pay.

    ``initiator`` and ``receiver`` are account numbers; the actor must act for the initiator's entity."""
    actor, direction, amount = proposal["actor"], proposal["direction"], proposal["amount"]
    text = proposal_clean(direction=direction, amount=amount, description=proposal.get("description", ""))
    print_ = fingerprint(
        "transfer.propose",
        initiator=str(proposal["initiator"]).strip(),
        receiver=str(receiver).strip(),
        direction=direction,
        amount=amount.cents,
        description=text,
    )

    def work() -> tuple[Transfer, None]:
        # One round trip for both accounts, the actor's right to the initiator's, and what is checked: both
        # balances and limits and both entities' statuses, read inside the transaction.
        own, other = _proposal_accounts(actor, proposal["initiator"], receiver)
        if own.pk == other.pk:
            raise InvalidRequest(_("You cannot make a transfer to your own account."), field="receiver")
        _check_trading(own, other, fresh=True)
        payer, payee = (own, other) if direction == "out" else (other, own)
        if breach := limit_breach(payer=payer, payee=payee, amount=amount.cents):
            raise LimitExceeded(breach, field="amount")
        transfer = Transfer(
            kind=TransferKind.TRANSFER,
            payer=payer,
            payee=payee,
            initiator=own,
            amount=amount.cents,
            description=text,
            state=TransferState.PENDING,
            created_at=now(),
            initiated_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        rows.insert_instance(transfer)  # every proposal writes one: in SQL of our own (ADR 0165)
        # Proposed here, between two accounts of this node: it has no federated link (that is the federation's
        # own proposal), which the answer can then tell without asking the database (ADR 0165).
        Transfer._meta.get_field("federated").set_cached_value(transfer, None)  # type: ignore[attr-defined]
        transfer_record(
            actor, "transfer.propose", transfer, _creation_changes(transfer, payer, payee, amount)
        )
        _notify(transfer, "proposed", accounts=[other])
        return transfer, None

    return _run(idempotency=proposal.get("idempotency"), print_=print_, work=work)


# --- responding ---------------------------------------------------------------------------------------------------


def transfer_accept(*, actor: User, transfer_id: object, idempotency: Idempotency | None = None) -> Transfer:
    """The receiver accepts: balances move. If a limit would now be broken, the transfer is cancelled instead,
    with the reason, and LimitExceeded tells the caller why."""
    transfer = transfer_for_actor(actor=actor, transfer_id=transfer_id, with_parties=False)
    _refuse_federated(transfer)
    if not policies.can_respond_to_transfer(actor, transfer):
        raise NotAParty(_("Only the receiver of a transfer can accept it; you can cancel it instead."))
    print_ = fingerprint("transfer.accept", transfer=str(transfer.pk))
    # Answered from the transfer just read when it is plainly too late; a change since then is caught by the
    # compare-and-set below, which is what guarantees that a transfer completes once.
    if transfer.state != TransferState.PENDING and idempotency is None:
        raise _not_pending(transfer, state=transfer.state)

    def work() -> tuple[Transfer, ApplicationError | None]:
        # Lock both accounts, reading them and their entities' statuses fresh in the same statement; the transfer
        # takes these copies, so the audit entry, the emails and the answer need no other read.
        locked = accounts_lock(transfer.payer_id, transfer.payee_id, with_entities=True)
        payer, payee = locked[transfer.payer_id], locked[transfer.payee_id]
        transfer.payer, transfer.payee = payer, payee
        transfer.initiator = payer if transfer.initiator_id == payer.pk else payee
        _check_trading(payer, payee, fresh=True)
        at = now()
        if breach := limit_breach(payer=payer, payee=payee, amount=transfer.amount):
            # The reason is kept on the transfer and shown to both parties: written in the node's language, while
            # the error below answers in the language of whoever accepted.
            with translation.override(settings.LANGUAGE_CODE):
                reason = _("Cancelled by the system when it was accepted: %(reason)s") % {
                    "reason": limit_breach(payer=payer, payee=payee, amount=transfer.amount)
                }
            _set_state(
                transfer, TransferState.CANCELLED, cancelled_at=at, cancellation_reason=reason[:MAX_REASON]
            )
            transfer_record(
                actor,
                "transfer.accept_failed",
                transfer,
                {
                    "state": (TransferState.PENDING, transfer.state),
                    "cancellationReason": (None, transfer.cancellation_reason),
                },
            )
            _notify(transfer, "cancelled", accounts=[payer, payee])
            return transfer, LimitExceeded(
                _("The transfer could not be completed and has been cancelled. %(reason)s")
                % {"reason": breach}
            )
        _set_state(transfer, TransferState.COMPLETED, completed_at=at)
        _post(transfer, payer=payer, payee=payee)
        transfer_record(
            actor,
            "transfer.accept",
            transfer,
            {
                "state": (TransferState.PENDING, transfer.state),
                "payerBalance": (str(Amount(payer.balance + transfer.amount)), str(Amount(payer.balance))),
                "payeeBalance": (str(Amount(payee.balance - transfer.amount)), str(Amount(payee.balance))),
            },
        )
        _notify(transfer, "completed", accounts=[payer, payee])
        return transfer, None

    return _run(idempotency=idempotency, print_=print_, work=work)


def _post(transfer: Transfer, *, payer: Account, payee: Account) -> None:
    """Double entry happens in the database: when a transfer becomes completed, a trigger writes its two postings
    (summing to zero) and moves both cached balances (migration 0005). Here the loaded accounts only follow suit."""
    payer.balance -= transfer.amount
    payee.balance += transfer.amount


def _close(
    *, actor: User, transfer_id: object, reason: object, action: str, idempotency: Idempotency | None
) -> Transfer:
    transfer = transfer_for_actor(actor=actor, transfer_id=transfer_id)
    _refuse_federated(transfer)
    if action == "reject" and not policies.can_respond_to_transfer(actor, transfer):
        raise NotAParty(_("Only the receiver of a transfer can reject it; you can cancel it instead."))
    if action == "cancel" and not policies.can_cancel_transfer(actor, transfer):
        raise NotAParty(
            _("Only the member who proposed a transfer can cancel it; you can reject it instead.")
        )
    text = _clean_text(reason, field="cancellationReason", label="reason", limit=MAX_REASON)
    print_ = fingerprint(f"transfer.{action}", transfer=str(transfer.pk), reason=text)

    def work() -> tuple[Transfer, None]:
        _set_state(transfer, TransferState.CANCELLED, cancelled_at=now(), cancellation_reason=text)
        transfer_record(
            actor,
            f"transfer.{action}",
            transfer,
            {"state": (TransferState.PENDING, transfer.state), "cancellationReason": (None, text)},
        )
        _notify(
            transfer,
            "rejected" if action == "reject" else "cancelled",
            accounts=[transfer.payer, transfer.payee],
        )
        return transfer, None

    return _run(idempotency=idempotency, print_=print_, work=work)


def transfer_reject(
    *, actor: User, transfer_id: object, reason: object = "", idempotency: Idempotency | None = None
) -> Transfer:
    """The receiver declines a pending transfer; nothing moves."""
    return _close(
        actor=actor, transfer_id=transfer_id, reason=reason, action="reject", idempotency=idempotency
    )


def transfer_cancel(
    *, actor: User, transfer_id: object, reason: object = "", idempotency: Idempotency | None = None
) -> Transfer:
    """The initiator withdraws a pending transfer; nothing moves."""
    return _close(
        actor=actor, transfer_id=transfer_id, reason=reason, action="cancel", idempotency=idempotency
    )


# --- administrators -----------------------------------------------------------------------------------------------


def transfer_admin_create(
    *,
    actor: User,
    payer: str,
    payee: str,
    amount: Amount,
    description: object = "",
    override_limits: bool = False,
    idempotency: Idempotency | None = None,
) -> Transfer:
    """An administrator moves credit on behalf of members (alpha ``POST /admin/transfers``): completed at once and
    recorded as made by that administrator. Trading status is not required — administrators also correct mistakes.

    It respects both accounts' limits unless ``override_limits`` is set: then, in the same transaction, the payer's
    maximum negative balance and the payee's maximum positive balance are raised just as far as this transfer needs
    (each raise recorded as ``account.limits_override``), so the CHECK constraints still hold."""
    if not policies.is_administrator(actor):
        raise PermissionDenied(_("Only administrators can make transfers on behalf of members."))
    if not isinstance(amount, Amount) or amount.cents <= 0:
        raise InvalidRequest(_("The amount must be greater than zero."), field="amount")
    text = _clean_text(description, field="description", label="description", limit=MAX_DESCRIPTION)
    from_account = account_by_number(payer, field="payer")
    to_account = account_by_number(payee, field="payee")
    if from_account.pk == to_account.pk:
        raise InvalidRequest(_("The payer and the payee must be different accounts."), field="payee")
    print_ = fingerprint(
        "transfer.admin_create_override" if override_limits else "transfer.admin_create",
        payer=from_account.number,
        payee=to_account.number,
        amount=amount.cents,
        description=text,
    )

    def work() -> tuple[Transfer, None]:
        locked = accounts_lock(from_account.pk, to_account.pk)
        paying, receiving = locked[from_account.pk], locked[to_account.pk]
        paying.entity, receiving.entity = from_account.entity, to_account.entity
        raised: list[str] = []
        if override_limits:
            raised = _limits_raise_for(actor, payer=paying, payee=receiving, amount=amount.cents)
        elif breach := limit_breach(payer=paying, payee=receiving, amount=amount.cents):
            raise LimitExceeded(breach, field="amount")
        at = now()
        transfer = Transfer.objects.create(
            kind=TransferKind.ADMIN,
            payer=paying,
            payee=receiving,
            initiator=paying,
            amount=amount.cents,
            description=text,
            state=TransferState.COMPLETED,
            created_at=at,
            completed_at=at,
            initiated_by=actor,
        )
        _post(transfer, payer=paying, payee=receiving)
        changes = _creation_changes(transfer, paying, receiving, amount)
        if override_limits:
            changes["limitOverride"] = (None, raised)
        transfer_record(actor, "transfer.admin_create", transfer, changes)
        _notify(transfer, "completed", accounts=[paying, receiving])
        return transfer, None

    return _run(idempotency=idempotency, print_=print_, work=work)


def _limits_raise_for(actor: User, *, payer: Account, payee: Account, amount: int) -> list[str]:
    """Raise the payer's negative and the payee's positive limit just far enough for ``amount`` (locked rows)."""
    raised = []
    needed_negative = max(payer.max_negative_balance, amount - payer.balance)
    if needed_negative != payer.max_negative_balance:
        raised.append(limit_raise(payer, "max_negative_balance", needed_negative, actor=actor))
    needed_positive = max(payee.max_positive_balance, payee.balance + amount)
    if needed_positive != payee.max_positive_balance:
        raised.append(limit_raise(payee, "max_positive_balance", needed_positive, actor=actor))
    return raised


LIMIT_LABELS = {"max_negative_balance": "maxNegativeBalance", "max_positive_balance": "maxPositiveBalance"}


def limit_raise(account: Account, field: str, value: int, *, actor: User | None) -> str:
    """Set one limit of a locked account (``max_negative_balance`` or ``max_positive_balance``, in cents) so that a
    transfer that must go through fits, audited as ``account.limits_override``; returns the limit's API name."""
    label = LIMIT_LABELS[field]
    before = getattr(account, field)
    setattr(account, field, value)
    account.save(update_fields=[field])
    audit_record(
        actor=actor,
        action="account.limits_override",
        object_type="account",
        object_id=account.number,
        entity_id=account.entity_id,
        changes={label: (str(Amount(before)), str(Amount(value)))},
    )
    return label


# --- limits -------------------------------------------------------------------------------------------------------


def _limit(value: object, field: str) -> Amount | None:
    if value is None or isinstance(value, Amount):
        return value
    return Amount.parse(value, field=field, allow_zero=True)


@dataclass(frozen=True)
class Limits:
    max_positive_balance: int
    max_negative_balance: int


def account_limits_set(
    *, actor: User, entity: Entity, max_positive_balance: object = None, max_negative_balance: object = None
) -> Account:
    """An administrator sets an entity's limits. Values are Amounts, or numbers in credit units (Decimal, int or
    text such as "250.50"), both non-negative magnitudes; None leaves a limit unchanged. A limit below what the
    balance already uses is refused."""
    if not policies.can_change_limits(actor):
        raise PermissionDenied(_("Only administrators can change balance limits."))
    positive = _limit(max_positive_balance, "maxPositiveBalance")
    negative = _limit(max_negative_balance, "maxNegativeBalance")
    account_id = Account.objects.filter(entity=entity).values_list("pk", flat=True).first()
    if account_id is None:
        raise NotFound(_("This entity has no account."))
    # Not durable: also a step of an administrator's entity edit (docs/ledger.md, "Transactions").
    with transaction.atomic():
        account = accounts_lock(account_id)[account_id]
        before = Limits(account.max_positive_balance, account.max_negative_balance)
        if positive is not None:
            if account.balance > positive.cents:
                raise InvalidRequest(
                    _(
                        "The maximum positive balance cannot be set to %(limit)s: the balance is already "
                        "%(balance)s. Set it to at least that."
                    )
                    % {"limit": money(positive.cents), "balance": money(account.balance)},
                    field="maxPositiveBalance",
                )
            account.max_positive_balance = positive.cents
        if negative is not None:
            if -account.balance > negative.cents:
                raise InvalidRequest(
                    _(
                        "The maximum negative balance cannot be set to %(limit)s: the balance is already "
                        "-%(used)s. Set it to at least %(used)s."
                    )
                    % {"limit": money(negative.cents), "used": money(-account.balance)},
                    field="maxNegativeBalance",
                )
            account.max_negative_balance = negative.cents
        changes = {}
        if before.max_positive_balance != account.max_positive_balance:
            changes["maxPositiveBalance"] = (
                str(Amount(before.max_positive_balance)),
                str(Amount(account.max_positive_balance)),
            )
        if before.max_negative_balance != account.max_negative_balance:
            changes["maxNegativeBalance"] = (
                str(Amount(before.max_negative_balance)),
                str(Amount(account.max_negative_balance)),
            )
        if not changes:
            account.entity = entity
            return account
        account.save(update_fields=["max_positive_balance", "max_negative_balance"])
        audit_record(
            actor=actor,
            action="account.limits_change",
            object_type="account",
            object_id=account.number,
            entity_id=entity.pk,
            changes=changes,
        )
    account.entity = entity
    return account
