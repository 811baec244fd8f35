"""Each rule of how a term matches tags (mccs.matching.ranking, ADR 0126), on a vocabulary of tag names alone."""

from __future__ import annotations

import pytest

from mccs.matching.ranking import FuzzyVocabulary, Rank


def found(vocabulary: list[str], term: str, **kwargs) -> dict[str, Rank]:
    return {name: match.rank for name, match in FuzzyVocabulary(vocabulary).match([term], **kwargs).items()}


def test_a_word_is_not_a_typo_of_another_word():
    tags = ["knitting", "dog-sitting", "shop-fitting", "wool"]
    assert found(tags, "knitting") == {"knitting": Rank.EXACT}
    assert found(tags, "fitting") == {"shop-fitting": Rank.WILDCARD}
    assert found(tags, "knittng") == {"knitting": Rank.FUZZY}  # a typo is still forgiven
    assert found(["vegtables"], "vegetables") == {"vegtables": Rank.FUZZY}  # and so is a misspelt tag


def test_short_words_match_whole_words_or_compounds_never_the_inside_of_a_word():
    tags = [
        "tea",
        "team-building",
        "car-repair",
        "carpentry",
        "spanish-lessons",
        "pan",
        "haircuts",
        "shop-fitting",
    ]
    assert found(tags, "tea") == {"tea": Rank.EXACT}
    assert found(tags, "car") == {"car-repair": Rank.WILDCARD}
    assert found(tags, "pan") == {"pan": Rank.EXACT}
    assert found(tags, "hair") == {"haircuts": Rank.WILDCARD}  # hair + cuts
    assert found(tags, "fit") == {"shop-fitting": Rank.WILDCARD}  # fit + ting, a word of the same language
    assert found(["babysitting", "massage"], "sitting") == {"babysitting": Rank.WILDCARD}
    assert found(["babysitting", "massage"], "sage") == {}  # "mas" is too short to start a compound


def test_a_fragment_that_is_no_word_finds_the_words_it_starts():
    tags = ["vegetables", "vegtables", "bread"]
    assert found(tags, "vegetab") == {"vegetables": Rank.WILDCARD}
    assert found(tags, "bre") == {"bread": Rank.WILDCARD}
    assert found(tags, "veg") == {}  # "veg" is a word, and "vegetables" is not veg + a word
    assert set(found(tags, "veg", fragment=True)) == {"vegetables", "vegtables"}  # while typing, any start


@pytest.mark.parametrize(
    "term, tag",
    [
        ("scarf", "scarves"),  # irregular English plurals, known to the dictionary
        ("mouse", "mice"),
        ("child", "children"),
        ("knit", "knitting"),
        ("pan", "panes"),  # Spanish
        ("queso", "quesos"),
        ("lápiz", "lápices"),
        ("cheval", "chevaux"),  # French
        ("bijou", "bijoux"),
        ("œuf", "œufs"),
        ("maus", "mäuse"),  # German
        ("buch", "bücher"),
        ("haus", "häuser"),
    ],
)
def test_other_forms_of_a_word_in_four_languages(term, tag):
    assert found([tag, "unrelated"], term) == {tag: Rank.INFLECTION}
    assert found([term, "unrelated"], tag) == {term: Rank.INFLECTION}


def test_a_form_inside_a_longer_tag_is_a_wildcard_match():
    assert found(["wool-scarves"], "scarf") == {"wool-scarves": Rank.WILDCARD}
    assert found(["fresh-eggs"], "fresh-egg") == {"fresh-eggs": Rank.INFLECTION}


def test_word_families_share_a_stem():
    tags = ["plumbing", "carpentry", "carpet", "fontanería"]
    assert found(tags, "plumber") == {"plumbing": Rank.INFLECTION}
    assert found(tags, "carpenter") == {"carpentry": Rank.INFLECTION}
    assert found(tags, "fontanero") == {"fontanería": Rank.INFLECTION}


def test_accents_do_not_matter():
    assert found(["café", "reparación-de-coches"], "cafe") == {"café": Rank.EXACT}
    assert found(["café", "reparación-de-coches"], "reparacion-de-coche") == {
        "reparación-de-coches": Rank.INFLECTION
    }


def test_several_words_match_tags_with_all_of_them_first():
    tags = ["organic-vegetables", "fresh-organic-vegetables", "vegetables", "organic-cotton"]
    vocabulary = FuzzyVocabulary(tags)
    full = vocabulary.match(["organic-vegetables"])
    assert {name: m.rank for name, m in full.items()} == {
        "organic-vegetables": Rank.EXACT,
        "fresh-organic-vegetables": Rank.WILDCARD,
    }
    assert set(vocabulary.match(["vegetables-organic"])) == {"organic-vegetables", "fresh-organic-vegetables"}
    # No tag has both words: the tags with one of them are offered, after any full match of another term.
    partial = FuzzyVocabulary(["vegetables", "organic-cotton", "bread"]).match(["organic-carrots", "bread"])
    assert set(partial) == {"organic-cotton", "bread"}
    assert partial["bread"] < partial["organic-cotton"]
    assert FuzzyVocabulary(["vegetables"]).match(["organic-vegetables"])["vegetables"].rank == Rank.WILDCARD


def test_words_written_together_or_apart():
    assert found(["baby-sitting"], "babysitting") == {"baby-sitting": Rank.EXACT}
