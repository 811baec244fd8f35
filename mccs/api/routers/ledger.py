"""Transfer Credits and Review Transfer Activity: two-step transfers, the transfer list and the balance."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

import simplejson
from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import WithJsonSchema

from mccs.api.auth import member_auth
from mccs.api.entities import TransferViewOut
from mccs.api.pagination import paginate
from mccs.api.rendering import dumps, iso_utc
from mccs.api.schemas import BODY, PARAMS, TOKEN, DataOut, Number, PageOut, errors
from mccs.core.amount import Amount, cents_to_decimal
from mccs.core.errors import InvalidRequest, NotFound
from mccs.directory.own_entities import acting_entity
from mccs.federation import routing
from mccs.federation import services as federation
from mccs.ledger import selectors
from mccs.ledger.idempotency import Idempotency
from mccs.ledger.models import Account, Transfer, TransferState

router = Router(tags=["Transfer Credits"], auth=member_auth)  # every operation needs a member's token

STATUS_OUT: dict[str, str] = {  # keyed by Transfer.state (the stored text)
    TransferState.PENDING: "transferInitiated",
    TransferState.COMPLETED: "transferCompleted",
    TransferState.CANCELLED: "transferCancelled",
}
IDEMPOTENCY_HEADER = "Idempotency-Key"

JsonNumber = Annotated[Any, WithJsonSchema({"type": "number", "example": 1.1})]


def amount_from_json(value: object, *, field: str = "amount") -> Amount:
    """Only JSON numbers are amounts: strings, booleans and null are refused, like NaN or three decimals."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InvalidRequest(
            _("The %(field)s must be a number with at most two decimals, like 12.50.") % {"field": field},
            field=field,
        )
    return Amount.parse(value, field=field)


def transfer_view(transfer: Transfer, account: Account) -> dict:
    """The alpha's TransferView, seen from ``account``: ``transfer`` is "out" when this account pays."""
    pays = transfer.payer_id == account.pk
    other = transfer.payee if pays else transfer.payer
    remote = federation.remote_party(transfer, account, other)
    view = {
        "id": str(transfer.id),
        "transfer": "out" if pays else "in",
        "isInitiator": transfer.initiator_id == account.pk,
        "accountNumber": remote or other.number,
        "entityName": remote or other.entity.name,
        "amount": cents_to_decimal(transfer.amount),
        "description": transfer.description,
        "status": STATUS_OUT[transfer.state],
        "dateProposed": iso_utc(transfer.created_at),
    }
    if transfer.state == TransferState.CANCELLED:
        view["cancellationReason"] = transfer.cancellation_reason
    if transfer.completed_at:
        view["dateCompleted"] = iso_utc(transfer.completed_at)
    return view


def _party_text(transfer: Transfer, party: Account, other: Account) -> str:
    return federation.remote_party(transfer, other, party) or party.number


def transfer_initiated(transfer: Transfer) -> dict:
    return {
        "id": str(transfer.id),
        "from": _party_text(transfer, transfer.payer, transfer.payee),
        "to": _party_text(transfer, transfer.payee, transfer.payer),
        "amount": cents_to_decimal(transfer.amount),
        "description": transfer.description,
        "status": STATUS_OUT[transfer.state],
        "dateProposed": iso_utc(transfer.created_at),
    }


def _idempotency(request, render) -> Idempotency | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    return Idempotency(user=request.auth, key=key, render=lambda transfer: dumps(render(transfer)))


def _answer(idem: Idempotency | None, transfer: Transfer, render) -> dict:
    if idem is not None and idem.response:
        return {"data": simplejson.loads(idem.response, use_decimal=True)}
    return {"data": render(transfer)}


class TransferIn(Schema):
    transfer: Literal["in", "out"]
    initiator: str
    receiver: str
    amount: JsonNumber
    description: str | None = None


class TransferInitiatedOut(Schema):
    id: str
    from_: str = Field(..., alias="from")
    to: str
    amount: Number
    description: str
    status: str
    dateProposed: str


class TransferActionIn(Schema):
    action: Literal["accept", "reject", "cancel"]
    cancellationReason: str | None = None


class BalanceOut(Schema):
    unit: str
    balance: Number
    maxPositiveBalance: Number
    maxNegativeBalance: Number


