"""Writes to the directory: entity details and offers/wants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from mccs.audit.services import audit_record
from mccs.core import rows
from mccs.core.clock import now
from mccs.core.errors import InvalidRequest, PermissionDenied
from mccs.core.text_guard import name_check
from mccs.directory.fields import ENTITY_FIELD, MEMBER_EDITABLE_FIELDS, TAG_FIELDS
from mccs.directory.models import Entity, EntityTag, IncType, Tag
from mccs.directory.policies import can_manage_entity
from mccs.matching.normalise import normalise_tags
from mccs.users.models import User

MAX_TURNOVER = 10**15


def _clean_value(field: str, value: object) -> object:
    declared = ENTITY_FIELD[field]
    label = declared.label or field
    if declared.kind is bool:
        if not isinstance(value, bool):
            raise InvalidRequest(_("%(label)s must be true or false.") % {"label": label}, field=field)
        return value
    if declared.kind is int:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_TURNOVER:
            raise InvalidRequest(
                _("The declared turnover must be a whole number of zero or more."), field=field
            )
        return value
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidRequest(_("The %(label)s must be text.") % {"label": label}, field=field)
    value = value.strip()
    max_length = declared.max_length
    if max_length and len(value) > max_length:
        raise InvalidRequest(
            _("The %(label)s can be at most %(limit)s characters long.")
            % {"label": label, "limit": max_length},
            field=field,
        )
    if not value:
        return value
    if field == "name":
        return name_check(value, label=label, field=field)
    if field == "email":
        try:
            validate_email(value)
        except ValidationError:
            raise InvalidRequest(_("The entity email is not a valid email address."), field=field) from None
        return value.lower()
    if field == "inc_type" and value not in IncType.values:
        raise InvalidRequest(
            _("The incorporation type must be one of: %(values)s.") % {"values": ", ".join(IncType.values)},
            field=field,
        )
    if field == "website":
        candidate = value if "://" in value else f"https://{value}"
        if max_length and len(candidate) > max_length:
            raise InvalidRequest(
                _("The %(label)s can be at most %(limit)s characters long.")
                % {"label": label, "limit": max_length},
                field=field,
            )
        try:
            URLValidator(schemes=["http", "https"])(candidate)
        except ValidationError:
            raise InvalidRequest(_("The website is not a valid web address."), field=field) from None
        return candidate
    return value


def entity_clean_changes(changes: Mapping[str, object]) -> dict[str, object]:
    """Validate member-editable fields; raises InvalidRequest naming the first bad field."""
    cleaned: dict[str, object] = {}
    for field, value in changes.items():
        if field in TAG_FIELDS:
            cleaned[field] = normalise_tags(value or [], field=field)
        elif field in MEMBER_EDITABLE_FIELDS:
            cleaned[field] = _clean_value(field, value)
        else:
            raise InvalidRequest(
                _("The field %(field)s cannot be changed here.") % {"field": field}, field=field
            )
    return cleaned


def entity_tags_set(*, entity: Entity, kind: str, names: list[str]) -> None:
    """Replace an entity's offers or wants; tags it already had keep the date they were first added."""
    getattr(entity, "_prefetched_objects_cache", {}).pop("entity_tags", None)
    existing = {et.tag.name: et for et in entity.entity_tags.select_related("tag").filter(kind=kind)}
    wanted = set(names)
    EntityTag.objects.filter(pk__in=[et.pk for name, et in existing.items() if name not in wanted]).delete()
    moment = now()
    for name in names:
        if name in existing:
            continue
        tag, _ = Tag.objects.get_or_create(name=name)
        EntityTag.objects.create(entity=entity, tag=tag, kind=kind, added_at=moment)
    getattr(entity, "_prefetched_objects_cache", {}).pop("entity_tags", None)


