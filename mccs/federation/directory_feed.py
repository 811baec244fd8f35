"""The network directory, transport side (ADR 0120): the feed this node shares with its neighbours, and the
periodic pull of theirs into the directory app's copy (mccs/directory/network.py).

The feed (``SharedEntry``) holds one row per entity this node shares: its own listed members and what it relays
from its other neighbours. ``feed_publish`` compares what should be shared with what is, and gives every new,
changed or removed row the next ``seq``; a neighbour asks ``POST /cc/mccs/directory`` for the rows past its cursor,
so a refresh moves only what changed, removals included. A neighbour never receives back what came from it.
``directory_refresh`` (run by the background worker every ``MCCS_DIRECTORY_REFRESH_SECONDS``) pulls every
neighbour's feed, then republishes. A neighbour without the extension (the PHP reference: 404) is skipped.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, Max

from mccs.core.clock import now
from mccs.directory import network
from mccs.directory.models import LISTED_STATUSES, Category, Entity, EntityTag, Tag
from mccs.federation import agreement, client, services
from mccs.federation.models import Direction, Neighbour, SharedEntry
from mccs.federation.paths import SEGMENT_RE
from mccs.ledger.models import Account

log = logging.getLogger(__name__)

FEED_PATH = "/mccs/directory"
PAGE_SIZE = 500
MAX_PAGES = 1000  # per neighbour and refresh: 500,000 entries
FULL_SWEEP_SECONDS = 600.0  # renamed tags and categories move no timestamp: recompute everything this often
MARK_MARGIN = datetime.timedelta(seconds=5)


def shared_statuses() -> list[str]:
    """The statuses whose members this node shares: every listed one unless the operator chose fewer
    (MCCS_DIRECTORY_SHARED_STATUSES); a status that is not a listed one is never shared."""
    chosen = getattr(settings, "MCCS_DIRECTORY_SHARED_STATUSES", None) or LISTED_STATUSES
    return sorted(status for status in chosen if status in LISTED_STATUSES)


# --- this node's path ---------------------------------------------------------------------------------------------


def own_path() -> str:
    """This node's absolute path from the root (``t/b1``): its trunk's path, as the trunk last said it, then its
    name; the trunk's name alone until the trunk has answered once."""
    top = services.topology()
    if not top.trunk:
        return top.name
    trunk_path = network.remote_source(top.trunk).path or top.trunk
    return f"{trunk_path}/{top.name}"


# --- publishing ---------------------------------------------------------------------------------------------------


def _local_entries(path: str, ids: set[uuid.UUID] | None = None) -> dict[uuid.UUID, dict]:
    """This node's listed entities as shared entries (all of them, or those with these ids), in the shape
    ``network.entry_clean`` gives (their tags are normalised already)."""
    if ids is None:
        return _local_batch(path, None)
    wanted, entries = sorted(ids), {}
    for start in range(0, len(wanted), 2000):
        entries.update(_local_batch(path, wanted[start : start + 2000]))
    return entries


def _local_batch(path: str, ids: list[uuid.UUID] | None) -> dict[uuid.UUID, dict]:
    listed = Entity.objects.filter(status__in=shared_statuses())
    accounts = Account.objects.filter(entity__status__in=shared_statuses(), neighbour__isnull=True)
    tag_rows = EntityTag.objects.filter(listed=True)
    through = Entity.categories.through.objects.filter(entity__status__in=shared_statuses())
    if ids is not None:
        listed, accounts = listed.filter(pk__in=ids), accounts.filter(entity_id__in=ids)
        tag_rows, through = tag_rows.filter(entity_id__in=ids), through.filter(entity_id__in=ids)
    numbers = dict(accounts.values_list("entity_id", "number"))
    tags: dict[uuid.UUID, dict[str, list[str]]] = {}
    for entity_id, kind, name in tag_rows.order_by("id").values_list("entity_id", "kind", "tag__name"):
        tags.setdefault(entity_id, {}).setdefault(kind, []).append(name)
    categories: dict[uuid.UUID, list[str]] = {}
    for entity_id, name in through.order_by("category__name").values_list("entity_id", "category__name"):
        categories.setdefault(entity_id, []).append(name)
    entries = {}
    for pk, name, status, city, region, country in listed.values_list(
        "id", "name", "status", "city", "region", "country"
    ).iterator(chunk_size=2000):
        number = numbers.get(pk)
        entries[pk] = {
            "id": str(pk),
            "node": path,
            "accountPath": f"{path}/{number}" if number else "",
            "name": name,
            "status": status,
            "city": city,
            "region": region,
            "country": country,
            "offers": tags.get(pk, {}).get(EntityTag.Kind.OFFER, []),
            "wants": tags.get(pk, {}).get(EntityTag.Kind.WANT, []),
            "categories": categories.get(pk, []),
        }
    return entries


