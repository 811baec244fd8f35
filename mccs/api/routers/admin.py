"""Admin API (alpha ``openapi-admin.yaml``): categories, tags, users, entities, transfers and the audit log.

Every operation needs an administrator's token (``admin_auth``): no token, or a member's token, gives 401.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import StrictBool

from mccs.api.auth import admin_auth
from mccs.api.entities import ENTITY_API_NAMES, EntityOut, entity_own_out
from mccs.api.entity_extensions import pending_transfers_for
from mccs.api.pagination import paginate
from mccs.api.rendering import iso_utc
from mccs.api.routers.accounts import USER_FIELDS, EntityPatchIn, UserOut, mapped_changes, user_out
from mccs.api.routers.ledger import IDEMPOTENCY_HEADER, STATUS_OUT, JsonNumber, amount_from_json
from mccs.api.schemas import BODY, PARAMS, TOKEN, DataOut, Number, PageOut, errors
from mccs.audit.selectors import audit_category, audit_detail, audit_search
from mccs.core.amount import cents_to_decimal
from mccs.core.errors import InvalidRequest
from mccs.directory import curation
from mccs.ledger import administration
from mccs.ledger.idempotency import Idempotency
from mccs.ledger.models import Transfer, TransferState
from mccs.ledger.selectors import (
    admin_entity_get,
    admin_entity_search,
    admin_user_get,
    admin_user_search,
    transfer_get,
    transfer_list,
)

router = Router(tags=["Admin"], auth=admin_auth)


# --- categories and tags ----------------------------------------------------------------------------------------


class NameIn(Schema):
    name: str


class NamedOut(Schema):
    id: str
    name: str


def named_out(obj) -> dict:
    return {"id": str(obj.pk), "name": obj.name}


@router.post(
    "/categories",
    response={200: DataOut[NamedOut], **errors(*BODY, *TOKEN)},
    tags=["Admin: Categories and Tags"],
)
def category_create(request, payload: NameIn):
    """The name is normalised like tags: ``"  Organic  Food! "`` becomes ``organic-food``."""
    return {"data": named_out(curation.category_create(actor=request.auth, name=payload.name))}


@router.patch(
    "/categories/{categoryID}",
    response={200: DataOut[NamedOut], **errors(*BODY, *TOKEN, 404)},
    tags=["Admin: Categories and Tags"],
)
def category_rename(request, categoryID: str, payload: NameIn):
    """Every entity in the category follows the new name. Renaming onto an existing category merges the two and
    answers with the surviving category."""
    category = curation.category_get(category_id=categoryID)
    return {
        "data": named_out(curation.category_rename(actor=request.auth, category=category, name=payload.name))
    }


@router.delete(
    "/categories/{categoryID}",
    response={200: DataOut[NamedOut], **errors(*PARAMS, *TOKEN, 404)},
    tags=["Admin: Categories and Tags"],
)
def category_delete(request, categoryID: str):
    """Every entity in the category loses it."""
    category = curation.category_get(category_id=categoryID)
    return {"data": named_out(curation.category_delete(actor=request.auth, category=category))}


@router.post(
    "/tags", response={200: DataOut[NamedOut], **errors(*BODY, *TOKEN)}, tags=["Admin: Categories and Tags"]
)
def tag_create(request, payload: NameIn):
    return {"data": named_out(curation.tag_create(actor=request.auth, name=payload.name))}


@router.patch(
    "/tags/{tagID}",
    response={200: DataOut[NamedOut], **errors(*BODY, *TOKEN, 404)},
    tags=["Admin: Categories and Tags"],
)
def tag_rename(request, tagID: str, payload: NameIn):
    """Every entity offering or wanting the tag follows the new name. Renaming onto an existing tag merges them."""
    tag = curation.tag_get(tag_id=tagID)
    return {"data": named_out(curation.tag_rename(actor=request.auth, tag=tag, name=payload.name))}


@router.delete(
    "/tags/{tagID}",
    response={200: DataOut[NamedOut], **errors(*PARAMS, *TOKEN, 404)},
    tags=["Admin: Categories and Tags"],
)
def tag_delete(request, tagID: str):
    tag = curation.tag_get(tag_id=tagID)
    return {"data": named_out(curation.tag_delete(actor=request.auth, tag=tag))}


# --- users ------------------------------------------------------------------------------------------------------


class UserWithEntitiesOut(UserOut):
    entities: list[EntityOut]


class AdminUserPatchIn(Schema):
    firstName: str | None = None
    lastName: str | None = None
    telephone: str | None = None
    email: str | None = None


class UserFilters(Schema):
    last_name: str = ""
    email: str = ""
    page: int = 1
    page_size: int = 10


def user_with_entities_out(user) -> dict:
    return {**user_out(user), "entities": [entity_own_out(e) for e in user.entities.all()]}


@router.get(
    "/users",
    response={200: PageOut[UserWithEntitiesOut], **errors(*PARAMS, *TOKEN)},
    exclude_none=True,
    tags=["Admin: Users"],
)
def user_search(request, filters: Query[UserFilters]):
    """Members only: administrators are managed with ``mccs createadmin``."""
    users, meta = paginate(
        admin_user_search(last_name=filters.last_name, email=filters.email),
        filters.page,
        filters.page_size,
    )
    return {"data": [user_with_entities_out(u) for u in users], "meta": meta}


@router.get(
    "/users/{userID}",
    response={200: DataOut[UserWithEntitiesOut], **errors(*PARAMS, *TOKEN, 404)},
    exclude_none=True,
    tags=["Admin: Users"],
)
def user_get(request, userID: str):
    return {"data": user_with_entities_out(admin_user_get(user_id=userID))}


@router.patch(
    "/users/{userID}",
    response={200: DataOut[UserWithEntitiesOut], **errors(*BODY, *TOKEN, 404)},
    exclude_none=True,
    tags=["Admin: Users"],
)
def user_patch(request, userID: str, payload: AdminUserPatchIn):
    """Changing the email address signs the member out everywhere."""
    user = admin_user_get(user_id=userID)
    changes = mapped_changes(payload, {**USER_FIELDS, "email": "email"})
    administration.admin_user_update(actor=request.auth, user=user, changes=changes)
    return {"data": user_with_entities_out(admin_user_get(user_id=userID))}


@router.delete(
    "/users/{userID}", response={200: DataOut[UserOut], **errors(*PARAMS, *TOKEN, 404)}, tags=["Admin: Users"]
)
def user_delete(request, userID: str):
    """Deletes the member. A member who proposed transfers stays in the ledger's history, so is deactivated
    instead (signed out for good and unlinked from their entities). Entities are not deleted with their users."""
    user = admin_user_get(user_id=userID)
    data = user_out(user)
    administration.admin_user_delete(actor=request.auth, user=user)
    return {"data": data}


# --- entities ---------------------------------------------------------------------------------------------------


class EntityWithUsersOut(EntityOut):
    memberStartedAt: str | None = None
    users: list[UserOut] = []


class AdminEntityPatchIn(EntityPatchIn):
    """What a member may change, plus what only administrators may."""

    status: str | None = None
    categories: list[str] | None = None
    maxPositiveBalance: Number | None = None
    maxNegativeBalance: Number | None = None


ADMIN_ENTITY_FIELDS = {
    **ENTITY_API_NAMES,
    "status": "status",
    "categories": "categories",
    "maxPositiveBalance": "max_positive_balance",
    "maxNegativeBalance": "max_negative_balance",
}


class EntityFilters(Schema):
    offers: str = ""
    wants: str = ""
    tagged_since: datetime.datetime | None = None
    category: str = ""
    name: str = ""
    email: str = ""
    account_number: str = ""
    status: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    balance: Number | None = None
    max_pos_bal: Number | None = None
    max_neg_bal: Number | None = None
    page: int = 1
    page_size: int = 10


def entity_with_users_out(entity, *, pending: bool = True) -> dict:
    data = entity_own_out(entity, pending_transfers=pending_transfers_for(entity) if pending else None)
    data["memberStartedAt"] = iso_utc(entity.member_started_at) if entity.member_started_at else None
    data["users"] = [user_out(u) for u in entity.users.all()]
    return data


@router.get(
    "/entities",
    response={200: PageOut[EntityWithUsersOut], **errors(*PARAMS, *TOKEN)},
    exclude_none=True,
    tags=["Admin: Entities"],
)
def entity_search(request, filters: Query[EntityFilters]):
    """Every entity whatever its status. Text filters match part of a value; ``offers`` and ``wants`` take
    comma-separated words; ``balance``, ``max_pos_bal`` and ``max_neg_bal`` return entities at or above the amount."""
    given = filters.model_dump(exclude={"page", "page_size"})
    entities, meta = paginate(admin_entity_search(**given), filters.page, filters.page_size)
    return {"data": [entity_with_users_out(e, pending=False) for e in entities], "meta": meta}


@router.get(
    "/entities/{entityID}",
    response={200: DataOut[EntityWithUsersOut], **errors(*PARAMS, *TOKEN, 404)},
    exclude_none=True,
    tags=["Admin: Entities"],
)
def entity_get(request, entityID: str):
    return {"data": entity_with_users_out(admin_entity_get(entity_id=entityID))}


@router.patch(
    "/entities/{entityID}",
    response={200: DataOut[EntityWithUsersOut], **errors(*BODY, *TOKEN, 404)},
    exclude_none=True,
    tags=["Admin: Entities"],
)
def entity_patch(request, entityID: str, payload: AdminEntityPatchIn):
    """Details, ``status`` (the member is emailed), ``categories`` (existing ones) and the limits. A limit below
    what the balance already uses is refused, and then nothing changes."""
    entity = admin_entity_get(entity_id=entityID)
    changes = mapped_changes(payload, ADMIN_ENTITY_FIELDS)
    entity = administration.admin_entity_update(actor=request.auth, entity=entity, changes=changes)
    return {"data": entity_with_users_out(entity)}


@router.delete(
    "/entities/{entityID}",
    response={200: DataOut[EntityOut], **errors(*PARAMS, *TOKEN, 404)},
    exclude_none=True,
    tags=["Admin: Entities"],
)
def entity_delete(request, entityID: str):
    """Only an entity whose account has never been used can be deleted; the ledger keeps every transfer, so an
    entity that traded is refused (400) — set its status to ``rejected`` instead."""
    entity = admin_entity_get(entity_id=entityID)
    data = entity_own_out(entity)
    administration.admin_entity_delete(actor=request.auth, entity=entity)
    return {"data": data}


# --- transfers --------------------------------------------------------------------------------------------------


class AdminTransferIn(Schema):
    payer: str
    payee: str
    amount: JsonNumber
    description: str | None = None
    overrideLimits: StrictBool = False


class AdminTransferPatchIn(Schema):
    action: str
    cancellationReason: str | None = None


class AdminTransferOut(Schema):
    id: str
    fromAccountNumber: str
    fromEntityName: str
    toAccountNumber: str
    toEntityName: str
    amount: Number
    description: str
    type: str
    status: str
    cancellationReason: str | None = None
    dateProposed: str
    dateCompleted: str | None = None
    dateCancelled: str | None = None
    initiatedBy: str | None = None


class TransferFilters(Schema):
    status: str = "all"
    page: int = 1
    page_size: int = 10


def admin_transfer_out(transfer: Transfer) -> dict:
    return {
        "id": str(transfer.pk),
        "fromAccountNumber": transfer.payer.number,
        "fromEntityName": transfer.payer.entity.name,
        "toAccountNumber": transfer.payee.number,
        "toEntityName": transfer.payee.entity.name,
        "amount": cents_to_decimal(transfer.amount),
        "description": transfer.description,
        "type": transfer.kind,
        "status": STATUS_OUT[transfer.state],
        "cancellationReason": transfer.cancellation_reason
        if transfer.state == TransferState.CANCELLED
        else None,
        "dateProposed": iso_utc(transfer.created_at),
        "dateCompleted": iso_utc(transfer.completed_at) if transfer.completed_at else None,
        "dateCancelled": iso_utc(transfer.cancelled_at) if transfer.cancelled_at else None,
        "initiatedBy": transfer.initiated_by.email if transfer.initiated_by else None,
    }


@router.post(
    "/transfers",
    response={200: DataOut[AdminTransferOut], **errors(*BODY, *TOKEN, 404, 409)},
    exclude_none=True,
    tags=["Admin: Transfers"],
)
def transfer_create(request, payload: AdminTransferIn):
    """Moves credit from ``payer`` to ``payee`` (account numbers) at once, recorded as made by this administrator.
    Limits are respected unless ``overrideLimits`` is true: then the limits are raised just enough, and logged.
    An ``Idempotency-Key`` header makes a retry safe, as on ``POST /transfers``."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    transfer = administration.admin_transfer_create(
        actor=request.auth,
        payer=payload.payer,
        payee=payload.payee,
        amount=amount_from_json(payload.amount),
        description=payload.description,
        override_limits=payload.overrideLimits,
        idempotency=Idempotency(user=request.auth, key=key) if key is not None else None,
    )
    return {"data": admin_transfer_out(transfer_get(transfer_id=transfer.pk))}