def entity_apply_changes(
    *, entity: Entity, changes: Mapping[str, object]
) -> dict[str, tuple[object, object]]:
    """Apply already-cleaned changes. Returns {field: (before, after)} for what really changed."""
    diff: dict[str, tuple[object, object]] = {}
    for field, value in changes.items():
        if field in {"offers", "wants"}:
            kind = EntityTag.Kind.OFFER if field == "offers" else EntityTag.Kind.WANT
            names = cast(list[str], value)  # cleaned by entity_clean_changes
            before = sorted(entity.tag_names(kind))
            entity_tags_set(entity=entity, kind=kind, names=names)
            if before != sorted(names):
                diff[field] = (before, list(names))
            continue
        before = getattr(entity, field)
        if before != value:
            setattr(entity, field, value)
            diff[field] = (before, value)
    # Only the changed columns: a full save would put back a status an administrator set meanwhile. A change of
    # offers or wants moves updated_at too: the network directory republishes what changed since (ADR 0120).
    columns = [field for field in diff if field not in {"offers", "wants"}]
    if diff:
        entity.save(update_fields=[*columns, "updated_at"])
    return diff


def entity_recipients(entity: Entity) -> list[str]:
    """Where mail for an entity goes: its own address, else the addresses of its active users (maybe none)."""
    if entity.email:
        return [entity.email]
    return sorted(entity.users.filter(is_active=True).values_list("email", flat=True))


def entity_language(entity: Entity) -> str:
    """The language of an entity's emails: that of its longest-standing active user who chose one (else "")."""
    return entity_mail(entity)[1]


def entities_mail(entities: list[Entity]) -> dict:
    """``entity_mail`` for several entities in one query: {entity id: (recipients, language)}. In SQL of our own: a
    transfer's acceptance asks it for both parties (ADR 0165)."""
    if not entities:
        return {}
    keys = {rows.prep(Entity, "id", entity.pk): entity.pk for entity in entities}
    found_rows = rows.select(
        f"SELECT m.entity_id, u.email, u.language FROM {Entity.users.through._meta.db_table} m "
        f"JOIN {User._meta.db_table} u ON u.id = m.user_id "
        f"WHERE m.entity_id IN ({rows.placeholders(keys)}) AND u.is_active ORDER BY u.date_joined",
        list(keys),
    )
    users: dict = {}
    for entity_id, email, code in found_rows:
        users.setdefault(keys[entity_id], []).append((email, code))
    found = {}
    for entity in entities:
        mine = users.get(entity.pk, [])
        language = next((code for _email, code in mine if code), "")
        found[entity.pk] = (
            ([entity.email] if entity.email else sorted(email for email, _code in mine)),
            language,
        )
    return found


def entity_mail(entity: Entity) -> tuple[list[str], str]:
    """``entity_recipients`` and ``entity_language`` in one query."""
    users = list(entity.users.filter(is_active=True).order_by("date_joined").values_list("email", "language"))
    language = next((code for _email, code in users if code), "")
    return ([entity.email] if entity.email else sorted(email for email, _code in users)), language


def entity_record(
    *,
    actor: User,
    entity: Entity,
    action: str,
    changes: Mapping[str, tuple[object, object]],
    under: Entity | None = None,
) -> None:
    """The audit entry of a change to an entity (``entity.update``, ``entity.status_change``…), filed under the
    entity, or under ``under`` when another entity made it (``favorite.set``: the entity that marks a favourite)."""
    audit_record(
        actor=actor,
        action=action,
        object_type="entity",
        object_id=entity.pk,
        entity_id=(under or entity).pk,
        changes=changes,
    )


def entity_update_record(*, actor: User, entity: Entity, diff: Mapping[str, tuple[object, object]]) -> None:
    """The audit entry of an entity change (nothing when nothing changed)."""
    if diff:
        entity_record(actor=actor, entity=entity, action="entity.update", changes=diff)


def entity_update(*, actor: User, entity: Entity, changes: Mapping[str, object]) -> Entity:
    """A member changes their own entity's details."""
    if not can_manage_entity(actor, entity):
        raise PermissionDenied(_("You do not act for this entity."))
    cleaned = entity_clean_changes(changes)
    with transaction.atomic(durable=True):
        diff = entity_apply_changes(entity=entity, changes=cleaned)
        entity_update_record(actor=actor, entity=entity, diff=diff)
    return entity
