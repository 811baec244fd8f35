"""Directory search (selectors): tags matching a term, ranked entity search, categories, matches.

Tag matching works on the small vocabulary of distinct tag names and then finds entities by tag id through the
``(kind, tag, added_at)`` index, so its cost grows with the number of distinct tags, not of entities (ADR 0020).
"""

from __future__ import annotations

import datetime
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from django.db import connection, models
from django.db.models import Case, F, IntegerField, Min, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mccs.core import rows
from mccs.core.errors import InvalidRequest, NotFound
from mccs.core.ids import parse_id
from mccs.directory.models import LISTED_STATUSES, Category, Entity, EntityStatus, EntityTag, Tag
from mccs.directory.synonyms import curated_key_sql, with_synonyms
from mccs.matching.ranking import (
    WORST_ORDER,
    FuzzyVocabulary,
    Rank,
    TagMatch,
    search_terms,
    tag_match,
)
from mccs.users.models import User

ENTITY_NOT_FOUND = gettext_lazy("Entity not found.")
MAX_MATCHED_TAGS = 500  # the best-ranked tags a term may expand to; keeps the SQL IN-lists bounded
VOCABULARY_MAX_AGE = 60.0  # seconds; renamed tags reach fuzzy search in other processes within this time


# --- the fuzzy vocabulary, shared by the threads of one process ---------------------------------------------------


@dataclass
class _VocabularyCache:
    key: tuple | None = None
    loaded_at: float = 0.0
    vocabulary: FuzzyVocabulary = field(default_factory=lambda: FuzzyVocabulary([]))
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache = _VocabularyCache()


def vocabulary_invalidate() -> None:
    """Call after renaming or deleting tags so this process rebuilds the fuzzy vocabulary at once."""
    _cache.key = None


def tag_vocabulary(key: tuple | None = None) -> FuzzyVocabulary:
    """The distinct tag names. A new tag changes the count or the newest creation time, which one cheap
    aggregate notices, so new tags are fuzzy-searchable at once; renames are picked up within a minute. ``key``:
    that aggregate, when the caller has read it in a statement of its own."""
    # In SQL of our own, as every search asks it (ADR 0165); the key is only compared, so the raw values do.
    if key is None:
        key = rows.select(f"SELECT {rows.change_key_sql(Tag, 'created_at')}", [])[0]  # noqa: S608
    if key != _cache.key or time.monotonic() - _cache.loaded_at > VOCABULARY_MAX_AGE:
        with _cache.lock:
            if key != _cache.key or time.monotonic() - _cache.loaded_at > VOCABULARY_MAX_AGE:
                _cache.vocabulary = FuzzyVocabulary(Tag.objects.values_list("name", flat=True))
                _cache.key = key
                _cache.loaded_at = time.monotonic()
    return _cache.vocabulary


# --- tags ---------------------------------------------------------------------------------------------------------


def tag_names_matching(
    terms: Iterable[str],
    memo: dict | None = None,
    vocabulary: FuzzyVocabulary | None = None,
    *,
    fragment: bool = False,
) -> dict[str, TagMatch]:
    """{tag name: its best match} for the tags any of the (normalised) terms matches (mccs.matching.ranking). A
    ``memo`` dict shared across calls (e.g. by one digest run) remembers each term's matches. With a
    ``vocabulary`` (a digest run's snapshot of every tag name) nothing is asked of the database; without one, the
    process's cached vocabulary answers, and the database adds exact matches (so a tag renamed in another process
    a moment ago is found by its new name at once). ``fragment``: the start of any word counts (``GET /tags``)."""
    if memo is not None:
        merged: dict[str, TagMatch] = {}
        for term in terms:
            if term not in memo:
                memo[term] = tag_names_matching([term], vocabulary=vocabulary, fragment=fragment)
            for name, match in memo[term].items():
                if name not in merged or match < merged[name]:
                    merged[name] = match
        return merged
    terms = list(terms)
    if not terms:
        return {}
    curated_key = None
    if vocabulary is not None:
        matches = vocabulary.match(terms, fragment=fragment)
    else:
        vocabulary_key, curated_key, exact = _freshness_and_exact_names(terms)
        vocabulary = tag_vocabulary(vocabulary_key)
        matches = vocabulary.match(terms, fragment=fragment)
        for name in exact:
            matches[name] = tag_match(Rank.EXACT, name)
    return matches if fragment else with_synonyms(matches, terms, vocabulary, curated_key=curated_key)


