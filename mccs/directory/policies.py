from __future__ import annotations

from mccs.directory.models import Entity


def can_manage_entity(user, entity: Entity) -> bool:
    """Only the users linked to an entity act for it."""
    return bool(user and user.is_authenticated and entity.users.filter(pk=user.pk).exists())