@router.get(
    "/transfers",
    response={200: PageOut[AdminTransferOut], **errors(*PARAMS, *TOKEN)},
    exclude_none=True,
    tags=["Admin: Transfers"],
)
def transfer_search(request, filters: Query[TransferFilters]):
    """Transfers of every account, newest first; ``status`` is all, initiated, completed or cancelled."""
    transfers, meta = paginate(
        transfer_list(status=filters.status).select_related("initiated_by"), filters.page, filters.page_size
    )
    return {"data": [admin_transfer_out(t) for t in transfers], "meta": meta}


@router.get(
    "/transfers/{transferID}",
    response={200: DataOut[AdminTransferOut], **errors(*PARAMS, *TOKEN, 404)},
    exclude_none=True,
    tags=["Admin: Transfers"],
)
def transfer_detail(request, transferID: str):
    return {"data": admin_transfer_out(transfer_get(transfer_id=transferID))}


@router.patch(
    "/transfers/{transferID}",
    response={200: DataOut[AdminTransferOut], **errors(*BODY, *TOKEN, 404, 409)},
    exclude_none=True,
    tags=["Admin: Transfers"],
)
def transfer_patch(request, transferID: str, payload: AdminTransferPatchIn):
    """``{"action": "cancel", "cancellationReason": "…"}`` cancels a pending transfer, as in the member API."""
    if payload.action != "cancel":
        raise InvalidRequest(
            _('action must be "cancel": administrators can only cancel pending transfers.'), field="action"
        )
    transfer = administration.admin_transfer_cancel(
        actor=request.auth, transfer_id=transferID, reason=payload.cancellationReason
    )
    return {"data": admin_transfer_out(transfer_get(transfer_id=transfer.pk))}


