from __future__ import annotations

from mccs.directory.models import Entity
from mccs.users.models import User


def can_manage_entity(user: User | None, entity: Entity) -> bool:
    """Only the users linked to an entity act for it."""
    return bool(user and user.is_authenticated and entity.users.filter(pk=user.pk).exists())


def can_be_contacted(entity: Entity) -> bool:
    """Only directory-listed entities send and receive messages (pending and rejected ones cannot)."""
    return entity.is_listed
