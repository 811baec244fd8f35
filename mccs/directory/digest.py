"""Daily match digests: one email per opted-in entity listing the matches that appeared since its previous one.

Each entity's digest covers the window (``last_match_digest_at``, now]. A match appears in a window when the other
entity added the matching tag in it, or when this entity added its own tag in it. Windows never overlap, the
window end is moved forward with a compare-and-set in the same transaction that queues the email, and the email
carries a dedupe key of its window, so two workers (or the worker and ``mccs send-daily-digest``) never send
the same matches twice. The worker calls ``digests_send`` often (settings.MCCS_PERIODIC_TASKS); it decides per
entity whether a day has passed.

Matches come from the whole network directory (issue 11, ADR 0120): this node's listed members and its copy of the
members other nodes share. A remote member's offer or want is new in a window when this node first saw it then
(``RemoteEntityTag.added_at``), and the email shows its node and links to its page in the web directory.
"""

from __future__ import annotations

import datetime
import heapq
import json
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from mccs.core.clock import now
from mccs.directory.locks import digest_windows_lock
from mccs.directory.models import Entity, EntityTag, RemoteEntity, RemoteEntityTag
from mccs.directory.network import hits_load, network_search_page
from mccs.directory.search import (
    EntitySearch,
    Matches,
    best_matches,
    listed_entities,
    tag_names_matching,
    tag_vocabulary,
)
from mccs.matching.ranking import MAX_TERMS, FuzzyVocabulary, TagMatch, search_terms
from mccs.notifications.services import emails_deferred_queue

log = logging.getLogger(__name__)

DIGEST_INTERVAL = timedelta(hours=24)
# The worker checks hourly; without some slack a digest would drift later by up to an hour every day.
DIGEST_SLACK = timedelta(minutes=65)
MAX_LISTED = 50


def _union(*groups) -> list:  # of Entity and RemoteEntity, as ``network.network_matches`` gives them
    seen: dict[object, Entity | RemoteEntity] = {}
    for group in groups:
        for entity in group:
            seen.setdefault(entity.pk, entity)
    return list(seen.values())[:MAX_LISTED]


def digest_matches(entity: Entity, *, start, end, memo: dict | None = None) -> Matches:
    """Matches that appeared in (start, end]: the others' new tags against all of ours, and all of the others'
    tags against our own new ones; members of this node and of the network directory's copy alike."""
    mine = list(entity.entity_tags.select_related("tag"))
    offers_old = [et.tag.name for et in mine if et.kind == EntityTag.Kind.OFFER and et.added_at <= start]
    offers_new = [et.tag.name for et in mine if et.kind == EntityTag.Kind.OFFER and et.added_at > start]
    wants_old = [et.tag.name for et in mine if et.kind == EntityTag.Kind.WANT and et.added_at <= start]
    wants_new = [et.tag.name for et in mine if et.kind == EntityTag.Kind.WANT and et.added_at > start]

    def find(since, **terms) -> list:
        if not any(terms.values()):
            return []
        search = EntitySearch(exclude=entity, tagged_since=since, tagged_until=end, memo=memo, **terms)
        hits, _ = network_search_page(search, start=0, end=MAX_LISTED)
        return hits_load(hits)

    return Matches(
        want_what_you_offer=_union(find(start, wants=offers_old), find(None, wants=offers_new)),
        offer_what_you_want=_union(find(start, offers=wants_old), find(None, offers=wants_new)),
    )


# --- the set-wise run (ADR 0091) ------------------------------------------------------------------------------------
#
# A run loads the offers and wants of listed entities once — by entity (for each digest's own tags and for showing a
# match's tags) and by tag (for finding matches) — matches every distinct tag name of the due entities against the
# vocabulary once (``tag_names_matching`` with a memo), and then answers each entity's two questions in memory:
# "whose tags added in my window match my old tags?" reads only the rows added since the earliest window start, and
# "whose tags match my tags added in my window?" reads all rows of the few matched tags. The results are exactly
# those of ``digest_matches`` (a test compares them), without a query per entity.

CHUNK = 500