def _freshness_and_exact_names(terms: list[str]) -> tuple[tuple, tuple, list[str]]:
    """In one statement, as every search asks it: the vocabulary's freshness key, the curated synonyms' key and
    which of ``terms`` are tag names now. The keys come in the row whose name is NULL (a tag always has a name)."""
    found = rows.select(
        f"SELECT NULL, {rows.change_key_sql(Tag, 'created_at')}, {curated_key_sql()} "  # noqa: S608
        f"UNION ALL SELECT name, NULL, NULL, NULL, NULL FROM {Tag._meta.db_table} "
        f"WHERE name IN ({rows.placeholders(terms)})",
        terms,
    )
    keys = next(row for row in found if row[0] is None)
    return (keys[1], keys[2]), (keys[3], keys[4]), [row[0] for row in found if row[0] is not None]


def best_matches(matches: dict[str, TagMatch]) -> dict[str, TagMatch]:
    """The MAX_MATCHED_TAGS best of the matches, best first: what one search uses."""
    best = sorted(matches, key=lambda name: (matches[name].order, name))[:MAX_MATCHED_TAGS]
    return {name: matches[name] for name in best}


def tag_ids_matching(
    terms: Iterable[str], memo: dict | None = None, names: dict[str, TagMatch] | None = None
) -> dict[uuid.UUID, TagMatch]:
    """{tag id: best match}, keeping at most MAX_MATCHED_TAGS of the best-ranked tags. ``names`` (a dict) receives
    the same matches by tag name."""
    matches = best_matches(tag_names_matching(terms, memo))
    if not matches:
        return {}
    names_wanted = list(matches)
    found = {
        uuid.UUID(str(pk)): name
        for pk, name in rows.select(
            f"SELECT id, name FROM {Tag._meta.db_table} WHERE name IN ({rows.placeholders(names_wanted)})",  # noqa: S608
            names_wanted,
        )
    }
    if names is not None:
        names.update((name, matches[name]) for name in found.values())
    return {pk: matches[name] for pk, name in found.items()}


def tag_search(fragment: str | None) -> list[Tag]:
    """``GET /tags``: every tag, or the tags matching a fragment (also any word starting with it), best first."""
    terms = search_terms(fragment, field="fragment") if fragment else []
    if not terms:
        if fragment and fragment.strip():
            return []
        return list(Tag.objects.order_by("name"))
    matches = tag_names_matching(terms, fragment=True)
    tags = list(Tag.objects.filter(name__in=list(matches)))
    tags.sort(key=lambda tag: (matches[tag.name].order, tag.name))
    return tags


def category_search(*, prefix: str | None = None, fragment: str | None = None) -> QuerySet[Category]:
    """``GET /categories``: all categories A–Z, or those starting with ``prefix`` and/or containing ``fragment``."""
    categories = Category.objects.order_by(Lower("name"), "name")
    if prefix and prefix.strip():
        categories = categories.filter(name__istartswith=prefix.strip())
    if fragment and fragment.strip():
        categories = categories.filter(name__icontains=fragment.strip())
    return categories


# --- entities -----------------------------------------------------------------------------------------------------


def listed_entities() -> QuerySet[Entity]:
    return Entity.objects.filter(status__in=LISTED_STATUSES)


def parse_entity_id(value: object) -> uuid.UUID:
    return parse_id(value, message=ENTITY_NOT_FOUND)


def listed_entity(entity_id: object) -> Entity:
    """A directory entity by id; unlisted (pending, rejected) entities are not found, like unknown ones."""
    entity = (
        listed_entities()
        .prefetch_related("entity_tags__tag", "categories")
        .filter(pk=parse_entity_id(entity_id))
        .first()
    )
    if entity is None:
        raise NotFound(ENTITY_NOT_FOUND)
    return entity


