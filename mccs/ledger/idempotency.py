"""Idempotency keys: a retried request gets the first answer again, with no second effect.

The record is written in the same transaction as the effect, so either both exist or neither does. Two copies of
one request racing each other both try to insert the record; the unique (user, key) constraint lets one commit and
the other roll back entirely, after which it finds the record and answers with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from mccs.core.clock import now
from mccs.core.errors import ApplicationError, InvalidRequest
from mccs.core.text_guard import refuse_nul
from mccs.ledger.errors import ERROR_KINDS, IdempotencyKeyReused
from mccs.ledger.models import IdempotencyRecord, Transfer
from mccs.users.models import User

MAX_KEY_LENGTH = 255


@dataclass
class Idempotency:
    """What the interface passes in: whose key, the key, and how to render the answer (as JSON text).

    After the service returns, ``response`` holds that JSON text (the stored one on a replay)."""

    user: User
    key: str
    render: Callable[[Transfer], str] = field(default=lambda transfer: json.dumps({"id": str(transfer.id)}))
    response: str | None = None
    replayed: bool = False

    def __post_init__(self) -> None:
        self.key = (self.key or "").strip()
        if not self.key or len(self.key) > MAX_KEY_LENGTH:
            raise InvalidRequest(
                _("The Idempotency-Key header must be between 1 and %(most)s characters.")
                % {"most": MAX_KEY_LENGTH},
                field="Idempotency-Key",
            )
        refuse_nul(self.key)


def fingerprint(operation: str, **request: object) -> str:
    canonical = json.dumps({"operation": operation, **request}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_find(idem: Idempotency, print_: str) -> IdempotencyRecord | None:
    record = IdempotencyRecord.objects.filter(user=idem.user, key=idem.key).first()
    if record is not None and record.fingerprint != print_:
        raise IdempotencyKeyReused(
            _(
                "This Idempotency-Key was already used for a different request. Use a new key for a new request."
            )
        )
    return record


def idempotency_exists(idem: Idempotency) -> bool:
    return IdempotencyRecord.objects.filter(user=idem.user, key=idem.key).exists()


def idempotency_save(
    idem: Idempotency, print_: str, *, transfer: Transfer, error: ApplicationError | None
) -> None:
    response = "" if error else idem.render(transfer)
    IdempotencyRecord.objects.create(
        user=idem.user,
        key=idem.key,
        fingerprint=print_,
        transfer=transfer,
        response=response,
        error_kind=error.code if error else "",
        error_message=error.message if error else "",
        created_at=now(),
    )
    idem.response = response


def idempotency_replay(idem: Idempotency, record: IdempotencyRecord) -> Transfer:
    """Give the recorded answer again: the same error, or the same response body."""
    idem.replayed = True
    if record.error_kind:
        raise ERROR_KINDS.get(record.error_kind, InvalidRequest)(record.error_message)
    idem.response = record.response
    assert record.transfer_id is not None  # idempotency_save always names the transfer
    return Transfer.objects.select_related("payer__entity", "payee__entity").get(pk=record.transfer_id)


def idempotency_prune() -> int:
    """Delete records older than ``MCCS_IDEMPOTENCY_KEY_DAYS`` (the worker runs this hourly). A client retries for
    minutes, not days; after that, the same key is simply a new request. Returns how many were deleted."""
    cutoff = now() - timedelta(days=settings.MCCS_IDEMPOTENCY_KEY_DAYS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
