"""The vocabulary's indexes find what a scan of every word would, and it answers as the database-backed search does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mccs.directory.models import Tag
from mccs.directory.search import tag_names_matching
from mccs.matching.ranking import FuzzyVocabulary
from mccs.matching.words import fold

names = st.text(alphabet="abce-é", min_size=1, max_size=8)


@settings(deadline=None)
@given(st.lists(names, max_size=40), st.text(alphabet="abceé", min_size=1, max_size=3))
def test_a_fragment_finds_every_word_starting_with_it_and_only_words_of_the_vocabulary(vocabulary, fragment):
    index = FuzzyVocabulary(vocabulary)
    found = index.word_matches(fragment, fragment=True)
    words = {fold(part) for name in vocabulary for part in name.split("-") if part}
    assert set(found) <= words
    assert {w for w in words if w.startswith(fold(fragment))} <= set(found)


@settings(deadline=None)
@given(st.lists(names, max_size=40), st.lists(names, min_size=1, max_size=3))
def test_every_match_names_a_tag_of_the_vocabulary_and_the_term_that_found_it(vocabulary, terms):
    matches = FuzzyVocabulary(vocabulary).match(terms)
    assert set(matches) <= set(vocabulary)
    assert all(match.term in terms for match in matches.values())


@pytest.mark.django_db
def test_matching_against_the_vocabulary_gives_the_database_answers():
    tags = [
        "bread",
        "breads",
        "organic-bread",
        "breadsticks",
        "cake",
        "cakes",
        "fish-cakes",
        "berries",
        "berry",
    ]
    Tag.objects.bulk_create([Tag(name=name) for name in tags])
    vocabulary = FuzzyVocabulary(tags)
    for terms in (
        ["bread"],
        ["cake"],
        ["berry"],
        ["braed"],
        ["fish-cake", "bread"],
        ["zzz"],
        ["organic-cake"],
    ):
        assert tag_names_matching(terms, vocabulary=vocabulary) == tag_names_matching(terms), terms
