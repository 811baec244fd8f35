"""Every row lock the federation takes lives here; the ledger's own are in ``mccs.ledger.lock_objects``.

Federation locks sit between the directory's and the accounts in the node's one lock order (docs/ledger.md, "Lock
order": the node's own row, a federated transfer, neighbours by primary key). A use-case may skip any lock but never
takes one after a later one, so two transactions never wait for each other in a circle. On SQLite ``select_for_update`` is a no-op: the
IMMEDIATE transaction already holds the database's single write lock.
"""

from __future__ import annotations

from uuid import UUID

from mccs.federation.models import FederatedTransfer, Neighbour, Node


def node_lock() -> Node | None:
    """This node's one row (its name and what it shares), or None before ``mccs federation init``."""
    return Node.objects.select_for_update().filter(pk=1).first()


def neighbour_lock(name: str) -> Neighbour | None:
    """One neighbour, by its name (registering it again updates it)."""
    return Neighbour.objects.select_for_update().filter(name=name).first()


def neighbours_lock(*neighbour_ids: int | None) -> list[Neighbour]:
    """The given neighbours (the links a transfer crosses), in primary-key order; ``None`` ids are skipped."""
    ids = sorted({pk for pk in neighbour_ids if pk})
    return list(Neighbour.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def federated_transfer_lock(uuid: UUID) -> FederatedTransfer:
    """One federated transfer with both its links (read, not locked: ``neighbours_lock`` locks those)."""
    return (
        FederatedTransfer.objects.select_for_update(of=("self",))
        .select_related("upstream", "downstream")
        .get(pk=uuid)
    )
