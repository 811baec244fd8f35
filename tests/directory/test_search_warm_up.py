"""A serving process loads what directory search needs before the first search, in the background, and the
language checks of the synonym step read simplemma's low-memory store, never its full dictionaries."""

from __future__ import annotations

import time

import pytest
from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

from mccs.directory import search, synonyms, warm_up
from mccs.matching import synonyms as matching_synonyms
from mccs.matching import words
from tests.serving import Node, node_env


def full_dictionaries_loaded() -> int:
    return DEFAULT_DICTIONARY_FACTORY._get_dictionary.cache_info().currsize


@pytest.mark.django_db(transaction=True)
def test_the_warm_up_loads_dictionaries_vocabulary_and_the_models_index(make_member, settings):
    from mccs.directory.models import EntityStatus

    make_member(name="Abe", offers=["car-repair", "bread"], status=EntityStatus.ACCEPTED)
    settings.MCCS_WARM_UP = True
    thread = warm_up.search_warm_up_in_background()
    assert thread is not None
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert "house" in words._memo
    vocabulary = search.tag_vocabulary()
    assert {"car-repair", "bread"} <= set(vocabulary.names)
    if synonyms.model_enabled():
        index = synonyms.meaning_index(vocabulary)
        assert index is not None and "car-repair" in index.names
        assert synonyms._cache.index_vocabulary is vocabulary  # built by the warm-up, not by this call


def test_the_warm_up_can_be_turned_off(settings):
    settings.MCCS_WARM_UP = False
    assert warm_up.search_warm_up_in_background() is None


def test_telling_a_words_language_never_loads_simplemmas_full_dictionaries():
    before = full_dictionaries_loaded()
    assert "en" in matching_synonyms.word_languages("mechanic")
    assert "es" in matching_synonyms.word_languages("panadería")
    assert matching_synonyms.word_languages("zzzzqx") == frozenset()
    assert full_dictionaries_loaded() == before == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_real_server_warms_up_once_and_then_searches(tmp_path, workers):
    """`--workers 2`: gunicorn's arbiter loads it before forking (so it is there when the workers answer, once for
    all of them); `--workers 1`: waitress's process in a background thread."""
    env = node_env(tmp_path / "data", MCCS_LOG_LEVEL="INFO")
    node = Node(env, tmp_path / "serve.log", "--workers", workers, "--no-worker")
    try:
        node.wait_healthy()
        deadline = time.monotonic() + 90
        while "search warm-up:" not in node.log_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        for _ in range(4):
            status, body = node.request("GET", "/api/v1/entities?offers=bread")
            assert status == 200, body
        assert node.log_text().count("search warm-up:") == 1, node.log_text()
        assert "search warm-up failed" not in node.log_text()
    finally:
        node.stop()