# --- logs -------------------------------------------------------------------------------------------------------


class LogFilters(Schema):
    email: str = ""
    category: str = ""
    action: str = ""
    userID: str = ""
    entityID: str = ""
    objectType: str = ""
    objectID: str = ""
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    page_size: int = 10


class LogEntryOut(Schema):
    id: int
    userID: str
    email: str
    action: str
    detail: str
    category: str
    createdAt: str
    ip: str
    objectType: str
    objectID: str
    entityID: str
    subjectUserID: str
    changes: dict


def log_entry_out(entry) -> dict:
    return {
        "id": entry.pk,
        "userID": str(entry.actor_id or ""),
        "email": entry.actor_email,
        "action": entry.action,
        "detail": audit_detail(entry),
        "category": audit_category(entry),
        "createdAt": iso_utc(entry.at),
        "ip": entry.ip,
        "objectType": entry.object_type,
        "objectID": entry.object_id,
        "entityID": entry.entity_id,
        "subjectUserID": entry.user_id,
        "changes": entry.changes,
    }


@router.get("/logs", response={200: PageOut[LogEntryOut], **errors(*PARAMS, *TOKEN)}, tags=["Admin: Logs"])
def logs(request, filters: Query[LogFilters]):
    """Every write, newest first. ``email``: the actor's address (or part of it); ``userID``: entries by or about
    that user; ``entityID``; ``action``: ``entity.update``, ``entity`` or ``login``; ``category``: admin, user or
    system; ``date_from``/``date_to``: ISO dates or date-times, inclusive."""
    entries = audit_search(
        email=filters.email,
        user_id=filters.userID,
        entity_id=filters.entityID,
        action=filters.action,
        category=filters.category,
        object_type=filters.objectType,
        object_id=filters.objectID,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    page, meta = paginate(entries, filters.page, filters.page_size)
    return {"data": [log_entry_out(e) for e in page], "meta": meta}
