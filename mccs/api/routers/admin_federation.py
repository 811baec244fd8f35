"""Admin API for federation (an MCCS addition, not in the alpha): this node's place in its Credit Commons tree, its
neighbours with their balances, pending amounts, limits and link hashes, their limits, and directory sharing. The
same as ``mccs federation status`` / ``share`` and the administrators' federation page."""

from __future__ import annotations

from typing import Literal

from ninja import Query, Router, Schema
from pydantic import StrictBool

from mccs.api.auth import admin_auth
from mccs.api.schemas import BODY, PARAMS, TOKEN, DataOut, Number, errors
from mccs.federation import agreement, services

router = Router(tags=["Admin: Federation"], auth=admin_auth)


class NeighbourOut(Schema):
    name: str
    url: str
    direction: str
    rate: Number
    balance: Number
    pending: Number
    maxNegativeBalance: Number
    maxPositiveBalance: Number
    lastHash: str
    handshake: str
    queued: int
    agree: bool | None
    agreement: str


class FederationOut(Schema):
    node: str
    sharing: bool
    neighbours: list[NeighbourOut]


class StatusFilters(Schema):
    handshake: bool = False


class SharingIn(Schema):
    sharing: StrictBool


class NeighbourIn(Schema):
    name: str
    url: str
    direction: Literal["leafward", "trunkward"]
    rate: Number | None = None
    maxNegativeBalance: Number | None = None
    maxPositiveBalance: Number | None = None


class NeighbourLimitsIn(Schema):
    maxNegativeBalance: Number | None = None
    maxPositiveBalance: Number | None = None


@router.get("/federation", response={200: DataOut[FederationOut], **errors(*PARAMS, *TOKEN)})
def federation_get(request, filters: Query[StatusFilters]):
    """``node`` is empty while this node is not part of a tree. ``handshake=true`` greets each neighbour live
    (``"ok"`` or the reason it failed) and asks whether both ends of each link agree (``agree`` true or false, with
    the reason in ``agreement``; null when the neighbour cannot be asked); otherwise ``handshake`` and
    ``agreement`` are empty and ``agree`` is null. Amounts are in this node's units, signed as
    for a member (positive when the neighbour's account here has received more than it paid)."""
    return {"data": agreement.federation_status(live=filters.handshake)}


@router.patch("/federation", response={200: DataOut[FederationOut], **errors(*BODY, *TOKEN)})
def federation_patch(request, payload: SharingIn):
    """Share this node's public directory with its neighbours, or stop sharing it."""
    services.sharing_set(actor=request.auth, on=payload.sharing)
    return {"data": agreement.federation_status(live=False)}


@router.patch(
    "/federation/neighbours/{name}", response={200: DataOut[NeighbourOut], **errors(*BODY, *TOKEN, 404)}
)
def neighbour_patch(request, name: str, payload: NeighbourLimitsIn):
    """A neighbour's trade-balance limits (positive magnitudes, like a member's). A limit below what the account
    already uses is refused, and then nothing changes."""
    given = payload.model_dump(exclude_unset=True)
    services.neighbour_limits_set(
        actor=request.auth,
        name=name,
        max_negative=given.get("maxNegativeBalance"),
        max_positive=given.get("maxPositiveBalance"),
    )
    status = agreement.federation_status(live=False)
    return {"data": next(n for n in status["neighbours"] if n["name"] == name)}


@router.post("/federation/neighbours", response={200: DataOut[NeighbourOut], **errors(*BODY, *TOKEN)})
def neighbour_post(request, payload: NeighbourIn):
    """Add a neighbour, as ``mccs federation add-branch`` (``direction: "leafward"``: node ``name``, served at
    ``url``, may join this node as a branch) or ``join`` (``"trunkward"``: this node joins the trunk ``name``, which
    must list it as a branch; ``rate`` is how many of the trunk's units one unit here is worth). ``url`` is the
    neighbour's Credit Commons base URL. Limits default to the node's defaults. Sending the same neighbour again
    updates its URL, rate and limits. For a trunk, ``handshake`` says whether it answered (``"ok"``) or why not;
    members can trade across it once it does. 400 before this node has a name (``mccs federation init`` or the
    administrators' federation page)."""
    request.api_field_names = {"max-negative": "maxNegativeBalance", "max-positive": "maxPositiveBalance"}
    limits = {"max_negative": payload.maxNegativeBalance, "max_positive": payload.maxPositiveBalance}
    handshake = ""
    if payload.direction == "trunkward":
        _neighbour, handshake = services.trunk_join(
            name=payload.name,
            url=payload.url,
            rate=payload.rate if payload.rate is not None else "1",
            actor=request.auth,
            **limits,
        )
    else:
        services.branch_add(name=payload.name, url=payload.url, actor=request.auth, **limits)
    status = agreement.federation_status(live=False)
    neighbour = next(n for n in status["neighbours"] if n["name"] == payload.name.strip())
    return {"data": {**neighbour, "handshake": handshake}}
