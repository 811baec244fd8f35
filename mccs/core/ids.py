"""Public ids are UUIDs; anything else a client sends simply names nothing."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from mccs.core.errors import NotFound

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def parse_id(value: object, *, message: StrOrPromise) -> uuid.UUID:
    """The UUID in ``value``, or NotFound(message) — an id that is not a UUID is an unknown id."""
    found = uuid_or_none(value)
    if found is None:
        raise NotFound(message)
    return found
