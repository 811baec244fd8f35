"""The vocabulary answers "which tag names contain this?" exactly as the database's LIKE '%…%' does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mccs.directory.models import Tag
from mccs.directory.search import tag_names_matching
from mccs.matching.ranking import FuzzyVocabulary

names = st.text(alphabet="abce-é", min_size=1, max_size=8)


@given(st.lists(names, max_size=40), st.lists(st.text(alphabet="abce-é", min_size=1, max_size=3), max_size=4))
def test_containing_finds_every_name_holding_a_needle_and_no_other(vocabulary, needles):
    found = FuzzyVocabulary(vocabulary).containing(needles)
    assert found == sorted({name for name in vocabulary if any(needle in name for needle in needles)})


def test_containing_never_matches_across_two_names():
    vocabulary = FuzzyVocabulary(["bread", "cake"])  # held as "bread\ncake"
    assert vocabulary.containing(["adca", "d\nc", ""]) == []
    assert vocabulary.containing(["ad", "ca"]) == ["bread", "cake"]


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
    for terms in (["bread"], ["cake"], ["berry"], ["braed"], ["fish-cake", "bread"], ["zzz"]):
        assert tag_names_matching(terms, vocabulary=vocabulary) == tag_names_matching(terms), terms
