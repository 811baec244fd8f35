"""Administrators curate the directory's words: categories, and the offer/want tags (membership status changes
live in ``status.py``).

Renaming or deleting a category or tag changes every entity that carries it, in one transaction; renaming onto a
name that already exists merges the two. Every change is audited: one entry for the category or tag itself, and one
``entity.update`` entry per entity it touched, with that entity's list before and after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import cast

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mccs.audit.services import audit_record, audit_record_many
from mccs.core.errors import InvalidRequest, NotFound, TooManyItems
from mccs.core.ids import uuid_or_none
from mccs.directory.locks import curated_lock
from mccs.directory.models import Category, Entity, EntityTag, Tag
from mccs.directory.search import vocabulary_invalidate
from mccs.directory.services import entity_update_record
from mccs.matching.normalise import MAX_TAG_LENGTH, normalise_tag
from mccs.users.models import User
from mccs.users.policies import require_administrator

CATEGORY_NOT_FOUND = gettext_lazy("Category not found.")
TAG_NOT_FOUND = gettext_lazy("Tag not found.")
KIND_FIELD: dict[str, str] = {EntityTag.Kind.OFFER: "offers", EntityTag.Kind.WANT: "wants"}


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
        raise TooManyItems(
            _("An entity can have at most %(most)s categories; %(given)s were given.")
            % {"most": MAX_ENTITY_CATEGORIES, "given": len(names)},
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
    *, actor: User, entity: Entity, names: object, record: bool = True
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
        entity.save(update_fields=["updated_at"])  # the network directory republishes what changed (ADR 0120)
        diff: dict[str, tuple[object, object]] = {"categories": (before, after)}
        if record:
            entity_update_record(actor=actor, entity=entity, diff=diff)
    return diff


# --- categories and tags: get, create, rename (or merge), delete ------------------------------------------------
#
# The two kinds behave alike. They differ in their words, in the lists an entity carries them in (its categories;
# its offers and wants), in how two of them merge, and in the fuzzy vocabulary that only tags feed.

Curated = Category | Tag
MANAGE = {Category: gettext_lazy("manage categories"), Tag: gettext_lazy("manage tags")}
NOT_FOUND = {Category: CATEGORY_NOT_FOUND, Tag: TAG_NOT_FOUND}


def _what(model: type[Curated]) -> str:
    return "category" if model is Category else "tag"


def curated_get(model: type[Curated], pk: object) -> Curated:
    found_id = uuid_or_none(pk)
    found = model.objects.filter(pk=found_id).first() if found_id else None
    if found is None:
        raise NotFound(NOT_FOUND[model])
    return found


def curated_create(model: type[Curated], *, actor: User, name: object) -> Curated:
    require_administrator(actor, what=MANAGE[model])
    what = _what(model)
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


def curated_rename(*, actor: User, item: Curated, name: object) -> Curated:
    """Rename a category or tag on every entity. Onto an existing name, the two merge: the entities of one join the
    other, and it goes. Returns what the item is now called (the other one, after a merge)."""
    model = type(item)
    require_administrator(actor, what=MANAGE[model])
    clean = curated_name_clean(name, what=_what(model))
    with transaction.atomic(durable=True):
        source, target = curated_lock(model, item.pk, clean)
        if source is None:
            raise NotFound(NOT_FOUND[model])
        if source.name == clean:
            return source
        entity_ids = _carriers(source)
        before = _entity_lists(model, entity_ids)
        source_id, old = source.pk, source.name
        changes: dict[str, tuple[object, object]]
        if target is None:
            source.name = clean
            source.save(update_fields=["name"])
            action, changes, result = "rename", {"name": (old, clean)}, source
        else:
            _merge(source, target)
            source.delete()
            action, changes, result = "merge", {"name": (old, clean), "id": (source_id, target.pk)}, target
        _record_change(actor, model, action, source_id, changes, before, entity_ids)
    return result


def curated_delete(*, actor: User, item: Curated) -> Curated:
    """Delete a category or tag; every entity that carried it loses it. Returns the deleted item (with its id)."""
    model = type(item)
    require_administrator(actor, what=MANAGE[model])
    with transaction.atomic(durable=True):
        source, _other = curated_lock(model, item.pk)
        if source is None:
            raise NotFound(NOT_FOUND[model])
        entity_ids = _carriers(source)
        before = _entity_lists(model, entity_ids)
        source_id, name = source.pk, source.name
        source.delete()
        _record_change(actor, model, "delete", source_id, {"name": (name, None)}, before, entity_ids)
    source.pk = source_id
    return source


def _record_change(
    actor: User, model: type[Curated], action: str, item_id, changes: dict, before: dict, entity_ids
) -> None:
    """Audit a rename, merge or delete: one entry for the category or tag, one per entity whose lists changed; and
    refresh the fuzzy vocabulary once committed."""
    what = _what(model)
    audit_record(actor=actor, action=f"{what}.{action}", object_type=what, object_id=item_id, changes=changes)
    _record_entity_lists(actor=actor, before=before, after=_entity_lists(model, entity_ids))
    _vocabulary_changed(model)


def _carriers(item: Curated) -> list[uuid.UUID]:
    """The entities carrying a category or tag (as an offer, a want or both), by id."""
    if isinstance(item, Category):
        return sorted(
            set(Entity.categories.through.objects.filter(category=item).values_list("entity_id", flat=True))
        )
    return sorted(set(EntityTag.objects.filter(tag=item).values_list("entity_id", flat=True)))


def _entity_lists(model: type[Curated], entity_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, list[str]]]:
    """Each entity's categories A–Z, or its offers and wants in the order it listed them: {entity id: {field:
    names}}, to record each entity's lists before and after."""
    fields = ("categories",) if model is Category else ("offers", "wants")
    lists: dict[uuid.UUID, dict[str, list[str]]] = {
        eid: {field: [] for field in fields} for eid in entity_ids
    }
    if model is Category:
        rows = (
            Entity.categories.through.objects.filter(entity_id__in=entity_ids)
            .order_by("category__name")
            .values_list("entity_id", "category__name")
        )
        for entity_id, name in rows:
            lists[entity_id]["categories"].append(name)
    else:
        tags = EntityTag.objects.filter(entity_id__in=entity_ids).order_by("id")
        for entity_id, kind, name in tags.values_list("entity_id", "kind", "tag__name"):
            lists[entity_id][KIND_FIELD[kind]].append(name)
    return lists