def parse_since(value: str | None, *, field: str = "tagged_since") -> datetime.datetime | None:
    """An ISO 8601 date or date-time (``2024-05-01`` or ``2024-05-01T12:00:00Z``); naive times are UTC."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        moment = moment.astimezone(datetime.UTC)  # the database compares in UTC; out of range → refused here
    except (ValueError, OverflowError):
        raise InvalidRequest(
            _(
                "%(field)s must be an ISO 8601 date or date-time such as 2024-05-01T12:00:00Z; got '%(value)s'."
            )
            % {"field": field, "value": text[:40]},
            field=field,
        ) from None
    return moment


@dataclass
class EntitySearch:
    """What to look for. ``offers``/``wants`` are comma-separated terms or lists; all filters combine with AND."""

    offers: str | list[str] | None = None
    wants: str | list[str] | None = None
    category: str | None = None
    tagged_since: datetime.datetime | None = None
    tagged_until: datetime.datetime | None = None
    name: str | None = None
    favorites_of: Entity | None = None
    exclude: Entity | None = None
    memo: dict | None = None  # term → matching tags, shared by searches that reuse terms (the daily digest)
    # What the search matched, filled in when it runs: kind ("offer"/"want") → {tag name: best match}
    matched: dict[str, dict[str, TagMatch]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        # Comma-separated text comes from a client: more than MAX_TERMS terms is refused, naming the field.
        # Lists are the node's own (an entity's tags) and keep their first MAX_TERMS terms.
        if isinstance(self.offers, str):
            self.offers = search_terms(self.offers, field="offers")
        if isinstance(self.wants, str):
            self.wants = search_terms(self.wants, field="wants")


def _rank_case(matches: dict[uuid.UUID, TagMatch]) -> Case:
    by_order: dict[int, list[uuid.UUID]] = {}
    for pk, match in matches.items():
        by_order.setdefault(match.order, []).append(pk)
    return Case(
        *[When(tag_id__in=ids, then=Value(order)) for order, ids in sorted(by_order.items())],
        default=Value(WORST_ORDER),
        output_field=IntegerField(),
    )


def _tag_time_filter(prefix: str, search: EntitySearch) -> Q:
    condition = Q()
    if search.tagged_since:
        condition &= Q(**{f"{prefix}added_at__gt": search.tagged_since})
    if search.tagged_until:
        condition &= Q(**{f"{prefix}added_at__lte": search.tagged_until})
    return condition


def _entity_conditions(search: EntitySearch, prefix: str) -> Q:
    """The filters on the entity itself (listed, name, category, favourites), seen through ``prefix``."""
    condition = Q(**{f"{prefix}status__in": LISTED_STATUSES})
    if search.exclude is not None:
        condition &= ~Q(**{f"{prefix}id": search.exclude.pk})
    if search.name and search.name.strip():
        condition &= Q(**{f"{prefix}name__icontains": search.name.strip()})
    if search.category and search.category.strip():
        in_category = Category.objects.filter(name__iexact=search.category.strip()).values("entities")
        condition &= Q(**{f"{prefix}id__in": in_category})
    if search.favorites_of is not None:
        condition &= Q(**{f"{prefix}id__in": search.favorites_of.favorites.values("pk")})
    return condition


def _search_rows(search: EntitySearch) -> QuerySet:
    """Rows (eid, match_rank, lname) of the listed entities matching every given filter, unordered.

    A term matches a tag exactly, as another form, as part of it, or despite a typo (mccs.matching.ranking);
    several comma-separated terms match an entity that has any of them. With both offers and wants, an entity must
    match both; the offers match decides the ranking.
    """
    ranked: tuple[EntityTag.Kind, dict[uuid.UUID, TagMatch]] | None = None
    also: list[Q] = []
    search.matched = {}
    for kind, raw in ((EntityTag.Kind.OFFER, search.offers), (EntityTag.Kind.WANT, search.wants)):
        terms = search_terms(raw)
        if not terms:
            continue
        search.matched[kind] = {}
        ranks = tag_ids_matching(terms, search.memo, names=search.matched[kind])
        if not ranks:
            return Entity.objects.none().values(eid=F("id"))
        if ranked is None:
            ranked = (kind, ranks)
        else:
            tagged = EntityTag.objects.filter(
                Q(kind=kind, listed=True, tag_id__in=list(ranks)) & _tag_time_filter("", search)
            )
            also.append(Q(id__in=tagged.values("entity_id")))

    if ranked is None:
        entities = Entity.objects.filter(_entity_conditions(search, ""))
        if search.tagged_since or search.tagged_until:
            tagged = EntityTag.objects.filter(_tag_time_filter("", search))
            entities = entities.filter(pk__in=tagged.values("entity_id"))
        return entities.values(eid=F("id")).annotate(match_rank=Value(0), lname=Lower("name"))

    # Start from the matching tags of listed entities, which the (kind, tag, listed, added_at, entity, sort_name)
    # index holds entirely, and group by entity id: the rank of an entity is the best rank of its matching tags.
    # Only filters on other entity fields (name, category, favourites, the other kind) join the entity table.
    kind, ranks = ranked
    tags = EntityTag.objects.filter(
        Q(kind=kind, tag_id__in=list(ranks), listed=True) & _tag_time_filter("", search)
    )
    if search.exclude is not None:
        tags = tags.exclude(entity_id=search.exclude.pk)
    if _filters_beyond_listing(search) or also:
        entity_filter = _entity_conditions(search, "entity__")
        for condition in also:
            entity_filter &= Q(entity__in=Entity.objects.filter(condition).values("id"))
        tags = tags.filter(entity_filter)
    return tags.values(eid=F("entity_id")).annotate(match_rank=Min(_rank_case(ranks)), lname=Min("sort_name"))


def _filters_beyond_listing(search: EntitySearch) -> bool:
    return bool(
        (search.name and search.name.strip())
        or (search.category and search.category.strip())
        or search.favorites_of is not None
    )


def entity_search(search: EntitySearch) -> QuerySet:
    """The ids of the listed entities matching ``search``, best tag match first, then by name. Slice it, then load
    the entities with ``entities_in_order``."""
    rows = _search_rows(search)
    if rows.query.is_empty():
        return rows.values_list("eid", flat=True)
    return rows.order_by("match_rank", "lname", "eid").values_list("eid", flat=True)


# --- the first pages of a plain tag search, without sorting every match (ADR 0140) ---------------------------------

TOP_ROWS_MAX = 20_000  # matched tags × end of the page: beyond this, a page is ranked by sorting every match


@dataclass(frozen=True)
class TopRanking:
    """A search that ranks by one kind's matched tags and filters on nothing else than being listed (and perhaps
    not being the ``exclude`` entity). Entity e is among the ``end`` best (by rank, name, id) only if it is among
    the ``end`` best by name of the tag that gives its rank — otherwise ``end`` entities with that tag, so ranked at
    least as well, come before it by name. So a page is ranked from each matched tag's ``end`` first entities by
    name, read in order from an index, and the total is counted apart."""

    kind: str
    ranks: dict[uuid.UUID, TagMatch]
    exclude: uuid.UUID | None = None

    def fits(self, end: int) -> bool:
        return len(self.ranks) * end <= TOP_ROWS_MAX


def top_ranking(search: EntitySearch) -> TopRanking | None:
    """``search`` as a TopRanking when it is one, with ``search.matched`` filled in as running it would; None when
    it filters on more (a name, a category, favourites, tag times, offers and wants together)."""
    if search.tagged_since or search.tagged_until or _filters_beyond_listing(search):
        return None
    kinds = [
        (kind, terms)
        for kind, raw in ((EntityTag.Kind.OFFER, search.offers), (EntityTag.Kind.WANT, search.wants))
        if (terms := search_terms(raw))
    ]
    if len(kinds) != 1:
        return None
    kind, terms = kinds[0]
    names: dict[str, TagMatch] = {}
    ranks = tag_ids_matching(terms, search.memo, names=names)
    search.matched = {kind: names}
    return TopRanking(kind, ranks, search.exclude.pk if search.exclude is not None else None)


def _top_filter(model: type[models.Model], ranking: TopRanking) -> tuple[str, list]:
    """The WHERE clause (and its parameters) of a ranking's rows of ``model``: EntityTag (listed entities only,
    less the excluded one) or RemoteEntityTag (all)."""
    where: list[str] = ["kind = %s"]
    params: list[object] = [ranking.kind]
    if model is EntityTag:
        where.append("listed = %s")
        params.append(True)
        if ranking.exclude is not None:
            where.append("entity_id <> %s")
            params.append(_db_id(ranking.exclude))
    return " AND ".join(where), params


_UUID: models.UUIDField = models.UUIDField()


def _db_id(pk: uuid.UUID) -> object:
    """An id as this database stores it (SQLite: 32 hex digits; PostgreSQL: a uuid)."""
    return _UUID.get_db_prep_value(pk, connection)


def _tag_params(ids: Iterable[uuid.UUID]) -> list:
    return [_db_id(pk) for pk in ids]


def top_rows_sql(model: type[models.Model], ranking: TopRanking, end: int) -> tuple[str, list]:
    """SQL of rows (eid, match_rank, lname) that hold the ``end`` best entities of ``model`` (EntityTag or
    RemoteEntityTag) for ``ranking``, unordered: each matched tag's first ``end`` entities by name (an index gives
    them in order: ``entitytag_by_name``, ``remotetag_by_name``), each ranked by the best of the tags whose first
    entities it is among.

    That rank is the entity's true rank for every entity among the ``end`` best: it is among the first of the tag
    that gives its rank. Another candidate may be ranked worse than it truly is (its better tag has ``end``
    entities named before it), but such an entity is not among the ``end`` best and, ranked worse, cannot come
    before one that is. So the page is the same as ranking every candidate over all its tags, without looking
    each one's tags up (ADR 0160)."""
    table = connection.ops.quote_name(model._meta.db_table)
    where, base = _top_filter(model, ranking)
    tags = _tag_params(ranking.ranks)
    orders = [int(match.order) for match in ranking.ranks.values()]
    if (
        connection.vendor == "postgresql"
    ):  # one subquery run per tag (LATERAL): planned once, whatever the tags
        firsts = (
            "SELECT f.entity_id, f.sort_name, t.rank FROM unnest(%s::uuid[], %s::int[]) AS t(tag, rank) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT entity_id, sort_name FROM {table} WHERE {where} AND tag_id = t.tag "
            "ORDER BY sort_name, entity_id LIMIT %s) f"
        )
        params: list = [tags, orders, *base, end]
    else:
        firsts = " UNION ALL ".join(
            f"SELECT entity_id, sort_name, {order} AS rank FROM (SELECT entity_id, sort_name FROM {table} "  # noqa: S608
            f"WHERE {where} AND tag_id = %s ORDER BY sort_name, entity_id LIMIT %s) t{i}"
            for i, order in enumerate(orders)
        )
        params = [p for tag in tags for p in (*base, tag, end)]
    sql = (
        "SELECT c.entity_id AS eid, MIN(c.rank) AS match_rank, c.sort_name AS lname "  # noqa: S608
        f"FROM ({firsts}) c GROUP BY c.entity_id, c.sort_name"
    )
    return sql, params


