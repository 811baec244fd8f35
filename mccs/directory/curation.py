"""Administrators curate the directory's words: categories, and the offer/want tags (membership status changes
live in ``status.py``).

Renaming or deleting a category or tag changes every entity that carries it, in one transaction; renaming onto a
name that already exists merges the two. Every change is audited: one entry for the category or tag itself, and one
``entity.update`` entry per entity it touched, with that entity's list before and after.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mccs.audit.services import audit_record, audit_record_many
from mccs.core.errors import InvalidRequest, NotFound
from mccs.core.ids import uuid_or_none
from mccs.directory.locks import curated_lock
from mccs.directory.models import Category, Entity, EntityTag, Tag
from mccs.directory.search import vocabulary_invalidate
from mccs.directory.services import entity_update_record
from mccs.matching.normalise import MAX_TAG_LENGTH, normalise_tag
from mccs.users.policies import require_administrator

CATEGORY_NOT_FOUND = gettext_lazy("Category not found.")
TAG_NOT_FOUND = gettext_lazy("Tag not found.")
KIND_FIELD = {EntityTag.Kind.OFFER: "offers", EntityTag.Kind.WANT: "wants"}


# --- names ----------------------------------------------------------------------------------------------------


def curated_name_clean(raw: object, *, what: str) -> str:
    """Category and tag names are normalised like offers and wants: ``"  Organic  Veg! "`` → ``organic-veg``."""
    if not isinstance(raw, str) or not raw.strip():
        message = _("A category name is required.") if what == "category" else _("A tag name is required.")
        raise InvalidRequest(message, field="name")
    name = normalise_tag(raw)
    if not name:
        if what == "category":
            message = _("The category name must contain at least one letter or digit.")
        else:
            message = _("The tag name must contain at least one letter or digit.")
        raise InvalidRequest(message, field="name")
    if len(name) > MAX_TAG_LENGTH:
        if what == "category":
            message = _("The category name can be at most %(limit)s characters long.")
        else:
            message = _("The tag name can be at most %(limit)s characters long.")
        raise InvalidRequest(message % {"limit": MAX_TAG_LENGTH}, field="name")
    return name


# --- categories of an entity ---------------------------------------------------------------------------------


MAX_ENTITY_CATEGORIES = 50  # bounds the lookup a client's list drives (one IN list, never thousands of names)


def categories_resolve(names: object) -> list[Category]:
    """Existing categories by name, in the order given (a typo must not create a new heading)."""
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise InvalidRequest(_("categories must be a list of category names."), field="categories")
    names = list(names)
    if len(names) > MAX_ENTITY_CATEGORIES:
        raise InvalidRequest(
            _("An entity can have at most %(most)s categories; %(given)s were given.")
            % {"most": MAX_ENTITY_CATEGORIES, "given": len(names)},
            code="too_many_items",
            field="categories",
        )
    wanted: list[str] = []
    for raw in names:
        name = curated_name_clean(raw, what="category")
        if name not in wanted:
            wanted.append(name)
    found = {c.name: c for c in Category.objects.filter(name__in=wanted)}
    missing = [name for name in wanted if name not in found]
    if missing:
        raise InvalidRequest(
            ngettext(
                "There is no category named %(names)s. Create it first.",
                "There are no categories named %(names)s. Create them first.",
                len(missing),
            )
            % {"names": ", ".join(missing)},
            field="categories",
        )
    return [found[name] for name in wanted]


def entity_categories_set(
    *, actor, entity: Entity, names: object, record: bool = True
) -> dict[str, tuple[object, object]]:
    """Assign existing categories to an entity. Returns the diff (and records it unless ``record`` is off, for a
    caller that records it with other changes)."""
    categories = categories_resolve(names)
    before = sorted(entity.categories.values_list("name", flat=True))
    after = sorted(c.name for c in categories)
    if before == after:
        return {}
    # Not durable: also a step of a larger use-case (docs/ledger.md, "Transactions").
    with transaction.atomic():
        entity.categories.set(categories)
        diff: dict[str, tuple[object, object]] = {"categories": (before, after)}
        if record:
            entity_update_record(actor=actor, entity=entity, diff=diff)
    return diff


# --- categories -----------------------------------------------------------------------------------------------


def _curated_get(model, pk: object, message: str):
    found = model.objects.filter(pk=uuid_or_none(pk)).first()
    if found is None:
        raise NotFound(message)
    return found


def _curated_create(model, *, actor, name: object, what: str):
    clean = curated_name_clean(name, what=what)
    with transaction.atomic(durable=True):
        if model.objects.filter(name=clean).exists():
            if what == "category":
                message = _("A category named %(name)s already exists.")
            else:
                message = _("A tag named %(name)s already exists.")
            raise InvalidRequest(message % {"name": clean}, field="name")
        created = model.objects.create(name=clean)
        audit_record(
            actor=actor,
            action=f"{what}.create",
            object_type=what,
            object_id=created.pk,
            changes={"name": (None, clean)},
        )
    return created


def category_get(*, category_id: object) -> Category:
    return _curated_get(Category, category_id, CATEGORY_NOT_FOUND)


def category_create(*, actor, name: object) -> Category:
    require_administrator(actor, what=gettext_lazy("manage categories"))
    return _curated_create(Category, actor=actor, name=name, what="category")


def _category_lists(entity_ids: Iterable[object]) -> dict[object, list[str]]:
    lists: dict[object, list[str]] = defaultdict(list)
    through = Entity.categories.through
    for entity_id, name in (
        through.objects.filter(entity_id__in=list(entity_ids))
        .order_by("category__name")
        .values_list("entity_id", "category__name")
    ):
        lists[entity_id].append(name)
    return lists


def _record_entity_lists(*, actor, field: str, before: dict, after: dict, entity_ids: list) -> None:
    audit_record_many(
        actor=actor,
        action="entity.update",
        object_type="entity",
        entries=[
            {
                "object_id": eid,
                "entity_id": eid,
                "changes": {field: (before.get(eid, []), after.get(eid, []))},
            }
            for eid in entity_ids
            if before.get(eid, []) != after.get(eid, [])
        ],
    )


def category_rename(*, actor, category: Category, name: object) -> Category:
    """Rename a category. Onto an existing name, the two merge: its entities join the other, and it goes."""
    require_administrator(actor, what=gettext_lazy("manage categories"))
    return _curated_rename(CATEGORIES, actor=actor, item=category, name=name)


def category_delete(*, actor, category: Category) -> Category:
    """Delete a category; every entity that had it loses it. Returns the deleted category (with its id)."""
    require_administrator(actor, what=gettext_lazy("manage categories"))
    return _curated_delete(CATEGORIES, actor=actor, item=category)


# --- tags -----------------------------------------------------------------------------------------------------


def tag_get(*, tag_id: object) -> Tag:
    return _curated_get(Tag, tag_id, TAG_NOT_FOUND)


def tag_create(*, actor, name: object) -> Tag:
    require_administrator(actor, what=gettext_lazy("manage tags"))
    return _curated_create(Tag, actor=actor, name=name, what="tag")


def _tag_lists(entity_ids: Iterable[object]) -> dict[tuple[object, str], list[str]]:
    """(entity id, kind) → tag names in the order the entity listed them."""
    lists: dict[tuple[object, str], list[str]] = defaultdict(list)
    for entity_id, kind, name in (
        EntityTag.objects.filter(entity_id__in=list(entity_ids))
        .order_by("id")
        .values_list("entity_id", "kind", "tag__name")
    ):
        lists[(entity_id, kind)].append(name)
    return lists


def _record_tag_lists(*, actor, before: dict, after: dict, entity_ids: list) -> None:
    entries = []
    for eid in entity_ids:
        changes = {}
        for kind, field in KIND_FIELD.items():
            if before.get((eid, kind), []) != after.get((eid, kind), []):
                changes[field] = (before.get((eid, kind), []), after.get((eid, kind), []))
        if changes:
            entries.append({"object_id": eid, "entity_id": eid, "changes": changes})
    audit_record_many(actor=actor, action="entity.update", object_type="entity", entries=entries)


def tag_rename(*, actor, tag: Tag, name: object) -> Tag:
    """Rename a tag on every entity. Onto an existing tag, the two merge; an entity that listed both keeps one,
    dated from whichever it listed first (so "new matches since" does not fire again)."""
    require_administrator(actor, what=gettext_lazy("manage tags"))
    return _curated_rename(TAGS, actor=actor, item=tag, name=name)


def _merge_entity_tags(*, source: Tag, target: Tag) -> None:
    on_target = {(et.entity_id, et.kind): et for et in EntityTag.objects.filter(tag=target)}
    for et in EntityTag.objects.filter(tag=source):
        keep = on_target.get((et.entity_id, et.kind))
        if keep is None:
            continue
        # Listed both: keep the target's row, dated from whichever was listed first.
        if et.added_at < keep.added_at:
            EntityTag.objects.filter(pk=keep.pk).update(added_at=et.added_at)
        et.delete()
    EntityTag.objects.filter(tag=source).update(tag=target)


def tag_delete(*, actor, tag: Tag) -> Tag:
    """Delete a tag; every entity that offered or wanted it loses it."""
    require_administrator(actor, what=gettext_lazy("manage tags"))
    return _curated_delete(TAGS, actor=actor, item=tag)


# --- renaming, merging and deleting either kind -------------------------------------------------------------------


@dataclass(frozen=True)
class _Curated:
    """How categories and tags differ when renamed, merged or deleted; the rest is the same for both."""

    model: type
    what: str
    not_found: str
    entity_ids: Callable[[object], list]  # the entities carrying an item
    lists: Callable[[list], dict]  # those entities' lists, to record before/after
    record: Callable[..., None]  # record each entity's changed list
    merge: Callable[[object, object], None]  # move the source's entities onto the target
    changed: Callable[[], None] = lambda: None  # after commit


def _category_entity_ids(category) -> list:
    return list(
        Entity.categories.through.objects.filter(category=category).values_list("entity_id", flat=True)
    )


def _merge_categories(source, target) -> None:
    through = Entity.categories.through
    already = set(through.objects.filter(category=target).values_list("entity_id", flat=True))
    through.objects.bulk_create(
        [
            through(entity_id=eid, category=target)
            for eid in _category_entity_ids(source)
            if eid not in already
        ]
    )


CATEGORIES = _Curated(
    model=Category,
    what="category",
    not_found=CATEGORY_NOT_FOUND,
    entity_ids=_category_entity_ids,
    lists=_category_lists,
    record=lambda **kw: _record_entity_lists(field="categories", **kw),
    merge=_merge_categories,
)
TAGS = _Curated(
    model=Tag,
    what="tag",
    not_found=TAG_NOT_FOUND,
    entity_ids=lambda tag: sorted(set(EntityTag.objects.filter(tag=tag).values_list("entity_id", flat=True))),
    lists=_tag_lists,
    record=_record_tag_lists,
    merge=lambda source, target: _merge_entity_tags(source=source, target=target),
    # The fuzzy vocabulary only notices new tags by itself; renames and deletes must refresh it.
    changed=vocabulary_invalidate,
)


def _curated_rename(kind: _Curated, *, actor, item, name: object):
    clean = curated_name_clean(name, what=kind.what)
    with transaction.atomic(durable=True):
        source, target = curated_lock(kind.model, item.pk, clean)
        if source is None:
            raise NotFound(kind.not_found)
        if source.name == clean:
            return source
        entity_ids = kind.entity_ids(source)
        before = kind.lists(entity_ids)
        transaction.on_commit(kind.changed)
        if target is None:
            old = source.name
            source.name = clean
            source.save(update_fields=["name"])
            audit_record(
                actor=actor,
                action=f"{kind.what}.rename",
                object_type=kind.what,
                object_id=source.pk,
                changes={"name": (old, clean)},
            )
            result = source
        else:
            kind.merge(source, target)
            source_id, old = source.pk, source.name
            source.delete()
            audit_record(
                actor=actor,
                action=f"{kind.what}.merge",
                object_type=kind.what,
                object_id=source_id,
                changes={"name": (old, clean), "id": (source_id, target.pk)},
            )
            result = target
        kind.record(actor=actor, before=before, after=kind.lists(entity_ids), entity_ids=entity_ids)
    return result


def _curated_delete(kind: _Curated, *, actor, item):
    with transaction.atomic(durable=True):
        source, _other = curated_lock(kind.model, item.pk)
        if source is None:
            raise NotFound(kind.not_found)
        entity_ids = kind.entity_ids(source)
        before = kind.lists(entity_ids)
        source_id, name = source.pk, source.name
        source.delete()
        transaction.on_commit(kind.changed)
        audit_record(
            actor=actor,
            action=f"{kind.what}.delete",
            object_type=kind.what,
            object_id=source_id,
            changes={"name": (name, None)},
        )
        kind.record(actor=actor, before=before, after=kind.lists(entity_ids), entity_ids=entity_ids)
    source.pk = source_id
    return source
