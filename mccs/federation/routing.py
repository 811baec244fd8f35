"""Where a member's transfer goes: through the ledger of this node, or across the Credit Commons tree.

The API and the web pages both propose, accept, reject and cancel through these two functions, so a federated
transfer is never completed or cancelled on this node alone (the ledger refuses to, see
``mccs.ledger.services._refuse_federated``)."""

from __future__ import annotations

from mccs.core.amount import Amount
from mccs.federation import services as federation
from mccs.ledger import services as ledger
from mccs.ledger.idempotency import Idempotency
from mccs.ledger.models import Transfer
from mccs.users.models import User


def transfer_propose(
    *,
    actor: User,
    initiator: str,
    receiver: str,
    direction: str,
    amount: Amount,
    description: object = "",
    idempotency: Idempotency | None = None,
) -> Transfer:
    """``receiver`` is an account number here, or a Credit Commons path (``trunk/branch2/1234…``) elsewhere."""
    if federation.is_remote_path(receiver):
        return federation.remote_transfer_propose(
            actor=actor,
            initiator=initiator,
            receiver=receiver,
            direction=direction,
            amount=amount,
            description=description,
            idempotency=idempotency,
        )
    return ledger.transfer_propose(
        actor=actor,
        initiator=initiator,
        receiver=receiver,
        direction=direction,
        amount=amount,
        description=description,
        idempotency=idempotency,
    )


def transfer_act(
    *,
    actor: User,
    transfer_id: object,
    action: str,
    reason: object = "",
    idempotency: Idempotency | None = None,
) -> Transfer:
    """``accept`` or ``reject`` (the receiver), ``cancel`` (the initiator)."""
    if federation.is_federated(transfer_id):
        return federation.remote_transfer_act(
            actor=actor, transfer_id=transfer_id, action=action, reason=reason
        )
    if action == "accept":
        return ledger.transfer_accept(actor=actor, transfer_id=transfer_id, idempotency=idempotency)
    if action == "reject":
        return ledger.transfer_reject(
            actor=actor, transfer_id=transfer_id, reason=reason, idempotency=idempotency
        )
    return ledger.transfer_cancel(
        actor=actor, transfer_id=transfer_id, reason=reason, idempotency=idempotency
    )