@dataclass
class _Run:
    moment: datetime.datetime
    end: float
    memo: dict
    # Entities are keyed by their id as text (hashing and comparing UUID objects millions of times was a fifth of a
    # run). entity id -> [(kind, tag name, added_at timestamp)] in EntityTag id order (``entity.entity_tags``)
    by_entity: dict = field(default_factory=dict)
    # (kind, tag name) -> [(sort name, entity id, added_at timestamp)], sorted by sort name and id once loaded;
    # ``recent`` holds only the rows added after ``recent_after``
    by_tag: dict = field(default_factory=lambda: defaultdict(list))
    recent: dict = field(default_factory=lambda: defaultdict(list))
    recent_after: float = 0.0
    sort_names: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)
    nodes: dict = field(default_factory=dict)  # remote entity id -> its node's path
    # every tag name, read once per run (matching a name then asks no query), and each name as a search term
    vocabulary: FuzzyVocabulary | None = None
    terms: dict = field(default_factory=dict)
    # (entity id, kind) -> how a matched entity is shown in an email: the same dict in every digest that lists it
    shown: dict = field(default_factory=dict)


def _stamp(moment: datetime.datetime) -> float:
    return moment.timestamp()


def _epoch(value) -> float:
    """A stored ``added_at`` as seconds: PostgreSQL returns the seconds (``_run_load`` asks it to), SQLite the UTC
    text Django wrote."""
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value).replace(tzinfo=datetime.UTC).timestamp()
    return value.timestamp()


def _load_rows(run: _Run, rows) -> None:
    ids: dict = {}  # raw entity id (text on PostgreSQL, hex digits on SQLite) -> its text, made once per entity
    for raw_id, kind, name, added_at, sort_name, entity_name, *node in rows:
        entity_id = ids.get(raw_id)
        if entity_id is None:
            entity_id = ids[raw_id] = raw_id if len(raw_id) == 36 else str(uuid.UUID(raw_id))
        at = _epoch(added_at)
        sort_name = run.sort_names.setdefault(entity_id, sort_name)  # one string per entity, not per row
        run.by_entity.setdefault(entity_id, []).append((kind, name, at))
        row = (sort_name, entity_id, at)
        run.by_tag[(kind, name)].append(row)
        if at > run.recent_after:
            run.recent[(kind, name)].append(row)
        run.names[entity_id] = entity_name
        if node:
            run.nodes[entity_id] = node[0]


def _as_read(rows: QuerySet) -> QuerySet:
    """Offer and want rows in id order, with ``eid`` (the entity's id) and ``at`` (when added) as ``_load_rows``
    reads them."""
    rows = rows.order_by("id")
    if connection.vendor != "postgresql":
        return rows.annotate(eid=F("entity_id"), at=F("added_at"))
    added_at = f'{connection.ops.quote_name(rows.model._meta.db_table)}."added_at"'
    return rows.annotate(
        eid=Cast("entity_id", TextField()),
        at=RawSQL(f"EXTRACT(EPOCH FROM {added_at})::float8", ()),  # noqa: S611 — a column name, no input
    )


def _run_load(run: _Run, entity_ids: list | None) -> None:
    """All listed offers and wants (``entity_ids`` None), or those of the given entities only, of this node's
    entities and then of the network directory's copy (all of whose entities are listed). The rows are read
    on a plain cursor: at 800,000 rows Django's per-value converters (a UUID and an aware datetime per row) cost
    more than half of a whole digest run. PostgreSQL sends the ids as text and the times as seconds, which no
    Python converter has to make."""
    rows = EntityTag.objects.filter(listed=True)
    remote = RemoteEntityTag.objects.all()
    if entity_ids is not None:
        rows = rows.filter(entity_id__in=entity_ids)
        remote = remote.filter(entity_id__in=entity_ids)
    query = _as_read(rows).values_list("eid", "kind", "tag__name", "at", "sort_name", "entity__name")
    remote_query = _as_read(remote).values_list(
        "eid", "kind", "tag__name", "at", "sort_name", "entity__name", "entity__node"
    )
    with connection.cursor() as cursor:
        for each in (query, remote_query):
            sql, params = each.query.sql_with_params()
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(20_000):
                _load_rows(run, batch)
    for rows in (*run.by_tag.values(), *run.recent.values()):
        rows.sort()  # by sort name, then id: the order in which ``_find`` reads them


def _ranked(run: _Run, names: list[str]) -> dict[str, TagMatch]:
    """What ``tag_ids_matching`` answers, by name: the best MAX_MATCHED_TAGS matches of these terms."""
    terms: list[str] = []
    for name in names:  # search_terms(names), normalising each distinct name once per run
        if name not in run.terms:
            run.terms[name] = search_terms([name])
        for term in run.terms[name]:
            if term not in terms and len(terms) < MAX_TERMS:
                terms.append(term)
    if not terms:
        return {}
    return best_matches(tag_names_matching(terms, run.memo, run.vocabulary))


