"""Record writes in the audit log. Call inside the transaction of the write itself."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Mapping

from mccs.audit.models import AuditEntry
from mccs.core import rows
from mccs.core.amount import Amount
from mccs.core.clock import now
from mccs.core.request_context import current_ip

SECRET_FIELDS = frozenset({"password", "token", "key_hash", "token_hash", "secret"})


def _plain(value: object) -> object:
    if isinstance(value, Amount):
        return str(value.to_decimal())
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if hasattr(value, "pk"):
        return str(value.pk)
    return value


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: object = "",
    entity_id: object = "",
    user_id: object = "",
    changes: Mapping[str, tuple[object, object]] | None = None,
    actor_email: str | None = None,
) -> None:
    """Append one entry. In SQL of our own (ADR 0165): every service writes one, often on the hottest paths."""
    rows.insert(
        AuditEntry,
        _entry_fields(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            entity_id=entity_id,
            user_id=user_id,
            changes=changes,
            actor_email=actor_email,
            at=now(),
        ),
    )


def audit_record_many(*, actor, action: str, object_type: str, entries: list[dict]) -> int:
    """Record one entry per object in one statement (e.g. every entity a tag rename touched).

    Each item of ``entries`` gives ``object_id`` and optionally ``entity_id``, ``user_id`` and ``changes``."""
    moment = now()
    made = [
        AuditEntry(
            **_entry_fields(
                actor=actor, action=action, object_type=object_type, at=moment, actor_email=None, **item
            )
        )
        for item in entries
    ]
    AuditEntry.objects.bulk_create(made, batch_size=500)
    return len(made)


def _entry_fields(
    *,
    actor,
    action,
    object_type,
    at,
    object_id: object = "",
    entity_id: object = "",
    user_id: object = "",
    changes=None,
    actor_email=None,
) -> dict:
    clean = {
        field: [_plain(before), _plain(after)]
        for field, (before, after) in (changes or {}).items()
        if field not in SECRET_FIELDS
    }
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return dict(
        at=at,
        actor=actor if is_user else None,
        actor_email=actor_email if actor_email is not None else (actor.email if is_user else ""),
        actor_is_admin=bool(is_user and actor.is_staff),
        ip=current_ip.get(),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        entity_id=str(entity_id or ""),
        user_id=str(user_id or ""),
        changes=clean,
    )