_published: dict[str, Any] = {"stamp": None}  # this process's last publish: stamp, mark, path, full_at
_unreachable: dict[str, tuple[int, float]] = {}  # neighbour → (failures in a row, when to try again)


def _stamp(path: str) -> tuple:
    entities = Entity.objects.filter(status__in=shared_statuses()).aggregate(
        n=Count("id"), newest=Max("updated_at")
    )
    tags = EntityTag.objects.aggregate(n=Count("id"), newest=Max("id"))
    vocabulary = Tag.objects.aggregate(n=Count("id"), newest=Max("created_at"))
    return (
        path,
        tuple(entities.values()),
        tuple(tags.values()),
        tuple(vocabulary.values()),
        Category.objects.count(),
        Entity.categories.through.objects.count(),
        network.remote_copy_stamp(),
    )


def feed_publish(*, force: bool = False) -> int:
    """Bring the feed up to date; returns the number of rows that changed. Skipped when nothing it reads has
    changed. Otherwise only the entities changed since the last run are recomputed (an entity's updated_at moves
    with its details, status, offers, wants and categories; the copy's rows with their copied_at), and those no
    longer shared become tombstones; every FULL_SWEEP_SECONDS everything is recomputed, which also catches what
    moves no timestamp (a renamed tag or category)."""
    path = own_path()
    stamp = _stamp(path)
    full = (
        force
        or _published.get("mark") is None
        or path != _published.get("path")
        or time.monotonic() - _published.get("full_at", 0.0) >= FULL_SWEEP_SECONDS
    )
    if not full and stamp == _published["stamp"]:
        return 0
    started = now()
    current: dict[uuid.UUID, tuple[str, str]]
    if full:
        desired = {pk: ("", e) for pk, e in _local_entries(path).items()}
        for pk, via, entry in network.remote_entries():
            desired.setdefault(pk, (via, entry))
        current = {pk: (v, d) for pk, v, d in SharedEntry.objects.values_list("entity_id", "via", "digest")}
        gone = {pk for pk, (_, digest) in current.items() if pk not in desired and digest}
    else:
        since = _published["mark"]
        live = {
            pk: via
            for pk, via in SharedEntry.objects.exclude(digest="")
            .values_list("entity_id", "via")
            .iterator(5000)
        }
        listed = set(Entity.objects.filter(status__in=shared_statuses()).values_list("id", flat=True))
        changed = set(Entity.objects.filter(updated_at__gte=since).values_list("id", flat=True))
        changed |= set(EntityTag.objects.filter(added_at__gte=since).values_list("entity_id", flat=True))
        local_live = {pk for pk, via in live.items() if not via}
        desired = {
            pk: ("", e) for pk, e in _local_entries(path, (changed & listed) | (listed - local_live)).items()
        }
        remote_now = network.remote_ids()
        remote_live = {pk for pk, via in live.items() if via}
        wanted_remote = network.remote_changed_since(since) | (remote_now - remote_live)
        for pk, via, entry in network.remote_entries(wanted_remote):
            desired.setdefault(pk, (via, entry))
        gone = (local_live - listed) | (remote_live - remote_now)
        gone -= set(desired)
        current = (
            {
                pk: (v, d)
                for pk, v, d in SharedEntry.objects.filter(entity_id__in=list(desired)).values_list(
                    "entity_id", "via", "digest"
                )
            }
            if len(desired) <= 2000
            else {pk: (v, d) for pk, v, d in SharedEntry.objects.values_list("entity_id", "via", "digest")}
        )
        current.update((pk, (via, "-")) for pk, via in live.items() if pk in gone)
    changes: list[tuple[uuid.UUID, str, str, dict | None]] = []  # (id, via, digest, entry or None: removed)
    for pk, (via, entry) in desired.items():
        digest = network.entry_digest(entry)
        if current.get(pk) != (via, digest):
            changes.append((pk, via, digest, entry))
    for pk in gone:
        changes.append((pk, current[pk][0], "", None))
    if changes:
        with transaction.atomic(durable=True):
            seq = SharedEntry.objects.aggregate(m=Max("seq"))["m"] or 0
            rows = []
            for pk, via, digest, payload in changes:
                seq += 1
                rows.append(SharedEntry(entity_id=pk, via=via, seq=seq, digest=digest, payload=payload))
            # Rows keep their key; their old seq moves out of the way first so the unique seq never collides.
            changed_ids = [r.entity_id for r in rows]
            for start in range(0, len(changed_ids), 2000):
                SharedEntry.objects.filter(entity_id__in=changed_ids[start : start + 2000]).delete()
            SharedEntry.objects.bulk_create(rows, batch_size=1000)
    # The next run looks back a little before this one began: a write that committed while it ran is not missed.
    _published.update(stamp=stamp, mark=started - MARK_MARGIN, path=path)
    if full:
        _published["full_at"] = time.monotonic()
    return len(changes)