def _find(run: _Run, entity_id, kind: str, names: list[str], since: float | None) -> list:
    """``entity_search`` of listed entities with ``kind`` tags matching ``names``, added in (since, end], without
    this entity: ids ordered by best rank, then sort name, then id; at most MAX_LISTED."""
    ranks = _ranked(run, names)
    if not ranks:
        return []
    by_order: dict[int, list[str]] = defaultdict(list)
    for name, match in ranks.items():
        by_order[match.order].append(name)
    # The best-ranked tags first; within one rank, their rows merged in (sort name, id) order. An entity is listed
    # at the first row of it that is in the window, which is its best rank; the first MAX_LISTED are the answer,
    # so a broad match reads a few rows of each of its tags instead of all of them.
    source = run.by_tag if since is None else run.recent
    found: list = []
    taken: set = {entity_id}
    end = run.end
    for order in sorted(by_order):
        streams = [source.get((kind, name), ()) for name in by_order[order]]
        for _, other, at in heapq.merge(*streams) if len(streams) > 1 else streams[0]:
            if other in taken or at > end or (since is not None and at <= since):
                continue
            taken.add(other)
            found.append(other)
            if len(found) == MAX_LISTED:
                return found
    return found


def _union_ids(*groups) -> list:
    seen: dict = {}
    for group in groups:
        for other in group:
            seen.setdefault(other, None)
    return list(seen)[:MAX_LISTED]


def _run_matches(run: _Run, entity_id, start: datetime.datetime) -> tuple[list, list]:
    since = _stamp(start)
    mine = run.by_entity.get(entity_id, [])
    offers_old = [n for k, n, at in mine if k == EntityTag.Kind.OFFER and at <= since]
    offers_new = [n for k, n, at in mine if k == EntityTag.Kind.OFFER and at > since]
    wants_old = [n for k, n, at in mine if k == EntityTag.Kind.WANT and at <= since]
    wants_new = [n for k, n, at in mine if k == EntityTag.Kind.WANT and at > since]
    want = EntityTag.Kind.WANT
    offer = EntityTag.Kind.OFFER
    return (
        _union_ids(
            _find(run, entity_id, want, offers_old, since), _find(run, entity_id, want, offers_new, None)
        ),
        _union_ids(
            _find(run, entity_id, offer, wants_old, since), _find(run, entity_id, offer, wants_new, None)
        ),
    )


COMPACT = (",", ":")  # the database parses every byte of ~300 MB of contexts at 100,000 entities


def _shown(run: _Run, other: str, kind: str, key: str) -> str:
    """How a matched entity is shown in an email, as JSON text: encoded once per run, however many digests list
    it."""
    shown = run.shown.get((other, kind))
    if shown is None:
        found: dict = {
            "id": other,
            "name": run.names.get(other, ""),
            key: [n for k, n, _ in run.by_entity.get(other, ()) if k == kind],
        }
        if other in run.nodes:
            found["node"] = run.nodes[other]
        shown = run.shown[(other, kind)] = json.dumps(found, separators=COMPACT)
    return shown


def _context(run: _Run, entity: Entity, want: list, offer: list) -> str:
    """The digest email's context (ADR 0090) as JSON text, joined from the shown entities' encoded pieces:
    ``{"entity": {"name"}, "matches": {"want_what_you_offer": [...], "offer_what_you_want": [...]}, "total"}``."""
    wants = ",".join([_shown(run, o, EntityTag.Kind.WANT, "wants") for o in want])
    offers = ",".join([_shown(run, o, EntityTag.Kind.OFFER, "offers") for o in offer])
    return (
        f'{{"entity":{{"name":{json.dumps(entity.name)}}},"matches":{{"want_what_you_offer":[{wants}],'
        f'"offer_what_you_want":[{offers}]}},"total":{len(want) + len(offer)}}}'
    )


def _recipients(entities: list[Entity]) -> dict:
    """``entity_recipients`` for many entities in one query."""
    found: dict = {e.pk: [e.email] for e in entities if e.email}
    missing = [e.pk for e in entities if not e.email]
    if missing:
        through = Entity.users.through.objects.filter(entity_id__in=missing, user__is_active=True)
        for entity_id, email in through.values_list("entity_id", "user__email"):
            found.setdefault(entity_id, []).append(email)
    return {pk: sorted(emails) for pk, emails in found.items()}


