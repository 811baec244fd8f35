"""Favourites: the entities a member marks to find again (a service to mark or unmark, a selector to read)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from mccs.core.errors import InvalidRequest, NotFound, PermissionDenied
from mccs.directory.models import Entity
from mccs.directory.policies import can_manage_entity
from mccs.directory.search import ENTITY_NOT_FOUND, listed_entities, parse_entity_id
from mccs.directory.services import entity_record
from mccs.users.models import User


def favorite_set(*, actor: User, entity: Entity, favorite_id: object, is_favorite: bool) -> bool:
    """Mark or unmark a listed entity as one of ``entity``'s favourites. Returns whether anything changed."""
    if not can_manage_entity(actor, entity):
        raise PermissionDenied(_("You do not act for this entity."))
    target = listed_entities().filter(pk=parse_entity_id(favorite_id)).first()
    if target is None:
        raise NotFound(ENTITY_NOT_FOUND)
    if target.pk == entity.pk:
        raise InvalidRequest(_("An entity cannot be its own favourite."), field="favoriteEntityID")
    with transaction.atomic(durable=True):
        present = entity.favorites.filter(pk=target.pk).exists()
        if present == is_favorite:
            return False
        if is_favorite:
            entity.favorites.add(target)
        else:
            entity.favorites.remove(target)
        entity_record(
            actor=actor,
            entity=target,
            action="favorite.set",
            changes={"isFavorite": (present, is_favorite)},
            under=entity,
        )
    return True


def favorite_ids(entity: Entity | None, among: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    if entity is None:
        return set()
    return set(entity.favorites.filter(pk__in=list(among)).values_list("pk", flat=True))
