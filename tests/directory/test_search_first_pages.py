"""A plain tag search ranks its pages from each matched tag's first entities by name and counts apart (ADR 0140):
the same pages, in the same order, with the same totals, as sorting every match — checked here against that longer
way on a directory where tags rank differently, entities match several tags, names repeat and some are unlisted,
local and remote together."""

from __future__ import annotations

import datetime
import random
import uuid

import pytest

from mccs.directory import network, search
from mccs.directory.models import Entity, EntityStatus, EntityTag, Tag

pytestmark = pytest.mark.django_db

TAGS = [
    "bread",
    "breads",
    "organic-bread",
    "bread-rolls",
    "rye-bread",
    "braed",
    "honey",
    "raw-honey",
    "honey-cakes",
    "cakes",
    "plumbing",
    "plumber",
]
NAMES = ["Able", "able", "Baker", "Cole", "Dale", "Éclair", "Baker", "Zed", "mill", "Mill"]
STATUSES = [
    EntityStatus.TRADING_ACCEPTED,
    EntityStatus.ACCEPTED,
    EntityStatus.TRADING_PENDING,
    EntityStatus.PENDING,
    EntityStatus.REJECTED,
]


@pytest.fixture
def directory():
    rng = random.Random(7)
    for name in TAGS:
        Tag.objects.create(name=name)
    moment = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    local = []
    for i in range(60):
        entity = Entity.objects.create(
            name=rng.choice(NAMES), email=f"e{i}@example.org", status=rng.choice(STATUSES)
        )
        local.append(entity)
        for kind in (EntityTag.Kind.OFFER, EntityTag.Kind.WANT):
            for name in rng.sample(TAGS, rng.randint(0, 4)):
                EntityTag.objects.create(
                    entity=entity, tag=Tag.objects.get(name=name), kind=kind, added_at=moment
                )
    entries = [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "node": "t/b2",
            "accountPath": f"t/b2/{i}",
            "name": rng.choice(NAMES),
            "status": "tradingAccepted",
            "offers": rng.sample(TAGS, rng.randint(0, 4)),
            "wants": rng.sample(TAGS, rng.randint(0, 4)),
        }
        for i in range(40)
    ]
    network.remote_copy_apply(via="t", entries=entries)
    return local


def both_ways(monkeypatch, make_query, start: int, end: int):
    """(fast page, fast count, slow page); the matches each search kept (``matchedTerms``) are the same too."""
    fast_query = make_query()
    fast = network.network_search_page(fast_query, start=start, end=end)
    fast_count = network.network_search_count(make_query())
    with monkeypatch.context() as patched:
        patched.setattr(search, "TOP_ROWS_MAX", 0)  # no page fits: every match is sorted
        slow_query = make_query()
        slow = network.network_search_page(slow_query, start=start, end=end)
    assert fast_query.matched == slow_query.matched
    return fast, fast_count, slow


@pytest.mark.parametrize(
    "terms",
    [
        {"offers": "bread"},
        {"offers": "braed"},
        {"wants": "honey"},
        {"offers": "bread,honey"},
        {"wants": "plumber,cakes"},
        {"offers": "rye-bread"},
        {"offers": "nothing-like-it"},
    ],
)
def test_pages_and_totals_match_sorting_every_match(directory, monkeypatch, terms):
    seen_any = False
    for size in (1, 3, 7, 50):
        for start in range(0, 60, size):
            fast, fast_count, slow = both_ways(
                monkeypatch, lambda: search.EntitySearch(**terms), start, start + size
            )
            assert fast == slow
            if start == 0 or slow[0]:
                assert fast_count == slow[1]
            seen_any = seen_any or bool(fast[0])
    assert seen_any == (terms != {"offers": "nothing-like-it"})


def test_ranks_differ_and_an_excluded_entity_stays_out(directory, monkeypatch):
    query = search.EntitySearch(offers="bread")
    query.memo = {}
    ranking = search.top_ranking(query)
    assert len({match.order for match in ranking.ranks.values()}) > 1  # exact, inflection, wildcard, fuzzy…
    listed = [e for e in directory if e.status != EntityStatus.PENDING and e.status != EntityStatus.REJECTED]
    excluded = next(e for e in listed if "bread" in e.offers)
    fast, fast_count, slow = both_ways(
        monkeypatch, lambda: search.EntitySearch(offers="bread", exclude=excluded), 0, 200
    )
    assert fast == slow
    assert fast_count == slow[1] == search.Total(len(fast[0]))
    assert excluded.pk not in {hit.id for hit in fast[0]}


