"""The entities a user acts for (selectors): "which entity am I acting for?".

An entity named in the path (``/user/entities/{id}``) that is not the user's is simply not found (404), like an
unknown one; an entity named in a parameter (``addToEntityID``, ``querying_entity_id``) that the user does not act
for is refused naming that parameter (400 when it is not an id, 403 otherwise).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mccs.core.errors import InvalidRequest, NotFound, PermissionDenied
from mccs.directory.models import Entity
from mccs.directory.policies import can_manage_entity
from mccs.directory.search import ENTITY_NOT_FOUND, parse_entity_id
from mccs.users.models import User


def entities_with_details() -> QuerySet[Entity]:
    return Entity.objects.prefetch_related("entity_tags__tag", "categories")


def entities_for_user(*, user: User) -> QuerySet[Entity]:
    return entities_with_details().filter(users=user).order_by("created_at")


def web_entity_for_user(*, user: User) -> Entity | None:
    """The entity a member acts for on the web pages: their first (None for an administrator, or a member whose
    entity was deleted)."""
    return entities_for_user(user=user).first()


def entity_for_user(*, user: User, entity_id: str) -> Entity:
    """One of the user's own entities; another member's entity is simply not found."""
    entity = entities_for_user(user=user).filter(pk=parse_entity_id(entity_id)).first()
    if entity is None:
        raise NotFound(ENTITY_NOT_FOUND)
    return entity


def acting_entity(*, actor: User, entity_id: object, field: str) -> Entity:
    """An entity the actor acts for; another member's entity (or an unknown id) is refused with 403."""
    try:
        pk = parse_entity_id(entity_id)
    except NotFound:
        raise InvalidRequest(
            _("%(field)s is not a valid entity id.") % {"field": field}, field=field
        ) from None
    entity = Entity.objects.filter(pk=pk).first()
    if entity is None or not can_manage_entity(actor, entity):
        raise PermissionDenied(
            _("You do not act for the entity given as %(field)s.") % {"field": field}, field=field
        )
    return entity