def feed_page(*, neighbour: Neighbour, since: object) -> dict:
    """What ``POST /cc/mccs/directory`` answers: the feed rows past ``since`` that did not come from the asking
    neighbour. A cursor this node never gave (0, or past its newest row after a restore) gets a full snapshot."""
    node = services.node_get()
    if node is None or not node.sharing:
        return {"sharing": False}
    newest = SharedEntry.objects.aggregate(m=Max("seq"))["m"] or 0
    cursor = since if isinstance(since, int) and not isinstance(since, bool) and 0 <= since <= newest else 0
    full = cursor == 0
    rows = SharedEntry.objects.filter(seq__gt=cursor).exclude(via=neighbour.name).order_by("seq")
    if full:
        rows = rows.exclude(payload__isnull=True)
    page = list(rows.values_list("seq", "entity_id", "payload")[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return {
        "sharing": True,
        "node": own_path(),
        "full": full,
        "cursor": page[-1][0] if more else newest,
        "more": more,
        "entries": [payload for _, _, payload in page if payload is not None],
        "removed": [str(pk) for _, pk, payload in page if payload is None],
    }


# --- pulling ------------------------------------------------------------------------------------------------------


class NoDirectory(Exception):
    """The neighbour does not offer the directory extension (the PHP reference, an older MCCS)."""


def _fetch(neighbour: Neighbour, since: int) -> dict:
    answer = agreement.extension_call(neighbour, FEED_PATH, {"since": since})
    data = answer.body.get("data") if isinstance(answer.body, dict) else None
    if answer.ok and isinstance(data, dict) and isinstance(data.get("sharing"), bool):
        return data
    if answer.ok or answer.status in (404, 405) or not answer.errors():
        raise NoDirectory(f"HTTP {answer.status}")
    raise services._error_from(answer, neighbour)


def _placed(entries: list, neighbour: Neighbour, me: str, my_name: str) -> list[dict]:
    """Entries as they may stand here: a branch's entries must sit under ``me/branch`` (a branch that has not yet
    heard its full path from us writes ``my_name/branch``: corrected here); the trunk's must not be ours."""
    placed = []
    for raw in entries:
        if not isinstance(raw, dict) or not isinstance(raw.get("node"), str):
            continue
        node = raw["node"].strip("/")
        raw_path = raw.get("accountPath")
        account_path: str = raw_path if isinstance(raw_path, str) else ""
        if neighbour.direction == Direction.LEAFWARD:
            under = f"{me}/{neighbour.name}"
            stale = f"{my_name}/{neighbour.name}"
            if me != my_name and (node == stale or node.startswith(stale + "/")):
                node = under + node[len(stale) :]
                if account_path.startswith(stale + "/"):
                    account_path = under + account_path[len(stale) :]
            if node != under and not node.startswith(under + "/"):
                continue
        elif node == me or node.startswith(me + "/"):
            continue
        # The path that pays it is its node's path and one account: anything else is not offered as a payee.
        account = account_path[len(node) + 1 :] if account_path.startswith(node + "/") else ""
        if not SEGMENT_RE.match(account):
            account_path = ""
        placed.append({**raw, "node": node, "accountPath": account_path})
    return placed


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _pull(neighbour: Neighbour, me: str, my_name: str) -> None:
    source = network.remote_source(neighbour.name)
    since = source.cursor
    full, seen, data = since == 0, set[str](), dict[str, Any]()
    try:
        for _ in range(MAX_PAGES):
            data = _fetch(neighbour, since)
            if not data["sharing"]:
                dropped = network.remote_copy_drop(via=neighbour.name)
                if source.sharing or dropped or source.cursor:
                    log.info(
                        "node %s stopped sharing its directory: %s entries dropped", neighbour.name, dropped
                    )
                source.cursor, source.sharing, source.error, source.refreshed_at = 0, False, "", now()
                network.remote_source_save(source, fields=["cursor", "sharing", "error", "refreshed_at"])
                return
            if data.get("full") and since != 0:
                full, seen = True, set()  # the neighbour restarted its feed: take it whole
            entries = _list(data.get("entries"))
            removed = _list(data.get("removed"))
            placed = _placed(entries, neighbour, me, my_name)
            network.remote_copy_apply(via=neighbour.name, entries=placed, removed=removed)
            if full:
                seen |= {e["id"] for e in (network.entry_clean(p) for p in placed) if e is not None}
            cursor = data.get("cursor")
            since = cursor if isinstance(cursor, int) and not isinstance(cursor, bool) and cursor >= 0 else 0
            if not data.get("more"):
                break
        else:
            return  # far too many pages: the next refresh goes on from the last cursor saved below
    except NoDirectory as exc:
        if source.error != "no directory":  # said once, not every refresh
            log.info("node %s has no directory extension (%s): not searched", neighbour.name, exc)
            network.remote_copy_drop(via=neighbour.name)
            source.cursor, source.error = 0, "no directory"
            network.remote_source_save(source, fields=["cursor", "error"])
        return
    if full:
        network.remote_copy_prune(via=neighbour.name, keep={uuid.UUID(pk) for pk in seen})
    node_path = data.get("node")
    path = node_path if isinstance(node_path, str) else ""
    source.cursor, source.sharing, source.error, source.refreshed_at = since, True, "", now()
    source.path = path.strip("/")[:255] if neighbour.direction == Direction.TRUNKWARD else ""
    network.remote_source_save(source, fields=["cursor", "sharing", "error", "refreshed_at", "path"])


def directory_refresh() -> None:
    """Pull every neighbour's shared directory into the copy, then republish this node's feed (the worker runs
    it every MCCS_DIRECTORY_REFRESH_SECONDS). A neighbour that is down keeps its last copy."""
    node = services.node_get()
    if node is None:
        return
    for neighbour in Neighbour.objects.order_by("direction", "name"):
        failures, retry_at = _unreachable.get(neighbour.name, (0, 0.0))
        if time.monotonic() < retry_at:
            continue  # down a moment ago: the worker's other jobs do not wait on its timeout every cycle
        try:
            _pull(neighbour, own_path(), node.name)
            _unreachable.pop(neighbour.name, None)
        except client.Unreachable as exc:
            _unreachable[neighbour.name] = (failures + 1, time.monotonic() + min(60.0, 2.0**failures))
            _note(neighbour, f"unreachable: {exc}")
        except services.CCError as exc:
            _note(neighbour, exc.message)
        except Exception:
            log.exception("refreshing the directory of node %s failed", neighbour.name)
    feed_publish()


_refreshing = threading.Lock()


def directory_refresh_in_background() -> None:
    """What the worker runs every MCCS_DIRECTORY_REFRESH_SECONDS: ``directory_refresh`` in a thread of its own, so
    a slow neighbour or a full sweep of a large directory never holds up the worker's other jobs (the outbox, the
    changes owed to neighbours); a refresh still running when the next is due is simply not started twice."""
    if not _refreshing.acquire(blocking=False):
        return

    def run() -> None:
        try:
            directory_refresh()
        except Exception:
            log.exception("refreshing the network directory failed")
        finally:
            connections.close_all()  # this thread's own connections
            _refreshing.release()

    threading.Thread(target=run, name="directory-refresh", daemon=True).start()


def _note(neighbour: Neighbour, why: str) -> None:
    source = network.remote_source(neighbour.name)
    if source.error != why[:500]:
        log.warning("directory of node %s not refreshed: %s", neighbour.name, why)
        source.error = why[:500]
        network.remote_source_save(source, fields=["error"])


def refresh_seconds() -> float:
    return float(getattr(settings, "MCCS_DIRECTORY_REFRESH_SECONDS", 10))
