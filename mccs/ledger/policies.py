"""Who may do what with an account or a transfer. Services ask these; every interface gets the same answer."""

from __future__ import annotations

from mccs.core import rows
from mccs.directory.models import Entity
from mccs.ledger.models import Account, Transfer
from mccs.users.models import User
from mccs.users.policies import is_administrator


def can_act_for_account(actor: User | None, account: Account, *, member: bool | None = None) -> bool:
    """The users of an entity act for its account; an administrator may act on behalf of any entity. ``member``:
    whether ``actor`` is one of the entity's users, when the caller read it with the account."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if is_administrator(actor):
        return True
    return member if member is not None else account.entity.users.filter(pk=actor.pk).exists()


_PARTY_CACHE = "_mccs_party_account_ids"


def _party_account_ids(actor: User, transfer: Transfer) -> set:
    """The parties' accounts whose entity ``actor`` acts for — one query per actor and transfer object, which
    needs neither account loaded (the accept path loads them once, under its lock), and none at all when the
    transfer was read with ``party_columns`` (``parties_read``). In SQL of our own (ADR 0165)."""
    cache = transfer.__dict__.setdefault(_PARTY_CACHE, {})
    if actor.pk not in cache:
        user = rows.prep(User, "id", actor.pk)
        payer, payee = _PARTY_SIDES
        found = rows.select(
            f"SELECT {party_columns('t')} FROM (SELECT %s AS {payer}, %s AS {payee}) t",
            [user, user, transfer.payer_id, transfer.payee_id],  # in the order they stand
        )
        parties_read(actor, transfer, *found[0])
    return cache[actor.pk]


# The transfer's columns naming its two accounts.
_PARTY_SIDES = tuple(Transfer._meta.get_field(side).column for side in ("payer", "payee"))  # type: ignore[union-attr]


def party_columns(transfer_alias: str) -> str:
    """Two columns to read with a transfer (``transfer_alias``): whether a user, the two parameters, acts for its
    payer's and for its payee's account — the one statement of that rule. ``parties_read`` keeps the answer for
    the checks below."""
    members = f"{Account._meta.db_table} pa JOIN {Entity.users.through._meta.db_table} pm ON pm.entity_id = pa.entity_id"
    return ", ".join(
        f"EXISTS (SELECT 1 FROM {members} WHERE pa.id = {transfer_alias}.{side} AND pm.user_id = %s)"
        for side in _PARTY_SIDES
    )


def parties_read(actor: User, transfer: Transfer, payer: object, payee: object) -> None:
    """Keep what ``party_columns`` answered for ``actor`` on this transfer object."""
    ids = {
        account_id for account_id, acts in ((transfer.payer_id, payer), (transfer.payee_id, payee)) if acts
    }
    transfer.__dict__.setdefault(_PARTY_CACHE, {})[actor.pk] = ids


def _acts_for_party(
    actor: User | None, transfer: Transfer, account_id: int | None, *, administrators: bool = True
) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if administrators and is_administrator(actor):
        return True
    ids = _party_account_ids(actor, transfer)
    return bool(ids) if account_id is None else account_id in ids


def can_see_transfer(actor: User | None, transfer: Transfer) -> bool:
    return _acts_for_party(actor, transfer, None)


def can_respond_to_transfer(actor: User | None, transfer: Transfer) -> bool:
    """Accept or reject: only the receiver (the party that did not propose it). Administrators may see and cancel
    any transfer, but agreeing to one is for the member whose account it moves."""
    return _acts_for_party(actor, transfer, transfer.receiver_id, administrators=False)


def can_cancel_transfer(actor: User | None, transfer: Transfer) -> bool:
    """Cancel: only the initiator, while the transfer is pending."""
    return _acts_for_party(actor, transfer, transfer.initiator_id)


def can_change_limits(actor: User | None) -> bool:
    return is_administrator(actor)
