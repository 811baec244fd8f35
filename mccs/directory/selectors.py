from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from mccs.core.errors import NotFound
from mccs.core.ids import parse_id
from mccs.directory.models import Entity

ENTITY_NOT_FOUND = gettext_lazy("Entity not found.")


def entities_with_details() -> QuerySet[Entity]:
    return Entity.objects.prefetch_related("entity_tags__tag", "categories")


def entities_for_user(*, user) -> QuerySet[Entity]:
    return entities_with_details().filter(users=user).order_by("created_at")


def entity_for_user(*, user, entity_id: str) -> Entity:
    """One of the user's own entities; another member's entity is simply not found."""
    pk = parse_id(entity_id, message=ENTITY_NOT_FOUND)
    entity = entities_for_user(user=user).filter(pk=pk).first()
    if entity is None:
        raise NotFound(ENTITY_NOT_FOUND)
    return entity