IDEMPOTENCY_DOC = (
    " Send an `Idempotency-Key` header (any unique string) to make a retry safe: the same key with the same body "
    "returns the first answer again without a second effect; the same key with a different body is refused (409)."
)


@router.post(
    "/transfers",
    response={200: DataOut[TransferInitiatedOut], **errors(*BODY, *TOKEN, 404, 409)},
    by_alias=True,
    description="Propose a transfer: `out` pays the receiver, `in` asks the receiver to pay. "
    "`initiator` and `receiver` are account numbers; the initiator must be your entity's account. Both "
    "entities must be `tradingAccepted`. With federation, `receiver` may be a Credit Commons path to an account "
    "on another node (`trunk/branch2/1234567890123452`); the transfer is then relayed across the tree (see "
    "docs/federation.md)." + IDEMPOTENCY_DOC,
)
def transfer_create(request, payload: TransferIn):
    amount = amount_from_json(payload.amount)
    idem = _idempotency(request, transfer_initiated)
    transfer = routing.transfer_propose(
        actor=request.auth,
        initiator=payload.initiator,
        receiver=payload.receiver,
        direction=payload.transfer,
        amount=amount,
        description=payload.description,
        idempotency=idem,
    )
    return _answer(idem, transfer, transfer_initiated)


@router.patch(
    "/transfers/{transferID}",
    response={200: DataOut[TransferViewOut], **errors(*BODY, *TOKEN, 404, 409)},
    exclude_none=True,
    description="The receiver can `accept` or `reject`; the initiator can `cancel`, while the transfer is "
    "pending. A transfer that no longer fits a balance limit when it is accepted is cancelled, with the "
    "reason, and the answer is 400. A transfer that is no longer pending gives 409." + IDEMPOTENCY_DOC,
)
def transfer_act(request, transferID: str, payload: TransferActionIn):
    def render(t: Transfer) -> dict:
        # Seen from the side that acts: the receiver for accept/reject, the initiator for cancel.
        return transfer_view(t, t.initiator if payload.action == "cancel" else t.receiver)

    idem = _idempotency(request, render)
    transfer = routing.transfer_act(
        actor=request.auth,
        transfer_id=transferID,
        action=payload.action,
        reason=payload.cancellationReason,
        idempotency=idem,
    )
    return _answer(idem, transfer, render)


def _own_account(request, querying_entity_id: str) -> Account:
    """The account of an entity the caller acts for. ``querying_entity_id`` means the same everywhere in the API
    (``own_entities.acting_entity``): another member's entity, or an unknown one, is 403; a malformed id is 400."""
    entity = acting_entity(actor=request.auth, entity_id=querying_entity_id, field="querying_entity_id")
    account = selectors.account_for_entity(entity)
    if account is None:
        raise NotFound(_("This entity has no account."))
    return account


@router.get(
    "/transfers",
    response={200: PageOut[TransferViewOut], **errors(*PARAMS, *TOKEN, 403, 404)},
    exclude_none=True,
    tags=["Review Transfer Activity"],
    description="Transfers of one of your entities, newest first. `status` is all (the default), "
    "initiated, completed or cancelled.",
)
def transfer_list(
    request,
    querying_entity_id: str,
    status: Literal["all", "initiated", "completed", "cancelled"] = "all",
    page: int = 1,
    page_size: int = 10,
):
    account = _own_account(request, querying_entity_id)
    items, meta = paginate(
        selectors.transfer_list_for_account(account=account, status=status), page, page_size
    )
    return {"data": [transfer_view(t, account) for t in items], "meta": meta}


@router.get(
    "/balance",
    response={200: DataOut[BalanceOut], **errors(*PARAMS, *TOKEN, 403, 404)},
    tags=["Review Transfer Activity"],
    description="The balance of one of your entities' account, with its limits.",
)
def balance(request, querying_entity_id: str = Query(...)):
    account = _own_account(request, querying_entity_id)
    return {
        "data": {
            "unit": settings.MCCS_CURRENCY_UNIT,
            "balance": cents_to_decimal(account.balance),
            "maxPositiveBalance": cents_to_decimal(account.max_positive_balance),
            "maxNegativeBalance": cents_to_decimal(account.max_negative_balance),
        }
    }
