"""GET /entities and GET /entities/{id}: matching kinds, ranking, filters, pagination, visibility, email rule."""

from __future__ import annotations

import datetime

import pytest

from mccs.directory.models import EntityStatus, EntityTag
from tests.directory.conftest import names

LISTED = ["accepted", "tradingPending", "tradingAccepted", "tradingRejected"]


@pytest.fixture
def veg(make_member):
    L = EntityStatus.ACCEPTED
    return {
        "exact": make_member(name="Exact Veg", status=L, offers=["vegetables"]),
        "plural": make_member(name="Plural Veg", status=L, offers=["vegetable"]),
        "wild": make_member(name="Wild Veg", status=L, offers=["organic-vegetables"]),
        "typo": make_member(name="Typo Veg", status=L, offers=["vegtables"]),
        "other": make_member(name="Plumber", status=L, offers=["plumbing"], wants=["vegetables"]),
    }


def test_exact_plural_wildcard_and_fuzzy_matches_ranked_exact_first(api, veg):
    found = names(api.get_json("/entities?offers=vegetables"))
    assert found[0] == "Exact Veg"
    assert found[1] == "Plural Veg"
    assert found[2] == "Wild Veg"
    assert found[3] == "Typo Veg"
    assert "Plumber" not in found  # wants vegetables, offers plumbing


def test_each_result_says_how_it_matched(api, veg):
    data = api.get_json("/entities?offers=vegetables").json()["data"]
    by_name = {entity["name"]: entity for entity in data}
    assert by_name["Exact Veg"]["matchedBy"] == "exact"
    assert by_name["Exact Veg"]["matchedTerms"] == [
        {"term": "vegetables", "tag": "vegetables", "by": "exact", "field": "offers"}
    ]
    assert by_name["Plural Veg"]["matchedTerms"] == [
        {"term": "vegetables", "tag": "vegetable", "by": "inflection", "field": "offers"}
    ]
    assert by_name["Wild Veg"]["matchedBy"] == "wildcard"
    assert by_name["Typo Veg"]["matchedTerms"] == [
        {"term": "vegetables", "tag": "vegtables", "by": "fuzzy", "field": "offers"}
    ]
    # the alpha's fields are unchanged, and a listing without offers/wants says nothing of matching
    assert by_name["Exact Veg"]["offers"] == ["vegetables"] and "id" in by_name["Exact Veg"]
    assert all(
        "matchedBy" not in e and "matchedTerms" not in e for e in api.get_json("/entities").json()["data"]
    )


def test_matched_terms_name_every_matching_tag_best_first_offers_before_wants(api, make_member):
    make_member(name="Farm", status="accepted", offers=["organic-vegetables", "vegetables"], wants=["eggs"])
    [farm] = api.get_json("/entities?offers=vegetables,plumbing&wants=egg").json()["data"]
    assert farm["matchedBy"] == "exact"
    assert farm["matchedTerms"] == [
        {"term": "vegetables", "tag": "vegetables", "by": "exact", "field": "offers"},
        {"term": "vegetables", "tag": "organic-vegetables", "by": "wildcard", "field": "offers"},
        {"term": "egg", "tag": "eggs", "by": "inflection", "field": "wants"},
    ]


@pytest.mark.parametrize(
    "term, expected",
    [
        ("vegetalbes", {"Exact Veg", "Wild Veg", "Typo Veg", "Plural Veg"}),  # swapped letters
        ("vegetable", {"Exact Veg", "Plural Veg", "Wild Veg", "Typo Veg"}),  # singular finds plural
        ("Organic Vegetables", {"Wild Veg"}),  # normalised like a tag
        ("organic", {"Wild Veg"}),  # part of a tag
    ],
)
def test_each_kind_of_match(api, veg, term, expected):
    assert set(names(api.get_json(f"/entities?offers={term}"))) == expected


@pytest.mark.parametrize("term", ["pizza", "veg-oil", "abc", "xylophone"])
def test_non_matches(api, veg, term):
    assert names(api.get_json(f"/entities?offers={term}")) == []