# A broad term in a large directory matches tens of thousands of entities, and counting them exactly reads every
# one (ADR 0185). So a plain tag search counts exactly up to EXACT_TOTAL_UP_TO; beyond, it says "more than".
EXACT_TOTAL_UP_TO = 10_000
# The matching rows read to count them: room for entities with two matching tags each on average.
TOTAL_ROWS_READ = 2 * EXACT_TOTAL_UP_TO


@dataclass(frozen=True)
class Total:
    """How many entities a search found: exactly ``value``, or (``exact`` false) more than ``value``."""

    value: int
    exact: bool = True


def bounded_total(found: int, read: int, exact_count: Callable[[], int]) -> Total:
    """The total of one side of a plain tag search from its bounded count (``top_count_sql``): ``found`` distinct
    entities among the ``read`` first matching rows. Fewer rows than TOTAL_ROWS_READ: that was every row, so the
    count is exact. Otherwise there are more, and at least ``found`` entities: "more than EXACT_TOTAL_UP_TO" when
    ``found`` is more, else (entities with many matching tags each, rare) ``exact_count()`` counts them all."""
    if read < TOTAL_ROWS_READ:
        return Total(found)
    if found > EXACT_TOTAL_UP_TO:
        return Total(EXACT_TOTAL_UP_TO, exact=False)
    return Total(exact_count())


