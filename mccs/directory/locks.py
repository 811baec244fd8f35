"""Every row lock the directory takes lives here (like ``mccs/ledger/lock_objects.py``).

The node has one lock order, written once in docs/ledger.md ("Lock order"): the user, then entities, then
categories or tags, then the federation's rows, then accounts — each kind in primary-key order. Taking locks in one
order means two transactions that need the same rows queue up instead of deadlocking. On SQLite
``select_for_update`` is a no-op: the IMMEDIATE transaction already holds the database's single write lock.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import TypeVar

from django.db import models

from mccs.directory.models import Entity

M = TypeVar("M", bound=models.Model)


def entity_lock(entity_id: uuid.UUID) -> Entity | None:
    """Lock one entity and return it freshly read (None when it is gone). Call inside a transaction."""
    return Entity.objects.select_for_update().filter(pk=entity_id).first()


def digest_windows_lock(
    entity_ids: Iterable[uuid.UUID], previous: datetime.datetime | None
) -> list[uuid.UUID]:
    """Lock those of the entities whose digest window still ends at ``previous`` (in primary-key order) and return
    their ids: a second worker waits here, then finds the windows moved and skips them."""
    window = Entity.objects.filter(pk__in=list(entity_ids))
    window = (
        window.filter(last_match_digest_at=previous)
        if previous
        else window.filter(last_match_digest_at__isnull=True)
    )
    return list(window.order_by("pk").select_for_update().values_list("pk", flat=True))


def curated_lock(model: type[M], pk: uuid.UUID, name: str | None = None) -> tuple[M | None, M | None]:
    """Lock a category or tag, and the one already named ``name`` if any (the target of a merge), in one statement
    in primary-key order, so a rename of A onto B and one of B onto A queue instead of deadlocking. Returns them
    freshly read: (the item or None when it is gone, the other one or None)."""
    condition = models.Q(pk=pk)
    if name is not None:
        condition |= models.Q(name=name)
    found = list(model._default_manager.filter(condition).order_by("pk").select_for_update())
    item = next((row for row in found if row.pk == pk), None)
    other = next((row for row in found if row.pk != pk), None)
    return item, other