def test_several_words_find_tags_with_all_of_them_first_then_with_some(api, make_member):
    make_member(name="Organic Farm", status="accepted", offers=["organic-vegetables"])
    make_member(name="Veg Stall", status="accepted", offers=["vegetables"])
    make_member(name="Cotton Shop", status="accepted", offers=["organic-cotton"])
    assert names(api.get_json("/entities?offers=organic vegetables")) == ["Organic Farm"]
    assert names(api.get_json("/entities?offers=vegetables organic")) == ["Organic Farm"]
    # No tag has both words: those with one of them, after the full matches of the other terms.
    r = api.get_json("/entities?offers=organic carrots,vegetables")
    assert names(r)[:2] == ["Veg Stall", "Organic Farm"] and set(names(r)) == {
        "Veg Stall",
        "Organic Farm",
        "Cotton Shop",
    }


def test_words_are_not_found_inside_other_words(api, make_member):
    make_member(name="Knit Nook", status="accepted", offers=["knitting"])
    make_member(name="Happy Paws", status="accepted", offers=["dog-sitting"])
    make_member(name="Fit Out", status="accepted", offers=["shop-fitting"])
    make_member(name="Calm Studio", status="accepted", offers=["team-building"])
    make_member(name="Cafe", status="accepted", offers=["tea"])
    assert names(api.get_json("/entities?offers=knitting")) == ["Knit Nook"]
    assert names(api.get_json("/entities?offers=tea")) == ["Cafe"]
    assert names(api.get_json("/entities?wants=&offers=knittng")) == ["Knit Nook"]
    data = api.get_json("/entities?offers=scarf,knit").json()["data"]
    assert [(e["name"], e["matchedBy"]) for e in data] == [("Knit Nook", "inflection")]


def test_short_words_are_not_fuzzy(api, make_member):
    make_member(name="Cat Sitter", status="accepted", offers=["cat"])
    assert names(api.get_json("/entities?offers=car")) == []
    assert names(api.get_json("/entities?offers=cat")) == ["Cat Sitter"]


def test_several_terms_match_any_and_wants_filter(api, veg, make_member):
    make_member(name="Baker", status="accepted", offers=["bread"], wants=["flour"])
    assert set(names(api.get_json("/entities?offers=plumbing,bread"))) == {"Plumber", "Baker"}
    assert names(api.get_json("/entities?wants=vegetables")) == ["Plumber"]
    assert names(api.get_json("/entities?wants=flour&offers=bread")) == ["Baker"]
    assert names(api.get_json("/entities?wants=flour&offers=plumbing")) == []


def test_non_ascii_and_digit_tags(api, make_member):
    make_member(name="Café", status="accepted", offers=["Café", "3D printing"])
    assert names(api.get_json("/entities?offers=café")) == ["Café"]
    assert names(api.get_json("/entities?offers=3d-printing")) == ["Café"]
    assert names(api.get_json("/entities?offers=printing")) == ["Café"]


def test_only_listed_statuses_appear(api, make_member):
    for status in EntityStatus.values:
        make_member(name=f"S {status}", status=status, offers=["soap"])
    assert sorted(names(api.get_json("/entities?offers=soap"))) == sorted(f"S {s}" for s in LISTED)
    assert sorted(names(api.get_json("/entities"))) == sorted(f"S {s}" for s in LISTED)


def test_unlisted_entity_is_not_found(api, make_member):
    pending = make_member(status="pending")
    rejected = make_member(status="rejected")
    for m in (pending, rejected):
        r = api.get_json(f"/entities/{m.entity.id}")
        assert r.status_code == 404
        assert r.json()["errors"][0]["message"]


