"""Where a member's transfer goes: through the ledger of this node, or across the Credit Commons tree.

The API and the web pages both propose, accept, reject and cancel through these two functions, so a federated
transfer is never completed or cancelled on this node alone (the ledger refuses to, see
``mccs.ledger.services._refuse_federated``)."""

from __future__ import annotations

from typing import Unpack

from mccs.federation import services as federation
from mccs.ledger import services as ledger
from mccs.ledger.errors import CrossesNodes
from mccs.ledger.idempotency import Idempotency
from mccs.ledger.models import Transfer
from mccs.ledger.services import TransferProposal
from mccs.users.models import User


def transfer_propose(*, receiver: str, **proposal: Unpack[TransferProposal]) -> Transfer:
    """``receiver`` is an account number here, or a Credit Commons path (``trunk/branch2/1234…``) elsewhere; the
    rest of the proposal is the same for both (``mccs.ledger.services.transfer_propose``)."""
    propose = (
        federation.remote_transfer_propose if federation.is_remote_path(receiver) else ledger.transfer_propose
    )
    return propose(receiver=receiver, **proposal)


def transfer_act(
    *,
    actor: User,
    transfer_id: object,
    action: str,
    reason: object = "",
    idempotency: Idempotency | None = None,
) -> Transfer:
    """``accept`` or ``reject`` (the receiver), ``cancel`` (the initiator).

    The ledger is asked first: it reads the transfer with its federated link anyway and refuses one that crosses
    to another node (``CrossesNodes``) before changing anything, so a local transfer needs no other read to tell
    (ADR 0165)."""
    try:
        if action == "accept":
            return ledger.transfer_accept(actor=actor, transfer_id=transfer_id, idempotency=idempotency)
        close = ledger.transfer_reject if action == "reject" else ledger.transfer_cancel
        return close(actor=actor, transfer_id=transfer_id, reason=reason, idempotency=idempotency)
    except CrossesNodes:
        return federation.remote_transfer_act(
            actor=actor, transfer_id=transfer_id, action=action, reason=reason
        )
