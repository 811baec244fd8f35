"""Daily match digests: one email per opted-in entity listing the matches that appeared since its previous one.

Each entity's digest covers the window (``last_match_digest_at``, now]. A match appears in a window when the other
entity added the matching tag in it, or when this entity added its own tag in it. Windows never overlap, the
window end is moved forward with a compare-and-set in the same transaction that queues the email, and the email
carries a dedupe key of its window, so two workers (or the worker and ``mccs send-daily-digest``) never send
the same matches twice. The worker calls ``digests_send`` often (settings.MCCS_PERIODIC_TASKS); it decides per
entity whether a day has passed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction

from mccs.core.clock import now
from mccs.directory.models import Entity, EntityTag
from mccs.directory.search import EntitySearch, Matches, entities_in_order, entity_search, listed_entities
from mccs.directory.services import entity_recipients
from mccs.notifications.services import email_enqueue

log = logging.getLogger(__name__)

DIGEST_INTERVAL = timedelta(hours=24)
# The worker checks hourly; without some slack a digest would drift later by up to an hour every day.
DIGEST_SLACK = timedelta(minutes=65)
MAX_LISTED = 50


class _Skipped(Exception):
    """Another worker took this entity's digest first."""


def _union(*groups) -> list[Entity]:
    seen: dict[object, Entity] = {}
    for group in groups:
        for entity in group:
            seen.setdefault(entity.pk, entity)
    return list(seen.values())[:MAX_LISTED]


def digest_matches(entity: Entity, *, start, end, memo: dict | None = None) -> Matches:
    """Matches that appeared in (start, end]: the others' new tags against all of ours, and all of the others'
    tags against our own new ones."""
    mine = list(entity.entity_tags.select_related("tag"))
    offers_old = [et.tag.name for et in mine if et.kind == EntityTag.Kind.OFFER and et.added_at <= start]
    offers_new = [et.tag.name for et in mine if et.kind == EntityTag.Kind.OFFER and et.added_at > start]
    wants_old = [et.tag.name for et in mine if et.kind == EntityTag.Kind.WANT and et.added_at <= start]
    wants_new = [et.tag.name for et in mine if et.kind == EntityTag.Kind.WANT and et.added_at > start]

    def find(since, **terms) -> list[Entity]:
        if not any(terms.values()):
            return []
        search = EntitySearch(exclude=entity, tagged_since=since, tagged_until=end, memo=memo, **terms)
        return entities_in_order(entity_search(search)[:MAX_LISTED])

    return Matches(
        want_what_you_offer=_union(find(start, wants=offers_old), find(None, wants=offers_new)),
        offer_what_you_want=_union(find(start, offers=wants_old), find(None, offers=wants_new)),
    )


def digest_send_one(entity: Entity, *, moment, memo: dict | None = None) -> bool:
    """Check one entity's window and queue its digest if anything matched. Returns whether an email was queued."""
    previous = entity.last_match_digest_at
    start = previous or moment - DIGEST_INTERVAL
    matches = digest_matches(entity, start=start, end=moment, memo=memo)
    try:
        with transaction.atomic(durable=True):
            moved = (
                Entity.objects.filter(pk=entity.pk, last_match_digest_at=previous)
                if previous
                else Entity.objects.filter(pk=entity.pk, last_match_digest_at__isnull=True)
            )
            if not moved.update(last_match_digest_at=moment):
                raise _Skipped
            recipients = entity_recipients(entity)
            if not matches or not recipients:
                return False
            total = len(matches.want_what_you_offer) + len(matches.offer_what_you_want)
            queued = email_enqueue(
                to=recipients,
                template="digest",
                context={"entity": entity, "matches": matches, "total": total},
                # One digest per entity and window: the same matches may appear again in a later window when
                # somebody adds another matching tag, and that is news worth sending.
                dedupe_key=f"match-digest:{entity.pk}:{moment.isoformat()}",
            )
            return queued is not None
    except _Skipped:
        return False


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
    queued = 0
    memo: dict = {}  # many entities share terms: match each term against the vocabulary once per run
    for entity in digests_due(moment=moment, force=force).iterator(chunk_size=500):
        try:
            queued += digest_send_one(entity, moment=moment, memo=memo)
        except Exception:  # one entity's failure must not stop everybody else's digest
            log.exception("match digest for entity %s failed", entity.pk)
    return queued
