"""Opening accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from mccs.core.amount import Amount
from mccs.directory.models import Entity
from mccs.ledger.account_numbers import account_number_generate
from mccs.ledger.models import Account


def default_limits() -> tuple[int, int]:
    positive = Amount.parse(
        str(settings.MCCS_DEFAULT_MAX_POSITIVE_BALANCE), field="default limit", allow_zero=True
    )
    negative = Amount.parse(
        str(settings.MCCS_DEFAULT_MAX_NEGATIVE_BALANCE), field="default limit", allow_zero=True
    )
    return positive.cents, negative.cents


def account_open(*, entity: Entity) -> Account:
    positive, negative = default_limits()
    for _ in range(10):
        try:
            # Savepoint: a colliding account number is retried inside the caller's transaction.
            with transaction.atomic():
                return Account.objects.create(
                    entity=entity,
                    number=account_number_generate(),
                    max_positive_balance=positive,
                    max_negative_balance=negative,
                )
        except IntegrityError:
            if Account.objects.filter(entity=entity).exists():
                raise
    raise RuntimeError("Could not allocate a unique account number.")
