"""The network directory, directory side (ADR 0120): this node's copy of the listed entities its neighbours share
(services that apply a neighbour's feed), and the search over local and remote entities together (selectors).

The transport (the ``/cc/`` extension, the pull, the feed this node serves) is the federation app's; this module
knows no neighbour, only the name a copy came ``via``. Remote offers and wants use the same tag vocabulary as local
ones, so one tag match (``search.tag_ids_matching``) ranks both, and a remote search reads its own covering index
``remotetag_search`` as a local one reads ``entitytag_listed_search``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Min, Q, QuerySet, Value

from mccs.core.clock import now
from mccs.core.errors import NotFound
from mccs.directory import search
from mccs.directory.models import (
    Entity,
    EntityStatus,
    EntityTag,
    RemoteEntity,
    RemoteEntityTag,
    RemoteSource,
    Tag,
)
from mccs.matching.normalise import MAX_TAG_LENGTH, normalise_tag
from mccs.matching.ranking import TagMatch, search_terms

MAX_REMOTE_TAGS = 50  # per kind and entity: a neighbour's feed never decides how much we store
MAX_REMOTE_CATEGORIES = 20
PATH_MAX = 255

# --- what a shared entry may hold ------------------------------------------------------------------------------


def _text(value: object, most: int) -> str:
    return value.strip()[:most] if isinstance(value, str) else ""


def _tags(value: object) -> list[str]:
    result: list[str] = []
    if not isinstance(value, list):
        return result
    for raw in value:
        if not isinstance(raw, str):
            continue
        tag = normalise_tag(raw)
        if tag and len(tag) <= MAX_TAG_LENGTH and tag not in result:
            result.append(tag)
        if len(result) == MAX_REMOTE_TAGS:
            break
    return result


def entry_clean(raw: object) -> dict | None:
    """A shared entry as this node keeps it, or None when it is not one. Only the public fields are read:
    whatever else a neighbour sends (an email, say) is dropped here."""
    if not isinstance(raw, dict):
        return None
    try:
        entity_id = uuid.UUID(str(raw.get("id")))
    except ValueError:
        return None
    node = _text(raw.get("node"), PATH_MAX).strip("/")
    if not node:
        return None
    status = raw.get("status") if raw.get("status") in EntityStatus.values else ""
    categories = [c for c in (_text(c, 50) for c in raw.get("categories") or [] if isinstance(c, str)) if c]
    return {
        "id": str(entity_id),
        "node": node,
        "accountPath": _text(raw.get("accountPath"), 320),
        "name": _text(raw.get("name"), 100),
        "status": status,
        "city": _text(raw.get("city"), 100),
        "region": _text(raw.get("region"), 100),
        "country": _text(raw.get("country"), 100),
        "offers": _tags(raw.get("offers")),
        "wants": _tags(raw.get("wants")),
        "categories": categories[:MAX_REMOTE_CATEGORIES],
    }


def entry_digest(entry: dict) -> str:
    return hashlib.md5(json.dumps(entry, sort_keys=True).encode(), usedforsecurity=False).hexdigest()


# --- services: the copy ---------------------------------------------------------------------------------------


def _tag_ids(names: set[str]) -> dict[str, uuid.UUID]:
    found = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    missing = names - set(found)
    if missing:
        Tag.objects.bulk_create([Tag(name=name) for name in sorted(missing)], ignore_conflicts=True)
        found.update(Tag.objects.filter(name__in=missing).values_list("name", "id"))
    return found


def remote_copy_apply(*, via: str, entries: Iterable[object], removed: Iterable[object] = ()) -> int:
    """Apply one page of a neighbour's feed: new and changed entries are written, unchanged ones skipped, removed
    ids deleted. An entry whose id is one of our own entities, or that another neighbour already brought, is
    ignored (a tree reaches each node through one neighbour only). Returns the number of rows written."""
    cleaned = {e["id"]: e for e in (entry_clean(raw) for raw in entries) if e is not None}
    gone: set[uuid.UUID] = set()
    for raw in removed:
        try:
            gone.add(uuid.UUID(str(raw)))
        except ValueError:
            continue
    ids = [uuid.UUID(pk) for pk in cleaned]
    moment = now()
    with transaction.atomic(durable=True):
        if gone:
            RemoteEntity.objects.filter(via=via, pk__in=gone).delete()
        existing = {
            pk: (v, d)
            for pk, v, d in RemoteEntity.objects.filter(pk__in=ids).values_list("id", "via", "digest")
        }
        local = set(Entity.objects.filter(pk__in=ids).values_list("id", flat=True))
        changed: list[tuple[uuid.UUID, dict, str]] = []
        for pk in ids:
            entry = cleaned[str(pk)]
            if pk in local or pk in gone:
                continue
            digest = entry_digest(entry)
            if pk in existing:
                if existing[pk][0] != via or existing[pk][1] == digest:
                    continue
            changed.append((pk, entry, digest))
        if not changed:
            return 0
        changed_ids = [pk for pk, _, _ in changed]
        first_seen = {
            (pk, kind, tag): at
            for pk, kind, tag, at in RemoteEntityTag.objects.filter(entity_id__in=changed_ids).values_list(
                "entity_id", "kind", "tag_id", "added_at"
            )
        }
        RemoteEntityTag.objects.filter(entity_id__in=changed_ids).delete()
        tag_ids = _tag_ids({t for _, e, _ in changed for t in (*e["offers"], *e["wants"])})
        rows, tags = [], []
        for pk, entry, digest in changed:
            sort_name = entry["name"].lower()
            rows.append(
                RemoteEntity(
                    id=pk,
                    via=via,
                    node=entry["node"],
                    account_path=entry["accountPath"],
                    name=entry["name"],
                    status=entry["status"],
                    city=entry["city"],
                    region=entry["region"],
                    country=entry["country"],
                    offers=entry["offers"],
                    wants=entry["wants"],
                    categories=entry["categories"],
                    category_key="".join(f"|{c.lower()}" for c in entry["categories"]) + "|",
                    sort_name=sort_name,
                    digest=digest,
                    copied_at=moment,
                )
            )
            for kind in (EntityTag.Kind.OFFER, EntityTag.Kind.WANT):
                for name in entry["offers" if kind == EntityTag.Kind.OFFER else "wants"]:
                    tag_id = tag_ids[name]
                    tags.append(
                        RemoteEntityTag(
                            entity_id=pk,
                            tag_id=tag_id,
                            kind=kind,
                            added_at=first_seen.get((pk, kind.value, tag_id), moment),
                            sort_name=sort_name,
                        )
                    )
        RemoteEntity.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=[
                "via",
                "node",
                "account_path",
                "name",
                "status",
                "city",
                "region",
                "country",
                "offers",
                "wants",
                "categories",
                "category_key",
                "sort_name",
                "digest",
                "copied_at",
            ],  # fmt: skip
        )
        RemoteEntityTag.objects.bulk_create(tags)
    return len(changed)


def remote_copy_prune(*, via: str, keep: set[uuid.UUID]) -> int:
    """After a full snapshot from ``via``: delete what it no longer shares."""
    stale = set(RemoteEntity.objects.filter(via=via).values_list("id", flat=True)) - keep
    if not stale:
        return 0
    with transaction.atomic(durable=True):
        deleted, _ = RemoteEntity.objects.filter(via=via, pk__in=stale).delete()
    return len(stale)


def remote_copy_drop(*, via: str) -> int:
    """Forget everything that came through ``via`` (it stopped sharing, or is no longer a neighbour)."""
    with transaction.atomic(durable=True):
        count = RemoteEntity.objects.filter(via=via).count()
        RemoteEntity.objects.filter(via=via).delete()
    return count


def remote_source(via: str) -> RemoteSource:
    source, _ = RemoteSource.objects.get_or_create(via=via)
    return source


def remote_source_save(source: RemoteSource, *, fields: list[str]) -> None:
    source.save(update_fields=fields)


# --- selectors: search over local and remote entities ------------------------------------------------------------


def _remote_entity_filter(query: search.EntitySearch, prefix: str) -> Q:
    condition = Q()
    if query.name and query.name.strip():
        condition &= Q(**{f"{prefix}name__icontains": query.name.strip()})
    if query.category and query.category.strip():
        condition &= Q(**{f"{prefix}category_key__contains": f"|{query.category.strip().lower()}|"})
    return condition


def _time_filter(query: search.EntitySearch) -> Q:
    condition = Q()
    if query.tagged_since:
        condition &= Q(added_at__gt=query.tagged_since)
    if query.tagged_until:
        condition &= Q(added_at__lte=query.tagged_until)
    return condition


def remote_search_rows(query: search.EntitySearch) -> QuerySet | None:
    """Rows (eid, match_rank, lname) of the remote entities matching ``query``, like ``search._search_rows`` for
    local ones and with the same ranks (the same tag match, shared through ``query.memo``); None for none."""
    if query.favorites_of is not None:
        return None  # favourites are local entities
    ranked: dict[uuid.UUID, TagMatch] | None = None
    kind_ranked = ""
    also: list[Q] = []
    for kind, raw in ((EntityTag.Kind.OFFER, query.offers), (EntityTag.Kind.WANT, query.wants)):
        terms = search_terms(raw)
        if not terms:
            continue
        ranks = search.tag_ids_matching(terms, query.memo)
        if not ranks:
            return None
        if ranked is None:
            ranked, kind_ranked = ranks, kind
        else:
            tagged = RemoteEntityTag.objects.filter(
                Q(kind=kind, tag_id__in=list(ranks)) & _time_filter(query)
            )
            also.append(Q(entity_id__in=tagged.values("entity_id")))
    if ranked is None:
        entities = RemoteEntity.objects.filter(_remote_entity_filter(query, ""))
        if query.tagged_since or query.tagged_until:
            entities = entities.filter(
                pk__in=RemoteEntityTag.objects.filter(_time_filter(query)).values("entity_id")
            )
        return entities.values(eid=F("id")).annotate(match_rank=Value(0), lname=F("sort_name"))
    tags = RemoteEntityTag.objects.filter(Q(kind=kind_ranked, tag_id__in=list(ranked)) & _time_filter(query))
    condition = _remote_entity_filter(query, "entity__")
    for extra in also:
        condition &= extra
    if condition:
        tags = tags.filter(condition)
    return tags.values(eid=F("entity_id")).annotate(
        match_rank=Min(search._rank_case(ranked)), lname=Min("sort_name")
    )


@dataclass(frozen=True)
class Hit:
    id: uuid.UUID
    remote: bool


def _union(query: search.EntitySearch) -> tuple[str, list] | None:
    if query.memo is None:
        query.memo = {}  # the local and the remote search share each term's tag match
    parts: list[tuple[str, list]] = []
    local = search._search_rows(query)
    if not local.query.is_empty():
        sql, params = local.order_by().values_list("eid", "match_rank", "lname").query.sql_with_params()
        parts.append((f"SELECT l.eid, l.match_rank, l.lname, 0 AS remote FROM ({sql}) l", list(params)))  # noqa: S608
    remote = remote_search_rows(query)
    if remote is not None and not remote.query.is_empty():
        sql, params = remote.order_by().values_list("eid", "match_rank", "lname").query.sql_with_params()
        parts.append((f"SELECT r.eid, r.match_rank, r.lname, 1 AS remote FROM ({sql}) r", list(params)))  # noqa: S608
    if not parts:
        return None
    return " UNION ALL ".join(sql for sql, _ in parts), [p for _, params in parts for p in params]


def _ranking(query: search.EntitySearch) -> search.TopRanking | None:
    """``query`` as a plain tag search (``search.TopRanking``), or None; its terms are matched once either way."""
    if query.memo is None:
        query.memo = {}  # the local and the remote search share each term's tag match
    return search.top_ranking(query)


def _top_page(ranking: search.TopRanking, start: int, end: int) -> tuple[list[Hit], search.Total]:
    """A page of a plain tag search: the ``end`` best of each side (each from its matched tags' first entities by
    name), merged by rank, name and id; each side counted apart, exactly up to a bound (ADR 0140, ADR 0185). One
    statement: the counts ride on the page's rows (a row of counts alone when the page is past the end), so a
    search makes one round trip less."""
    if not ranking.ranks:
        return [], search.Total(0)
    local, local_params = search.top_rows_sql(EntityTag, ranking, end)
    remote, remote_params = search.top_rows_sql(RemoteEntityTag, ranking, end)
    (local_count, local_count_params), (remote_count, remote_count_params) = _top_count_sql(ranking)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.eid, p.remote, lc.found, lc.rows_read, rc.found, rc.rows_read "  # noqa: S608 — SQL of ours
            f"FROM ({local_count}) lc CROSS JOIN ({remote_count}) rc "
            "LEFT JOIN (SELECT s.eid, s.remote, s.match_rank, s.lname FROM ("
            f"SELECT l.eid, l.match_rank, l.lname, 0 AS remote FROM ({local}) l "
            f"UNION ALL SELECT r.eid, r.match_rank, r.lname, 1 AS remote FROM ({remote}) r) s "
            "ORDER BY s.match_rank, s.lname, s.eid LIMIT %s OFFSET %s) p ON 1 = 1 "
            "ORDER BY p.match_rank, p.lname, p.eid",
            [*local_count_params, *remote_count_params, *local_params, *remote_params, end - start, start],
        )
        found = cursor.fetchall()
    hits = [Hit(uuid.UUID(str(pk)), bool(remote)) for pk, remote, *_ in found if pk is not None]
    return hits, _top_total(ranking, *found[0][2:])


def _top_count_sql(ranking: search.TopRanking) -> tuple[tuple[str, list], tuple[str, list]]:
    return search.top_count_sql(EntityTag, ranking), search.top_count_sql(RemoteEntityTag, ranking)


def _top_total(
    ranking: search.TopRanking, local_found: int, local_read: int, remote_found: int, remote_read: int
) -> search.Total:
    """Both sides' totals from their bounded counts (``search.bounded_total``): their sum when both are exact,
    else "more than EXACT_TOTAL_UP_TO" (one side alone has more)."""
    local = search.bounded_total(local_found, local_read, lambda: search.top_exact_count(EntityTag, ranking))
    remote = search.bounded_total(
        remote_found, remote_read, lambda: search.top_exact_count(RemoteEntityTag, ranking)
    )
    if not (local.exact and remote.exact):
        return search.Total(search.EXACT_TOTAL_UP_TO, exact=False)
    return search.Total(local.value + remote.value)


def _top_count(ranking: search.TopRanking) -> search.Total:
    if not ranking.ranks:
        return search.Total(0)
    (local, local_params), (remote, remote_params) = _top_count_sql(ranking)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT lc.found, lc.rows_read, rc.found, rc.rows_read FROM ({local}) lc CROSS JOIN ({remote}) rc",  # noqa: S608
            [*local_params, *remote_params],
        )
        return _top_total(ranking, *cursor.fetchone())


def network_search_page(
    query: search.EntitySearch, *, start: int, end: int
) -> tuple[list[Hit], search.Total]:
    """One page of the listed entities of this node and of the network matching ``query``, merged by the same
    match rank then name, and the total; as ``search.entity_search_page`` for local ones alone. A plain tag search
    ranks only each side's best (``search.TopRanking``) and counts exactly up to a bound; any other sorts every
    match, counting them all as it goes."""
    ranking = _ranking(query)
    if ranking is not None and ranking.fits(end):
        return _top_page(ranking, start, end)
    union = _union(query)
    if union is None:
        return [], search.Total(0)
    sql, params = union
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.eid, s.remote, COUNT(*) OVER () FROM ({sql}) s "  # noqa: S608 — the inner SQL is the ORM's
            "ORDER BY s.match_rank, s.lname, s.eid LIMIT %s OFFSET %s",
            [*params, end - start, start],
        )
        found = cursor.fetchall()
        if not found:
            if not start:
                return [], search.Total(0)
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) s", params)  # noqa: S608
            return [], search.Total(cursor.fetchone()[0])
    return [Hit(uuid.UUID(str(pk)), bool(remote)) for pk, remote, _ in found], search.Total(found[0][2])


def network_search_count(query: search.EntitySearch) -> search.Total:
    ranking = _ranking(query)
    if ranking is not None:
        return _top_count(ranking)
    union = _union(query)
    if union is None:
        return search.Total(0)
    sql, params = union
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) s", params)  # noqa: S608
        return search.Total(cursor.fetchone()[0])


def hits_load(
    hits: list[Hit], *, with_accounts: bool = False, names_only: bool = False
) -> list[Entity | RemoteEntity]:
    """The entities (local ``Entity`` or ``RemoteEntity``) of these hits, in order (``names_only``: as
    ``search.entities_in_order``)."""
    wanted = [h.id for h in hits if not h.remote]
    local = {
        e.pk: e
        for e in (
            search.entities_in_order(wanted, with_accounts=with_accounts, names_only=names_only)
            if wanted
            else []
        )
    }
    remote_ids = [h.id for h in hits if h.remote]
    remote = {e.pk: e for e in RemoteEntity.objects.filter(pk__in=remote_ids)} if remote_ids else {}
    found: list[Entity | RemoteEntity] = []
    for hit in hits:
        item = remote.get(hit.id) if hit.remote else local.get(hit.id)
        if item is not None:
            found.append(item)
    return found


def matched_terms_any(
    query: search.EntitySearch, entities: Iterable[Entity | RemoteEntity]
) -> dict[uuid.UUID, list[search.MatchedTerm]]:
    """``search.matched_terms`` for a page that may hold remote entities too: which of their offers and wants
    matched which term, the best first, offers before wants."""
    entities = list(entities)
    explained = search.matched_terms(query, [e for e in entities if isinstance(e, Entity)])
    for entity in entities:
        if not isinstance(entity, RemoteEntity):
            continue
        found: list[tuple[int, int, str, search.MatchedTerm]] = []
        for position, (kind, matches) in enumerate(query.matched.items()):
            for name in entity.offers if kind == EntityTag.Kind.OFFER else entity.wants:
                match = matches.get(name)
                if match is not None:
                    found.append(
                        (position, match.order, name, search.MatchedTerm(kind, match.term, name, match.rank))
                    )
        explained[entity.pk] = [item[-1] for item in sorted(found, key=lambda item: item[:3])]
    return explained


class NetworkResults:
    """A search's results for ``django.core.paginator.Paginator``: counted once, then read a page at a time.
    ``first``: the slice (start, stop) the caller expects to show; counting then reads that page in the same
    statement (``network_search_page``), and the paginator's slice of it is answered without asking again."""

    def __init__(self, query: search.EntitySearch, *, first: tuple[int, int] | None = None) -> None:
        self.query = query
        self.first = first
        self._total: search.Total | None = None
        self._first_hits: list[Hit] | None = None

    @property
    def total(self) -> search.Total:
        """The count, and whether it is exact (a plain tag search counts exactly up to a bound, ADR 0185)."""
        if self._total is None:
            if self.first is None:
                self._total = network_search_count(self.query)
            else:
                self._first_hits, self._total = network_search_page(
                    self.query, start=self.first[0], end=self.first[1]
                )
        return self._total

    def count(self) -> int:
        return self.total.value

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Entity | RemoteEntity]:
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        first, read = self.first, self._first_hits
        if first is not None and read is not None and start == first[0] <= stop <= first[1]:
            hits = read[: stop - start]  # the page read with the count (the last page may be shorter)
        else:
            hits, _ = network_search_page(self.query, start=start, end=stop)
        return hits_load(hits)