def _record_entity_lists(*, actor: User, before: dict, after: dict) -> None:
    """One ``entity.update`` audit entry per entity whose lists changed, with each changed list before and after."""
    entries = []
    for eid, lists in before.items():
        changes = {
            field: (names, after[eid][field]) for field, names in lists.items() if names != after[eid][field]
        }
        if changes:
            entries.append({"object_id": eid, "entity_id": eid, "changes": changes})
    audit_record_many(actor=actor, action="entity.update", object_type="entity", entries=entries)


def _merge(source: Curated, target: Curated) -> None:
    """Move the source's entities onto the target. An entity that listed both tags keeps one, dated from whichever
    it listed first (so "new matches since" does not fire again)."""
    if isinstance(source, Category) and isinstance(target, Category):
        through = Entity.categories.through
        already = set(through.objects.filter(category=target).values_list("entity_id", flat=True))
        through.objects.bulk_create(
            [through(entity_id=eid, category=target) for eid in _carriers(source) if eid not in already]
        )
        return
    assert isinstance(source, Tag) and isinstance(target, Tag)  # a rename never changes the kind
    on_target = {(et.entity_id, et.kind): et for et in EntityTag.objects.filter(tag=target)}
    for et in EntityTag.objects.filter(tag=source):
        keep = on_target.get((et.entity_id, et.kind))
        if keep is None:
            continue
        if et.added_at < keep.added_at:
            EntityTag.objects.filter(pk=keep.pk).update(added_at=et.added_at)
        et.delete()
    EntityTag.objects.filter(tag=source).update(tag=target)


def _vocabulary_changed(model: type[Curated]) -> None:
    # The fuzzy vocabulary only notices new tags by itself; renames and deletes must refresh it, once committed.
    if model is Tag:
        transaction.on_commit(vocabulary_invalidate)


# The services by kind, as the API and the administrators' pages name them.


def category_get(*, category_id: object) -> Category:
    return cast(Category, curated_get(Category, category_id))


def category_create(*, actor: User, name: object) -> Category:
    return cast(Category, curated_create(Category, actor=actor, name=name))


def category_rename(*, actor: User, category: Category, name: object) -> Category:
    """Rename a category. Onto an existing name, the two merge: its entities join the other, and it goes."""
    return cast(Category, curated_rename(actor=actor, item=category, name=name))


def category_delete(*, actor: User, category: Category) -> Category:
    """Delete a category; every entity that had it loses it. Returns the deleted category (with its id)."""
    return cast(Category, curated_delete(actor=actor, item=category))


def tag_get(*, tag_id: object) -> Tag:
    return cast(Tag, curated_get(Tag, tag_id))


def tag_create(*, actor: User, name: object) -> Tag:
    return cast(Tag, curated_create(Tag, actor=actor, name=name))


def tag_rename(*, actor: User, tag: Tag, name: object) -> Tag:
    """Rename a tag on every entity. Onto an existing tag, the two merge; an entity that listed both keeps one,
    dated from whichever it listed first (so "new matches since" does not fire again)."""
    return cast(Tag, curated_rename(actor=actor, item=tag, name=name))


def tag_delete(*, actor: User, tag: Tag) -> Tag:
    """Delete a tag; every entity that offered or wanted it loses it."""
    return cast(Tag, curated_delete(actor=actor, item=tag))


def curated_with_uses(model: type[Curated], *, query: str = "") -> QuerySet:
    """The administrators' list: categories or tags A–Z, those containing ``query`` if given, each with ``uses``,
    the number of entities carrying it."""
    items = model.objects.order_by("name")
    if query:
        items = items.filter(name__icontains=query)
    return items.annotate(uses=Count("entities" if model is Category else "entity_tags", distinct=True))
