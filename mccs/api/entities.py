"""How an entity looks in the API (alpha spec ``Entity``), for its own users and for the directory."""

from __future__ import annotations

from ninja import Schema

from mccs.api.schemas import Number
from mccs.core.amount import cents_to_decimal
from mccs.directory.models import Entity


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


class EntityOut(Schema):
    id: str
    accountNumber: str | None = None
    name: str
    email: str | None = None
    telephone: str
    incType: str
    companyNumber: str
    website: str
    declaredTurnover: int | None = None
    description: str
    address: str
    city: str
    region: str
    postalCode: str
    country: str
    status: str
    showTagsMatchedSinceLastLogin: bool
    receiveDailyMatchNotificationEmail: bool
    offers: list[str]
    wants: list[str]
    categories: list[str]
    isFavorite: bool | None = None
    balance: Number | None = None
    maxPositiveBalance: Number | None = None
    maxNegativeBalance: Number | None = None
    pendingTransfers: list[TransferViewOut] | None = None


def entity_public_fields(entity: Entity, *, include_email: bool) -> dict:
    account = getattr(entity, "account", None)
    return {
        "id": str(entity.id),
        "accountNumber": account.number if account else None,
        "name": entity.name,
        "email": entity.email if include_email else None,
        "telephone": entity.telephone,
        "incType": entity.inc_type,
        "companyNumber": entity.company_number,
        "website": entity.website,
        "declaredTurnover": entity.declared_turnover,
        "description": entity.description,
        "address": entity.address,
        "city": entity.city,
        "region": entity.region,
        "postalCode": entity.postal_code,
        "country": entity.country,
        "status": entity.status,
        "showTagsMatchedSinceLastLogin": entity.show_tags_matched_since_last_login,
        "receiveDailyMatchNotificationEmail": entity.receive_daily_match_notification_email,
        "offers": entity.offers,
        "wants": entity.wants,
        "categories": [c.name for c in entity.categories.all()],
    }


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
