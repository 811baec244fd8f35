"""How an entity looks in the API (alpha spec ``Entity``), for its own users and for the directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja import Schema
from pydantic import StrictBool, StrictInt, create_model

from mccs.api.schemas import Number
from mccs.core.amount import cents_to_decimal
from mccs.directory.fields import ENTITY_FIELD, ENTITY_FIELDS, EntityField
from mccs.directory.models import Entity, RemoteEntity


class TransferViewOut(Schema):
    id: str
    transfer: str
    isInitiator: bool
    accountNumber: str
    entityName: str
    amount: Number
    description: str
    status: str
    cancellationReason: str | None = None
    dateProposed: str
    dateCompleted: str | None = None


# How each kind of entity field is read from a request body (strict: "true" is not a boolean, "5" not a number).
INPUT_TYPES: dict[type, Any] = {str: str, int: StrictInt, bool: StrictBool, list: list[str]}
# API name → model name of the fields a member may set, as PATCH /user/entities/{id} and sign-up name them.
ENTITY_API_NAMES = {field.api_name: field.name for field in ENTITY_FIELDS}
SIGNUP_ENTITY_NAMES = {field.signup_name or field.api_name: field.name for field in ENTITY_FIELDS}


def optional_inputs(names: dict[str, str]) -> dict[str, Any]:
    """Pydantic field definitions for these entity fields (API name → model name), each optional."""
    return {api_name: (INPUT_TYPES[ENTITY_FIELD[name].kind] | None, None) for api_name, name in names.items()}


def _output(field: EntityField) -> tuple[Any, Any]:
    """An entity field in an answer: always present, except the email (shown only to trading members) and the
    declared turnover, which may be null."""
    if field.kind is list:
        return list[str], ...
    if field.name == "email" or field.kind is int:
        return field.kind | None, None
    return field.kind, ...


if TYPE_CHECKING:  # a type checker cannot follow a model built from a declaration; it sees a plain schema

    class EntityOut(Schema): ...

else:
    EntityOut = create_model(
        "EntityOut",
        __base__=Schema,
        id=(str, ...),
        accountNumber=(str | None, None),
        **{field.api_name: _output(field) for field in ENTITY_FIELDS if field.kind in (str, int)},
        status=(str, ...),
        **{field.api_name: _output(field) for field in ENTITY_FIELDS if field.kind in (bool, list)},
        categories=(list[str], ...),
        isFavorite=(bool | None, None),
        balance=(Number | None, None),
        maxPositiveBalance=(Number | None, None),
        maxNegativeBalance=(Number | None, None),
        pendingTransfers=(list[TransferViewOut] | None, None),
        node=(str | None, None),
        accountPath=(str | None, None),
    )


def entity_public_fields(entity: Entity, *, include_email: bool) -> dict:
    account = getattr(entity, "account", None)
    return {
        "id": str(entity.id),
        "accountNumber": account.number if account else None,
        **{field.api_name: getattr(entity, field.name) for field in ENTITY_FIELDS},
        "email": entity.email if include_email else None,
        "status": entity.status,
        "categories": entity.category_names(),
    }


# The fields a remote entity's node shares (ADR 0120); every other text field of the alpha's Entity is empty.
REMOTE_FIELDS = ("name", "city", "region", "country", "offers", "wants")


def remote_entity_out(entity: RemoteEntity) -> dict:
    """A listed entity of another node: its node and Credit Commons path, never an email (it is not shared)."""
    data: dict[str, object] = {"id": str(entity.id)}
    for field in ENTITY_FIELDS:
        if field.name in REMOTE_FIELDS:
            data[field.api_name] = getattr(entity, field.name)
        elif field.kind is str and field.name != "email":
            data[field.api_name] = ""
        elif field.kind is bool:
            data[field.api_name] = False
    data.update(
        status=entity.status,
        categories=list(entity.categories),
        isFavorite=False,
        node=entity.node,
        accountPath=entity.account_path or None,
    )
    return data


def entity_own_out(entity: Entity, *, pending_transfers: list[dict] | None = None) -> dict:
    """The full view a user gets of their own entity: email, balance, limits and pending transfers."""
    data = entity_public_fields(entity, include_email=True)
    account = getattr(entity, "account", None)
    if account is not None:
        data["balance"] = cents_to_decimal(account.balance)
        data["maxPositiveBalance"] = cents_to_decimal(account.max_positive_balance)
        data["maxNegativeBalance"] = cents_to_decimal(account.max_negative_balance)
    data["pendingTransfers"] = pending_transfers or []
    return data
