"""How a search term matches offer/want tags, and how well.

A term matches a tag in one of these ways, best first (``Rank``; the API calls it ``matchedBy``):

- ``EXACT``: the same normalised tag (``vegetables`` → ``vegetables``);
- ``INFLECTION``: another form of the same word (``vegetable`` → ``vegetables``, ``berry`` → ``berries``);
- ``WILDCARD``: the tag contains the term or its singular/plural (``vegetables`` → ``organic-vegetables``);
- ``SYNONYM``: a tag meaning the same (``mechanic`` → ``car-repair``), from the synonyms (another module);
- ``FUZZY``: the tag, or one of its hyphen-separated words, is a small number of edits away, a swap of two
  neighbouring letters counting as one edit (``vegetalbes`` → ``organic-vegetables``).

Exact, plural and wildcard matches are asked of the database (fresh, cheap on the small tag table); fuzzy matches
are computed here against the vocabulary of distinct tag names (see ADR 0020). This module knows nothing of
entities or models: the directory gives it names and turns names back into rows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from enum import IntEnum
from typing import NamedTuple

from django.utils.translation import gettext as _
from rapidfuzz import process
from rapidfuzz.distance import OSA

from mccs.core.errors import InvalidRequest
from mccs.matching.normalise import normalise_tag

FUZZY_MIN_LENGTH = 4  # shorter terms match too many unrelated words with even one edit
MAX_TERMS = 10  # search terms one request may send; more is refused (a search is not a bulk export)


class Rank(IntEnum):
    """How a term matched a tag, best first. A synonym is a deliberate match of meaning, so it ranks above a guess
    at a typo, and below any match of the term's own letters."""

    EXACT = 0
    INFLECTION = 1
    WILDCARD = 2
    SYNONYM = 3
    FUZZY = 4

    @property
    def label(self) -> str:
        """The name the API gives it (``matchedBy``): ``exact``, ``inflection``, ``wildcard``, ``synonym``,
        ``fuzzy``."""
        return self.name.lower()


class TagMatch(NamedTuple):
    """How one tag was matched: ``order`` ranks it (smaller first), ``rank`` says how, ``term`` by which search
    term. Tuples compare by ``order`` first, so ``min`` of several matches is the best one."""

    order: int
    rank: Rank
    term: str


def tag_match(rank: Rank, term: str) -> TagMatch:
    return TagMatch(int(rank), rank, term)


WORST_ORDER = 1_000  # larger than any match's order


def max_edits(term: str) -> int:
    if len(term) < FUZZY_MIN_LENGTH:
        return 0
    return 1 if len(term) <= 6 else 2


def _word_variants(word: str) -> set[str]:
    """Singular and plural forms of one English word (good enough for offer/want tags)."""
    variants = {word}
    if len(word) < 3:
        return variants
    if word.endswith("ies") and len(word) > 4:
        variants.add(word[:-3] + "y")
    elif word.endswith(("ses", "xes", "zes", "ches", "shes")):
        variants.add(word[:-2])
        variants.add(word[:-1])
    elif word.endswith("s") and not word.endswith("ss"):
        variants.add(word[:-1])
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        variants.add(word[:-1] + "ies")
    elif word.endswith(("s", "x", "z", "ch", "sh")):
        variants.add(word + "es")
    else:
        variants.add(word + "s")
    return variants


def plural_variants(term: str) -> set[str]:
    """The term with its last word made singular or plural: ``fresh-egg`` → {``fresh-eggs``}."""
    head, _, last = term.rpartition("-")
    prefix = f"{head}-" if head else ""
    return {prefix + variant for variant in _word_variants(last)} - {term}


def search_terms(raw: str | Iterable[str] | None, *, field: str | None = None) -> list[str]:
    """Comma-separated (or listed) search words, normalised like tags; empty ones and repeats dropped.

    With ``field`` (the input comes from a client), more than MAX_TERMS distinct terms is refused with an error
    naming that field; without it (the node's own lists, such as an entity's tags) the first MAX_TERMS are kept.
    Either way no caller ever searches for more than MAX_TERMS terms, and no more than MAX_TERMS + 1 are read."""
    if raw is None:
        return []
    parts = raw.split(",") if isinstance(raw, str) else raw
    terms: list[str] = []
    for part in parts:
        term = normalise_tag(part)[:50] if isinstance(part, str) else ""
        if term and term not in terms:
            if len(terms) == MAX_TERMS:
                if field is None:
                    break
                raise InvalidRequest(
                    _("%(field)s can hold at most %(most)s comma-separated search terms.")
                    % {"field": field, "most": MAX_TERMS},
                    code="too_many_terms",
                    field=field,
                )
            terms.append(term)
    return terms


class FuzzyVocabulary:
    """The distinct tag names, indexed for typo-tolerant lookup of whole names and of their words."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(names))
        by_word: dict[str, list[str]] = defaultdict(list)
        for name in self.names:
            for word in set(name.split("-")):
                if len(word) >= FUZZY_MIN_LENGTH:
                    by_word[word].append(name)
        self.by_word = dict(by_word)
        self.words = list(self.by_word)
        self._text: str | None = None  # every name, one a line, for ``containing``
        self._starts: list[int] = []

    def containing(self, needles: Iterable[str]) -> list[str]:
        """The names that contain any of the needles (what ``name LIKE '%needle%'`` finds), in name order. Searches
        one string of every name per needle, so asking it for thousands of terms stays cheap."""
        if self._text is None:
            self._starts, at = [], 0
            for name in self.names:
                self._starts.append(at)
                at += len(name) + 1
            self._text = "\n".join(self.names)
        text, starts, found = self._text, self._starts, set()
        for needle in needles:
            if not needle or "\n" in needle:
                continue
            at = text.find(needle)
            while at != -1:
                index = bisect_right(starts, at) - 1
                found.add(index)
                following = index + 1
                at = text.find(needle, starts[following]) if following < len(starts) else -1
        return [self.names[index] for index in sorted(found)]

    def __len__(self) -> int:
        return len(self.names)

    def fuzzy(self, term: str) -> set[str]:
        """Names within a few edits of the term, or containing a word within a few edits of it."""
        edits = max_edits(term)
        if not edits:
            return set()
        found = {
            name
            for name, _, _ in process.extract(
                term, self.names, scorer=OSA.distance, score_cutoff=edits, limit=None
            )
        }
        if "-" not in term:
            for word, _, _ in process.extract(
                term, self.words, scorer=OSA.distance, score_cutoff=edits, limit=None
            ):
                found.update(self.by_word[word])
        return found