def _languages(entities: list[Entity]) -> dict:
    """``entity_language`` for many entities in one query."""
    chosen = (
        Entity.users.through.objects.filter(entity_id__in=[e.pk for e in entities], user__is_active=True)
        .exclude(user__language="")
        .order_by("-user__date_joined")
    )
    return dict(chosen.values_list("entity_id", "user__language"))


def _send_chunk(run: _Run, entities: list[Entity]) -> int:
    """Move each entity's window forward (compare-and-set) and queue the digests of those that moved."""
    found = {}
    for entity in entities:
        start = entity.last_match_digest_at or run.moment - DIGEST_INTERVAL
        want, offer = _run_matches(run, str(entity.pk), start)
        found[entity.pk] = (want, offer)
    by_previous: dict = defaultdict(list)
    for entity in entities:
        by_previous[entity.last_match_digest_at].append(entity.pk)
    with transaction.atomic(durable=True):
        moved: set = set()
        for previous, ids in by_previous.items():
            ids_moved = digest_windows_lock(ids, previous)
            Entity.objects.filter(pk__in=ids_moved).update(last_match_digest_at=run.moment)
            moved.update(ids_moved)
        with_matches = [e for e in entities if e.pk in moved and (found[e.pk][0] or found[e.pk][1])]
        recipients = _recipients(with_matches)
        languages = _languages(with_matches)
        emails = [
            (
                json.dumps(recipients[entity.pk]),
                _context(run, entity, *found[entity.pk]),
                # One digest per entity and window: the same matches may appear again in a later window when
                # somebody adds another matching tag, and that is news worth sending.
                f"match-digest:{entity.pk}:{run.moment.isoformat()}",
                languages.get(entity.pk, ""),
            )
            for entity in with_matches
            if recipients.get(entity.pk)
        ]
        emails_deferred_queue("digest", emails)
    return len(emails)


def _digests_run(entities: list[Entity], *, moment, everything: bool) -> int:
    """Digests for ``entities`` (all due ones when ``everything``: then every listed tag row is loaded once)."""
    if not entities:
        return 0
    run = _Run(moment=moment, end=_stamp(moment), memo={}, vocabulary=tag_vocabulary())
    starts = [e.last_match_digest_at or moment - DIGEST_INTERVAL for e in entities]
    run.recent_after = _stamp(min(starts))
    if everything:
        _run_load(run, None)
    else:
        # Few entities (one, in tests and ``digest_send_one``): their own rows, then the rows of every tag that
        # one of their names matches, then the rows of the entities those belong to (to show their tags).
        _run_load(run, [e.pk for e in entities])
        names = {n for e in entities for _, n, _ in run.by_entity.get(str(e.pk), ())}
        matched: set[str] = set()
        for name in names:
            matched.update(_ranked(run, [name]))
        own = {e.pk for e in entities}
        holders = set(
            EntityTag.objects.filter(listed=True, tag__name__in=matched).values_list("entity_id", flat=True)
        )
        holders.update(
            RemoteEntityTag.objects.filter(tag__name__in=matched).values_list("entity_id", flat=True)
        )
        run.by_tag.clear()
        run.recent.clear()
        run.by_entity.clear()
        _run_load(run, list(holders | own))
    queued = 0
    for i in range(0, len(entities), CHUNK):
        chunk = entities[i : i + CHUNK]
        try:
            queued += _send_chunk(run, chunk)
        except Exception:  # one chunk's failure must not stop everybody else's digest
            log.exception("match digests for %s entities failed", len(chunk))
    return queued


def digest_send_one(entity: Entity, *, moment, memo: dict | None = None) -> bool:
    """Check one entity's window and queue its digest if anything matched. Returns whether an email was queued.
    (``memo`` is accepted for compatibility; a run matches each name once anyway.)"""
    return _digests_run([entity], moment=moment, everything=False) > 0


def digests_due(*, moment, force: bool = False):
    entities = listed_entities().filter(receive_daily_match_notification_email=True)
    if not force:
        cutoff = moment - DIGEST_INTERVAL + DIGEST_SLACK
        entities = entities.filter(last_match_digest_at__isnull=True) | entities.filter(
            last_match_digest_at__lte=cutoff
        )
    return entities.order_by("pk")


def digests_send(*, force: bool = False) -> int:
    """Queue the daily match emails that are due (all opted-in entities with ``force``). Returns how many."""
    moment = now()
    due = list(digests_due(moment=moment, force=force).only("id", "name", "email", "last_match_digest_at"))
    return _digests_run(due, moment=moment, everything=len(due) > CHUNK)