def test_single_entity(api, make_member):
    m = make_member(name="Solo", status="accepted", offers=["soap"], wants=["wax"])
    data = api.get_json(f"/entities/{m.entity.id}").json()["data"]
    assert data["name"] == "Solo" and data["offers"] == ["soap"] and data["wants"] == ["wax"]
    assert data["isFavorite"] is False
    assert "email" not in data
    assert data["accountNumber"]


def test_name_and_category_filters(api, make_member, category):
    cafe = category("cafes")
    a = make_member(name="Alice's Restaurant", status="accepted")
    make_member(name="Bob's Garage", status="accepted")
    a.entity.categories.add(cafe)
    assert names(api.get_json("/entities?name=alice's rest")) == ["Alice's Restaurant"]
    assert names(api.get_json("/entities?category=cafes")) == ["Alice's Restaurant"]
    assert names(api.get_json("/entities?category=Cafes")) == ["Alice's Restaurant"]
    assert names(api.get_json("/entities?category=garages")) == []
    data = api.get_json("/entities?name=alice").json()["data"][0]
    assert data["categories"] == ["cafes"]


def test_tagged_since(api, make_member):
    old = make_member(name="Old", status="accepted", offers=["soap"])
    make_member(name="New", status="accepted", offers=["soap"])
    EntityTag.objects.filter(entity=old.entity).update(
        added_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    assert names(api.get_json("/entities?offers=soap&tagged_since=2021-01-01T00:00:00Z")) == ["New"]
    assert names(api.get_json("/entities?tagged_since=2021-01-01")) == ["New"]
    assert sorted(names(api.get_json("/entities?offers=soap&tagged_since=2019-12-25T12:12:12.001Z"))) == [
        "New",
        "Old",
    ]


def test_pagination_and_meta(api, make_member):
    for i in range(7):
        make_member(name=f"Shop {i}", status="accepted", offers=["soap"])
    r = api.get_json("/entities?offers=soap&page=2&page_size=3")
    assert names(r) == ["Shop 3", "Shop 4", "Shop 5"]
    assert r.json()["meta"] == {"numberOfResults": 7, "totalPages": 3, "numberOfResultsExact": True}
    assert names(api.get_json("/entities?offers=soap&page=3&page_size=3")) == ["Shop 6"]
    assert names(api.get_json("/entities?offers=soap&page=4&page_size=3")) == []
    default = api.get_json("/entities").json()
    assert default["meta"]["numberOfResults"] == 7 and len(default["data"]) == 7


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page_size=0",
        "page_size=1000",
        "page=abc",
        "tagged_since=yesterday",
        "tagged_since=2024-13-45",
        "favorites_only=maybe",
        "favorites_only=true",
    ],
)
def test_bad_parameters_are_400(api, make_member, query):
    make_member(status="accepted", offers=["soap"])
    r = api.get_json(f"/entities?{query}")
    assert r.status_code == 400, r.content
    assert r.json()["errors"][0]["message"]


def test_non_uuid_entity_id_is_404(api):
    r = api.get_json("/entities/5eec78f4a880b7c235f66e7c")
    assert r.status_code == 404
    assert r.json() == {"errors": [{"message": "Entity not found.", "code": "not_found"}]}


def test_querying_entity_must_be_the_callers(api, trader, make_member):
    other = make_member(status="tradingAccepted")
    assert trader.api.get_json(f"/entities?querying_entity_id={other.entity.id}").status_code == 403
    assert (
        trader.api.get_json(f"/entities/{other.entity.id}?querying_entity_id={other.entity.id}").status_code
        == 403
    )
    assert trader.api.get_json("/entities?querying_entity_id=not-a-uuid").status_code == 400
    assert api.get_json(f"/entities?querying_entity_id={trader.entity.id}").status_code == 401
    bad_token = api.get_json("/entities", HTTP_AUTHORIZATION="Bearer nope")
    assert bad_token.status_code == 401