def _count_from(model: type[models.Model], ranking: TopRanking, *, rows_read: int | None) -> tuple[str, list]:
    """The matching rows of ``model`` for ``ranking`` (the first ``rows_read`` of them, or all), and their
    parameters: ``entity_id`` of each, from the index alone."""
    table = connection.ops.quote_name(model._meta.db_table)
    where, params = _top_filter(model, ranking)
    tags = _tag_params(ranking.ranks)
    if len(tags) == 1:
        condition, tag_params = "tag_id = %s", tags
    elif connection.vendor == "postgresql":
        condition, tag_params = "tag_id = ANY(%s)", [tags]
    else:
        condition, tag_params = f"tag_id IN ({', '.join(['%s'] * len(tags))})", tags
    limit, limit_params = (" LIMIT %s", [rows_read]) if rows_read is not None else ("", [])
    return (
        f"SELECT entity_id FROM {table} WHERE {where} AND {condition}{limit}",  # noqa: S608
        [*params, *tag_params, *limit_params],
    )


def top_count_sql(model: type[models.Model], ranking: TopRanking) -> tuple[str, list]:
    """SQL of one row (found, read) for ``bounded_total``: the distinct entities among the first TOTAL_ROWS_READ
    rows of ``model`` that ``ranking`` finds, and how many rows that was."""
    rows_sql, params = _count_from(model, ranking, rows_read=TOTAL_ROWS_READ)
    if len(ranking.ranks) == 1:  # one row per entity and tag (entity_tag_unique): nothing to make distinct
        return f"SELECT COUNT(*) AS found, COUNT(*) AS rows_read FROM ({rows_sql}) r", params  # noqa: S608
    # Grouped in a subquery: SQLite sorts the ids (faster than its COUNT(DISTINCT)), PostgreSQL hashes them.
    return (
        "SELECT COUNT(*) AS found, COALESCE(SUM(d.n), 0) AS rows_read "  # noqa: S608 — SQL of ours
        f"FROM (SELECT r.entity_id, COUNT(*) AS n FROM ({rows_sql}) r GROUP BY r.entity_id) d",
        params,
    )


