"""The daily digest run is computed set-wise (ADR 0091): it must find exactly what the per-entity search finds.

``digest_matches`` is the reference: the same searches a member would type, one entity at a time. The run loads
the offers and wants once and answers every entity in memory; for many entities, different windows, old and new
tags, plurals, parts of words and typos, both must list the same entities in the same order.
"""

from __future__ import annotations

import datetime
import random
import uuid

from mccs.directory import digest, network
from mccs.directory.models import Entity, EntityTag, RemoteEntityTag, Tag
from mccs.notifications.models import OutboxEmail
from mccs.notifications.services import email_render

WORDS = [
    "bread",
    "breads",
    "organic-bread",
    "brad",
    "honey",
    "raw-honey",
    "hony",
    "cakes",
    "cake",
    "vegetables",
    "organic-vegetables",
    "vegetalbes",
    "eggs",
    "free-range-eggs",
    "plumbing",
    "emergency-plumbing",
    "soap",
]


def _world(seed: int, n: int, moment: datetime.datetime) -> list[Entity]:
    rng = random.Random(seed)
    tags = {name: Tag.objects.create(name=name) for name in WORDS}
    times = [
        moment - datetime.timedelta(days=400),
        moment - datetime.timedelta(days=3),
        moment - datetime.timedelta(hours=30),
        moment - datetime.timedelta(hours=5),
        moment - datetime.timedelta(minutes=1),
        moment + datetime.timedelta(hours=1),  # after the window's end: never counted
    ]
    entities = []
    for i in range(n):
        entity = Entity.objects.create(
            id=uuid.uuid4(),
            name=rng.choice(["Alpha", "beta", "Gamma", "delta", ""]) + f" {rng.randrange(5)}",
            email=f"e{i}@example.org",
            status=rng.choice(["accepted", "tradingAccepted", "tradingPending", "pending", "rejected"]),
            receive_daily_match_notification_email=rng.random() < 0.7,
            last_match_digest_at=rng.choice([None, moment - datetime.timedelta(hours=26), times[2]]),
        )
        for kind in (EntityTag.Kind.OFFER, EntityTag.Kind.WANT):
            for name in rng.sample(WORDS, rng.randrange(0, 5)):
                EntityTag.objects.create(entity=entity, tag=tags[name], kind=kind, added_at=rng.choice(times))
        entities.append(entity)
    # Members of other nodes in the network directory's copy (issue 11): matched and ranked with the local ones.
    network.remote_copy_apply(
        via="t",
        entries=[
            {
                "id": str(uuid.uuid4()),
                "node": rng.choice(["t", "t/b2", "t/b2/c"]),
                "name": rng.choice(["Alpha", "beta", "Remote", ""]) + f" {rng.randrange(5)}",
                "offers": rng.sample(WORDS, rng.randrange(0, 5)),
                "wants": rng.sample(WORDS, rng.randrange(0, 5)),
            }
            for _ in range(n // 3)
        ],
    )
    for row in RemoteEntityTag.objects.all():  # first seen at various times, as a copy refreshed for days
        row.added_at = rng.choice(times)
        row.save(update_fields=["added_at"])
    return entities


def _reference(moment) -> dict:
    expected = {}
    for entity in digest.digests_due(moment=moment, force=True):
        start = entity.last_match_digest_at or moment - digest.DIGEST_INTERVAL
        found = digest.digest_matches(entity, start=start, end=moment)
        expected[entity.pk] = (
            [str(e.pk) for e in found.want_what_you_offer],
            [str(e.pk) for e in found.offer_what_you_want],
        )
    return expected


def _from_run(moment, *, everything: bool) -> dict:
    due = list(digest.digests_due(moment=moment, force=True))
    run = digest._Run(moment=moment, end=moment.timestamp(), memo={})
    run.recent_after = min(
        (e.last_match_digest_at or moment - digest.DIGEST_INTERVAL) for e in due
    ).timestamp()
    digest._run_load(run, None if everything else [e.pk for e in due])
    if not everything:  # what _digests_run does for a few entities
        holders = set(EntityTag.objects.filter(listed=True).values_list("entity_id", flat=True))
        holders.update(RemoteEntityTag.objects.values_list("entity_id", flat=True))
        run.by_tag.clear(), run.recent.clear(), run.by_entity.clear()
        digest._run_load(run, list(holders))
    found = {}
    for entity in due:
        start = entity.last_match_digest_at or moment - digest.DIGEST_INTERVAL
        want, offer = digest._run_matches(run, str(entity.pk), start)  # entities are keyed by their text id
        found[entity.pk] = ([str(x) for x in want], [str(x) for x in offer])
    return found


def test_the_set_wise_run_finds_what_the_per_entity_search_finds(db):
    moment = digest.now()
    _world(seed=13, n=60, moment=moment)
    expected = _reference(moment)
    assert sum(bool(w or o) for w, o in expected.values()) >= 10, "the world must have matches to compare"
    remote = {str(pk) for pk in network.remote_ids()}
    assert sum(bool(remote & set(w + o)) for w, o in expected.values()) >= 5, "and remote ones among them"
    assert _from_run(moment, everything=True) == expected
    assert _from_run(moment, everything=False) == expected


def test_the_set_wise_run_lists_the_same_first_few_when_there_are_more(db, monkeypatch):
    """A run stops reading a broad match once it has MAX_LISTED entities: the first few must be the same ones, in
    the same order, as the per-entity search's."""
    monkeypatch.setattr(digest, "MAX_LISTED", 3)
    moment = digest.now()
    _world(seed=29, n=60, moment=moment)
    expected = _reference(moment)
    assert sum(len(w) == 3 or len(o) == 3 for w, o in expected.values()) >= 10, "lists must be cut short"
    assert _from_run(moment, everything=True) == expected
    assert _from_run(moment, everything=False) == expected


def test_a_whole_run_queues_one_digest_per_entity_with_matches_and_never_repeats(db, monkeypatch):
    moment = digest.now()
    _world(seed=7, n=40, moment=moment)
    EntityTag.objects.filter(added_at__gt=moment).delete()  # a tag "from the future" would be new again
    RemoteEntityTag.objects.filter(added_at__gt=moment).delete()
    expected = _reference(moment)
    monkeypatch.setattr(digest, "CHUNK", 7)  # several chunks, and the "everything" path
    monkeypatch.setattr(digest, "now", lambda: moment)
    queued = digest.digests_send(force=True)
    with_matches = {pk for pk, (w, o) in expected.items() if w or o}
    assert queued == len(with_matches) > 0
    emails = {
        e.dedupe_key.split(":")[1]: e for e in OutboxEmail.objects.filter(dedupe_key__startswith="match-")
    }
    assert set(emails) == {str(pk) for pk in with_matches}
    for pk in with_matches:
        body = email_render(emails[str(pk)])[1]
        for other in expected[pk][0] + expected[pk][1]:
            assert f"/directory/entities/{other}" in body
    # Every window moved to this run's moment: a second run at the same moment finds nothing new.
    assert digest.digests_send(force=True) == 0
    assert OutboxEmail.objects.filter(dedupe_key__startswith="match-").count() == len(with_matches)