@pytest.mark.parametrize(
    "mine, theirs, shown",
    [
        ("tradingAccepted", "tradingAccepted", True),
        ("tradingAccepted", "accepted", False),
        ("accepted", "tradingAccepted", False),
        ("tradingPending", "tradingAccepted", False),
    ],
)
def test_email_exposure_rule(make_member, mine, theirs, shown):
    me = make_member(status=mine)
    them = make_member("them@example.org", status=theirs, name="Them", offers=["soap"])
    q = f"querying_entity_id={me.entity.id}"
    for r in (
        me.api.get_json(f"/entities?offers=soap&{q}"),
        me.api.get_json(f"/entities/{them.entity.id}?{q}"),
    ):
        data = r.json()["data"]
        data = data[0] if isinstance(data, list) else data
        assert ("email" in data) is shown
        if shown:
            assert data["email"] == "them@example.org"
    # Without a querying entity nobody sees an email, even when signed in.
    assert "email" not in me.api.get_json(f"/entities/{them.entity.id}").json()["data"]
    assert "them@example.org" not in me.api.get_json("/entities").content.decode()


def test_entity_with_several_matching_tags_counts_once(api, make_member):
    make_member(
        name="Veg Shop", status="accepted", offers=["vegetables", "organic-vegetables", "vegetable-boxes"]
    )
    make_member(name="Veg Stall", status="accepted", offers=["vegtables"])
    r = api.get_json("/entities?offers=vegetables,organic")
    assert names(r) == ["Veg Shop", "Veg Stall"]
    assert r.json()["meta"] == {"numberOfResults": 2, "totalPages": 1, "numberOfResultsExact": True}


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_tagged_since_at_the_edge_of_time_is_a_400(api, db, value):
    response = api.get_json(f"/entities?offers=bread&tagged_since={value.replace('+', '%2B')}")
    assert response.status_code == 400, response.content


def test_a_listed_page_reads_names_as_plain_rows_with_the_same_answer(api, make_member, category):
    """The list loads its page's tag and category names as plain rows (``names_only``): the same offers, wants,
    categories and matchedTerms, in the same order, as the model instances the entity page loads."""
    from mccs.api.entities import entity_public_fields
    from mccs.directory import search

    first = make_member(
        name="Mill", status="accepted", offers=["rye-bread", "bread", "cakes"], wants=["flour", "bread"]
    )
    second = make_member(name="Oven", status="accepted", offers=["breads"], wants=[])
    for name in ("zinc", "bakeries", "alder"):
        first.entity.categories.add(category(name))
    ids = [second.entity.pk, first.entity.pk]
    plain = search.entities_in_order(ids, with_accounts=True, names_only=True)
    models = search.entities_in_order(ids, with_accounts=True)
    assert [e.preloaded_names is not None for e in plain] == [True, True]
    assert [entity_public_fields(e, include_email=False) for e in plain] == [
        entity_public_fields(e, include_email=False) for e in models
    ]
    assert plain[1].category_names() == ["alder", "bakeries", "zinc"]
    query = search.EntitySearch(offers="bread", wants="bread")
    list(search.entity_search(query))
    assert search.matched_terms(query, plain) == search.matched_terms(query, models)
    data = api.get_json("/entities?offers=bread").json()["data"]
    assert [(e["name"], e["offers"]) for e in data] == [
        ("Mill", ["rye-bread", "bread", "cakes"]),
        ("Oven", ["breads"]),
    ]
    assert data[0]["categories"] == ["alder", "bakeries", "zinc"]


def test_a_plain_tag_search_makes_few_statements(api, veg, django_assert_max_num_queries):
    """Every search sends: the freshness keys with the exact tag names (one statement), the matched tags' ids, the
    page with its total, the page's entities, and their tag and category names. Each round trip counts at 100,000
    entities on a busy machine (docs/benchmarks.md)."""
    api.get_json("/entities?offers=vegetables")  # the process's vocabulary is loaded once, outside the budget
    with django_assert_max_num_queries(5) as captured:
        found = names(api.get_json("/entities?offers=vegetables"))
    assert found[:2] == ["Exact Veg", "Plural Veg"]
    assert len(captured) == 5