def top_exact_count(model: type[models.Model], ranking: TopRanking) -> int:
    """Every entity of ``model`` that ``ranking`` finds, counted: what ``bounded_total`` falls back on."""
    rows_sql, params = _count_from(model, ranking, rows_read=None)
    sql = f"SELECT COUNT(*) FROM (SELECT DISTINCT r.entity_id FROM ({rows_sql}) r) d"  # noqa: S608
    return rows.select(sql, params)[0][0]


def entity_search_page(search: EntitySearch, *, start: int, end: int) -> tuple[list[uuid.UUID], int]:
    """One page of ``entity_search`` and the total number of results, in a single pass over the matches (a
    window function counts while the page is sorted, instead of a second query repeating the join)."""
    rows = _search_rows(search)
    if rows.query.is_empty():
        return [], 0
    inner_sql, params = rows.order_by().values_list("eid", "match_rank", "lname").query.sql_with_params()
    sql = (
        f"SELECT s.eid, COUNT(*) OVER () FROM ({inner_sql}) s "  # noqa: S608 — the inner SQL comes from the ORM
        "ORDER BY s.match_rank, s.lname, s.eid LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, end - start, start])
        found = cursor.fetchall()
    if not found:
        return [], (rows.count() if start else 0)
    return [uuid.UUID(str(pk)) for pk, _ in found], found[0][1]


@dataclass(frozen=True)
class MatchedTerm:
    """Why a result was found: its ``tag`` (an offer or a want, ``kind``) matched the search ``term``, ``by`` how."""

    kind: str
    term: str
    tag: str
    by: Rank


def matched_terms(search: EntitySearch, entities: Iterable[Entity]) -> dict[uuid.UUID, list[MatchedTerm]]:
    """For entities found by ``search`` (after it ran; typically one page of them, loaded by ``entities_in_order``),
    which of their tags matched which term: the best first, offers before wants. Reads no database: the matches
    are those the search kept, the tags those loaded with the entities."""
    explained: dict[uuid.UUID, list[MatchedTerm]] = {}
    for entity in entities:
        found: list[tuple[int, int, str, MatchedTerm]] = []
        for position, (kind, matches) in enumerate(search.matched.items()):
            for name in entity.tag_names(kind):
                match = matches.get(name)
                if match is not None:
                    found.append(
                        (position, match.order, name, MatchedTerm(kind, match.term, name, match.rank))
                    )
        explained[entity.pk] = [item[-1] for item in sorted(found, key=lambda item: item[:3])]
    return explained


def entities_in_order(
    ids: Iterable[uuid.UUID], *, with_accounts: bool = False, names_only: bool = False
) -> list[Entity]:
    """The entities with these ids, in this order, with their tags and categories (and accounts) loaded.
    ``names_only``: for a page that is only shown (the API's list), the names of their tags and categories are
    read as plain rows (``Entity.preloaded_names``), in the same order, instead of model instances: a third of the
    time for a page of ten."""
    ids = list(ids)
    if names_only:
        found = {entity.pk: entity for entity in _entities_with_names(ids, with_accounts=with_accounts)}
    else:
        base = Entity.objects.select_related("account") if with_accounts else Entity.objects.all()
        # Each entity's tags with their names in one query (a join), not two.
        tags = Prefetch("entity_tags", queryset=EntityTag.objects.select_related("tag"))
        found = {e.pk: e for e in base.filter(pk__in=ids).prefetch_related(tags, "categories")}
    return [found[pk] for pk in ids if pk in found]


def _entities_with_names(ids: list[uuid.UUID], *, with_accounts: bool) -> list[Entity]:
    """The entities (with their accounts: ``select_related("account")`` as the ORM makes it) and the names of their
    tags (in the order they were added) and categories (A–Z) as ``Entity.preloaded_names``, in SQL of our own
    (ADR 0165): every directory search through the API loads its page this way, and the ORM spent more CPU
    building these three statements than the database answering them."""
    if not ids:
        return []
    keys = [rows.prep(Entity, "id", pk) for pk in ids]
    among = rows.placeholders(keys)
    relation = cast(models.OneToOneRel, Entity._meta.get_field("account"))
    account = cast(type[models.Model], relation.related_model)
    columns, joins = (
        (f", {rows.columns(account, 'a')}", f" LEFT JOIN {account._meta.db_table} a ON a.entity_id = e.id")
        if with_accounts
        else ("", "")
    )
    read = rows.select(
        f"SELECT {rows.columns(Entity, 'e')}{columns} FROM {Entity._meta.db_table} e{joins} "  # noqa: S608 — SQL of ours
        f"WHERE e.id IN ({among})",
        keys,
    )
    found: dict[uuid.UUID, Entity] = {}
    names_of: dict[uuid.UUID, tuple[dict[str, list[str]], list[str]]] = {}
    for row in read:
        entity = rows.instance(Entity, row)
        if with_accounts:
            linked = rows.joined(account, row, rows.width(Entity))
            relation.set_cached_value(entity, linked)
            if linked is not None:
                relation.field.set_cached_value(linked, entity)
        entity.preloaded_names = names_of[entity.pk] = ({}, [])
        found[entity.pk] = entity
    # Tag names (part 0, in the order they were added) and category names (part 1, A–Z) in one statement.
    through = Entity.categories.through._meta.db_table
    for part, entity_id, kind, name, _order in rows.select(
        f"SELECT 0, et.entity_id, et.kind, t.name, et.id FROM {EntityTag._meta.db_table} et "  # noqa: S608 — SQL of ours
        f"JOIN {Tag._meta.db_table} t ON t.id = et.tag_id WHERE et.entity_id IN ({among}) "
        f"UNION ALL SELECT 1, ec.entity_id, NULL, c.name, NULL FROM {through} ec "
        f"JOIN {Category._meta.db_table} c ON c.id = ec.category_id WHERE ec.entity_id IN ({among}) "
        "ORDER BY 1, 5, 4",
        keys + keys,
    ):
        names = names_of[uuid.UUID(str(entity_id))]
        if part == 0:
            names[0].setdefault(kind, []).append(name)
        else:
            names[1].append(name)
    return list(found.values())


def email_visible(querying: Entity | None, result: Entity) -> bool:
    """An entity's email shows only when both the querying entity and the result may trade."""
    return bool(
        querying is not None
        and querying.status == EntityStatus.TRADING_ACCEPTED
        and result.status == EntityStatus.TRADING_ACCEPTED
    )


# --- matches ------------------------------------------------------------------------------------------------------


@dataclass
class Matches:
    want_what_you_offer: list[Entity]
    offer_what_you_want: list[Entity]

    def __bool__(self) -> bool:
        return bool(self.want_what_you_offer or self.offer_what_you_want)


def entity_matches(
    entity: Entity,
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    limit: int | None = 20,
) -> Matches:
    """Members who want what the entity offers and members who offer what it wants: the same search a member
    would type, with the entity's own tags as terms. With ``since``, only tags the others added after it."""
    offers, wants = entity.offers, entity.wants

    def find(**terms) -> list[Entity]:
        if not any(terms.values()):
            return []
        found = entity_search(EntitySearch(exclude=entity, tagged_since=since, tagged_until=until, **terms))
        return entities_in_order(found[:limit] if limit else found)

    return Matches(want_what_you_offer=find(wants=offers), offer_what_you_want=find(offers=wants))


def matches_for_dashboard(entity: Entity, user: User) -> tuple[Matches, datetime.datetime | None]:
    """The dashboard's matches; only those new since the previous sign-in when the entity asked for that."""
    since = user.previous_login if entity.show_tags_matched_since_last_login else None
    return entity_matches(entity, since=since), since