def test_a_search_with_other_filters_is_ranked_the_long_way(directory):
    assert search.top_ranking(search.EntitySearch(offers="bread", name="mill")) is None
    assert search.top_ranking(search.EntitySearch(offers="bread", wants="honey")) is None
    since = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    assert search.top_ranking(search.EntitySearch(offers="bread", tagged_since=since)) is None
    assert search.top_ranking(search.EntitySearch()) is None


def test_an_entity_found_by_a_worse_tag_keeps_out_of_a_page_its_better_tag_keeps_it_out_of():
    """ADR 0160: a candidate is ranked by the tags whose first names it is among. Zed has ``bread`` (exact) and
    ``organic-bread`` (wildcard); it is the first of ``organic-bread`` (before Zz) but not among ``bread``'s first one (Able), so page 1 ranks it
    as a wildcard match, too low — and it is not on page 1 either way; page 2 finds it exact."""
    tags = {name: Tag.objects.create(name=name) for name in ("bread", "organic-bread")}
    moment = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    found = {}
    for name, offers in (("Able", ["bread"]), ("Zed", ["bread", "organic-bread"]), ("Zz", ["organic-bread"])):
        entity = Entity.objects.create(name=name, email=f"{name}@example.org", status=EntityStatus.ACCEPTED)
        found[name] = entity.pk
        for tag in offers:
            EntityTag.objects.create(entity=entity, tag=tags[tag], kind=EntityTag.Kind.OFFER, added_at=moment)
    pages = [
        network.network_search_page(search.EntitySearch(offers="bread"), start=i, end=i + 1) for i in range(3)
    ]
    assert [[hit.id for hit in hits] for hits, _ in pages] == [[found["Able"]], [found["Zed"]], [found["Zz"]]]
    assert {total for _, total in pages} == {search.Total(3)}


@pytest.mark.parametrize("terms", [{"offers": "bread"}, {"wants": "honey"}, {"offers": "bread,honey,cakes"}])
def test_totals_are_exact_up_to_the_bound_and_more_than_it_beyond(directory, monkeypatch, terms):
    """ADR 0185: a plain tag search counts the distinct entities among its first TOTAL_ROWS_READ matching rows.
    Every row read: exact. More rows and more entities than EXACT_TOTAL_UP_TO: "more than" it, which is true.
    More rows but fewer entities (entities with several matching tags): every match is counted, exactly."""
    with monkeypatch.context() as patched:
        patched.setattr(search, "TOP_ROWS_MAX", 0)
        true_total = network.network_search_page(search.EntitySearch(**terms), start=0, end=1)[1]
    assert true_total.exact and true_total.value > 4
    counted_all = []
    exact_count = search.top_exact_count

    def counting(model, ranking):
        counted_all.append(model)
        return exact_count(model, ranking)

    monkeypatch.setattr(search, "top_exact_count", counting)
    seen = set()
    for bound in range(0, true_total.value + 2):
        for rows_read in (bound, bound + 1, 2 * bound, 3 * bound + 2):
            monkeypatch.setattr(search, "EXACT_TOTAL_UP_TO", bound)
            monkeypatch.setattr(search, "TOTAL_ROWS_READ", rows_read)
            counted_all.clear()
            _, total = network.network_search_page(search.EntitySearch(**terms), start=0, end=10)
            assert total == network.network_search_count(search.EntitySearch(**terms))
            if total.exact:
                assert total == true_total
            else:
                assert total.value == bound < true_total.value
            seen.add("more than" if not total.exact else "counted all" if counted_all else "bounded, exact")
    assert seen == {"more than", "counted all", "bounded, exact"}


def test_the_api_and_the_directory_page_say_when_there_are_more(api, directory, monkeypatch, client):
    monkeypatch.setattr(search, "EXACT_TOTAL_UP_TO", 2)
    monkeypatch.setattr(search, "TOTAL_ROWS_READ", 4)
    meta = api.get_json("/entities?offers=bread&page_size=1").json()["meta"]
    assert meta == {"numberOfResults": 2, "totalPages": 2, "numberOfResultsExact": False}
    page = client.get("/directory?offers=bread").content.decode()
    assert "More than 2 members found" in page
    meta = api.get_json("/entities?offers=nothing-like-it&page_size=1").json()["meta"]
    assert meta == {"numberOfResults": 0, "totalPages": 0, "numberOfResultsExact": True}
    monkeypatch.setattr(search, "EXACT_TOTAL_UP_TO", 10_000)
    monkeypatch.setattr(search, "TOTAL_ROWS_READ", 20_000)
    meta = api.get_json("/entities?offers=bread&page_size=1").json()["meta"]
    assert meta["numberOfResultsExact"] is True and meta["numberOfResults"] > 2
    page = client.get("/directory?offers=bread").content.decode()
    assert f"{meta['numberOfResults']} members found" in page and "More than" not in page