def remote_entity_or_none(entity_id: uuid.UUID) -> RemoteEntity | None:
    return RemoteEntity.objects.filter(pk=entity_id).first()


def remote_entity(entity_id: object) -> RemoteEntity:
    """A remote entity of this node's copy by id; NotFound like an unknown local one."""
    found = RemoteEntity.objects.filter(pk=search.parse_entity_id(entity_id)).first()
    if found is None:
        raise NotFound(search.ENTITY_NOT_FOUND)
    return found


def remote_entries(ids: Iterable[uuid.UUID] | None = None) -> Iterable[tuple[uuid.UUID, str, dict]]:
    """(id, via, entry) for the remote copy (or those of its rows with these ids), for the federation app's feed:
    a node relays what it copied to its other neighbours, exactly as it received it."""
    rows = RemoteEntity.objects.order_by("id")
    if ids is not None:
        wanted = list(ids)
        for start in range(0, len(wanted), 2000):
            yield from _entries(rows.filter(pk__in=wanted[start : start + 2000]))
        return
    yield from _entries(rows)


def remote_changed_since(moment) -> set[uuid.UUID]:
    return set(RemoteEntity.objects.filter(copied_at__gte=moment).values_list("id", flat=True))


def remote_ids() -> set[uuid.UUID]:
    return set(RemoteEntity.objects.values_list("id", flat=True))


