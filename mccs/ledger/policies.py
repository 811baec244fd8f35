"""Who may do what with an account or a transfer. Services ask these; every interface gets the same answer."""

from __future__ import annotations

from mccs.ledger.models import Account, Transfer


def is_administrator(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_staff)


def can_act_for_account(actor, account: Account) -> bool:
    """The users of an entity act for its account; an administrator may act on behalf of any entity."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return is_administrator(actor) or account.entity.users.filter(pk=actor.pk).exists()


def can_see_transfer(actor, transfer: Transfer) -> bool:
    return can_act_for_account(actor, transfer.payer) or can_act_for_account(actor, transfer.payee)


def can_respond_to_transfer(actor, transfer: Transfer) -> bool:
    """Accept or reject: only the receiver (the party that did not propose it)."""
    return can_act_for_account(actor, transfer.receiver)


def can_cancel_transfer(actor, transfer: Transfer) -> bool:
    """Cancel: only the initiator, while the transfer is pending."""
    return can_act_for_account(actor, transfer.initiator)


def can_change_limits(actor) -> bool:
    return is_administrator(actor)