def _entries(rows: QuerySet[RemoteEntity]) -> Iterable[tuple[uuid.UUID, str, dict]]:
    for r in rows.iterator(chunk_size=2000):
        yield (
            r.pk,
            r.via,
            {
                "id": str(r.pk),
                "node": r.node,
                "accountPath": r.account_path,
                "name": r.name,
                "status": r.status,
                "city": r.city,
                "region": r.region,
                "country": r.country,
                "offers": r.offers,
                "wants": r.wants,
                "categories": r.categories,
            },
        )


def remote_copy_stamp() -> tuple:
    """Changes when the copy changes (rows added, changed or removed): the feed republishes only then."""
    from django.db.models import Count, Max

    stats = RemoteEntity.objects.aggregate(n=Count("id"), newest=Max("copied_at"))
    return (stats["n"], stats["newest"])


# --- matches with members of the whole network -----------------------------------------------------------------


def network_matches(entity: Entity, *, since=None, until=None, limit: int = 20) -> search.Matches:
    """``search.entity_matches`` over this node's members and the network directory's copy together: members
    anywhere in the tree who want what the entity offers, and who offer what it wants."""
    offers, wants = entity.offers, entity.wants

    def find(**terms) -> list:
        if not any(terms.values()):
            return []
        query = search.EntitySearch(exclude=entity, tagged_since=since, tagged_until=until, **terms)
        hits, _ = network_search_page(query, start=0, end=limit)
        return hits_load(hits)

    return search.Matches(want_what_you_offer=find(wants=offers), offer_what_you_want=find(offers=wants))


def network_matches_for_dashboard(entity: Entity, user) -> tuple[search.Matches, object]:
    """The dashboard's matches, network-wide; only those new since the previous sign-in when asked for."""
    since = user.previous_login if entity.show_tags_matched_since_last_login else None
    return network_matches(entity, since=since), since
