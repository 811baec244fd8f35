"""How a search term matches offer/want tags, and how well (ADR 0126).

Tags and terms are words joined by hyphens (``organic-vegetables``); matching works on whole words, compared
without accents (``cafe`` = ``café``). A word of the term matches a word of a tag:

- ``EXACT``: the same word;
- ``INFLECTION``: another form of it, by the dictionaries of English, Spanish, French and German
  (``scarf`` → ``scarves``, ``pan`` → ``panes``; mccs.matching.words), or a dictionary word of the same family —
  a shared stem of at least 5 letters, endings of at most 3 (``plumber`` → ``plumbing``, ``fontanero`` →
  ``fontanería``);
- ``WILDCARD``: the start of a longer word, when the term is not a dictionary word (a fragment: ``vegeta`` →
  ``vegetables``), or when the longer word is a dictionary word and its rest a word of the term's language (a
  compound: ``hair`` → ``haircuts``, but ``tea`` never finds ``team``, nor ``car`` ``carpentry``); or the end of
  a compound (a dictionary word) after a word of at least 4 letters (``sitting`` → ``babysitting``);
- ``FUZZY``: a few edits away (a swap of neighbouring letters counts as one; none under 4 letters, one up to 6,
  two beyond) — but never from one dictionary word to another (``knitting`` does not
  find ``sitting``, nor ``fitting``), only from or to a word the dictionaries do not know (a typo).

A tag matches a term when each word of the term matches one of its words; it ranks by its worst word, and a tag
with more words than the term is at best a ``WILDCARD`` match (``vegetables`` → ``organic-vegetables``). When no
tag has every word of a several-word term, the tags with the most of its words are offered, after every full
match of the other terms (``organic-carrots`` → ``carrots``). ``SYNONYM`` (a tag meaning the same: ``mechanic`` →
``car-repair``) comes from the synonyms, elsewhere. This module knows nothing of entities or models: the directory
gives it tag names and turns names back into rows.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from enum import IntEnum
from typing import NamedTuple

from django.utils.translation import gettext as _
from rapidfuzz import process
from rapidfuzz.distance import OSA

from mccs.core.errors import InvalidRequest
from mccs.matching.normalise import normalise_tag
from mccs.matching.words import fold, known_together, word

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


STEM_MIN = 5  # letters a word family shares (plumb-er, plumb-ing)
ENDING_MAX = 3  # letters of each ending after the shared stem
COMPOUND_PART_MIN = 3  # letters of the rest of a compound after a term (hair-cuts; tea-m is no compound)
COMPOUND_HEAD_MIN = (
    4  # letters of a compound's first word before a term at its end (baby-sitting; car-pet is not)
)


def _family(first: str, second: str) -> bool:
    """One word family: a shared stem of at least STEM_MIN letters, and endings of at most ENDING_MAX."""
    shared = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        shared += 1
    return (
        shared >= STEM_MIN
        and len(first) - shared <= ENDING_MAX
        and len(second) - shared <= ENDING_MAX
        and first != second
    )


def _compound_rest(term: str, rest: str) -> bool:
    """``rest`` (what follows ``term`` at the start of a longer word) is a word of the term's language, perhaps
    after a German linking ``s`` (Arbeit-s-platz)."""
    if len(rest) < COMPOUND_PART_MIN:
        return False
    if known_together(term, rest):
        return True
    return (
        rest[0] == "s"
        and len(rest) > COMPOUND_PART_MIN
        and "de" in word(term).languages
        and ("de" in word(rest[1:]).languages)
    )


class FuzzyVocabulary:
    """The distinct tag names, with their words indexed (without accents) for matching: by word, by lemma, in
    order (for the starts of words), reversed (for their ends), and as a list for typo-tolerant look-up."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = sorted(set(names))
        by_word: dict[str, set[str]] = defaultdict(set)
        joined: dict[str, set[str]] = defaultdict(set)
        originals: dict[str, set[str]] = defaultdict(set)
        for name in self.names:
            for part in name.split("-"):
                if part:
                    by_word[fold(part)].add(name)
                    originals[fold(part)].add(part)
            if "-" in name:
                joined[fold(name.replace("-", ""))].add(name)
        self.by_word = {key: sorted(value) for key, value in by_word.items()}
        self.joined = dict(joined)
        self.words = sorted(self.by_word)
        self.reversed_words = sorted(w[::-1] for w in self.words)
        self.known = {key: any(word(o).known for o in group) for key, group in originals.items()}
        by_key: dict[str, set[str]] = defaultdict(set)
        for key, group in originals.items():
            for original in group:
                for lemma in word(original).keys:
                    by_key[lemma].add(key)
        self.by_key = dict(by_key)
        # typos are looked for among the words and their lemmas ("chiken" → "chicken", the lemma of "chickens")
        self.fuzzy_words = [w for w in self.by_key if len(w) >= FUZZY_MIN_LENGTH]

    def __len__(self) -> int:
        return len(self.names)

    def _starting(self, sorted_words: list[str], prefix: str) -> list[str]:
        found, at = [], bisect_left(sorted_words, prefix)
        while at < len(sorted_words) and sorted_words[at].startswith(prefix):
            found.append(sorted_words[at])
            at += 1
        return found

    def word_matches(self, text: str, *, fragment: bool = False) -> dict[str, Rank]:
        """{vocabulary word: best rank} for one word of a term (lower case, as normalised). ``fragment``: the
        start of any word counts (what ``GET /tags?fragment=`` offers while someone types)."""
        key = fold(text)
        info = word(text)
        found: dict[str, Rank] = {}
        if key in self.by_word:
            found[key] = Rank.EXACT
        for lemma in info.keys:  # forms of the same word, by the dictionaries
            for other in self.by_key.get(lemma, ()):
                found.setdefault(other, Rank.INFLECTION)
        if len(key) >= STEM_MIN and info.known:  # the same word family (of dictionary words)
            for other in self._starting(self.words, key[:STEM_MIN]):
                if other not in found and self.known[other] and _family(key, other):
                    found[other] = Rank.INFLECTION
        if len(key) >= COMPOUND_PART_MIN or fragment:  # the start of a longer word
            for other in self._starting(self.words, key):
                if other in found:
                    continue
                if (
                    fragment
                    or not info.known
                    or (self.known[other] and _compound_rest(text, other[len(key) :]))
                ):
                    found[other] = Rank.WILDCARD
        if len(key) >= COMPOUND_HEAD_MIN:  # the end of a compound
            for backwards in self._starting(self.reversed_words, key[::-1]):
                other = backwards[::-1]
                head = other[: -len(key)]
                if (
                    other not in found
                    and len(head) >= COMPOUND_HEAD_MIN
                    and self.known[other]
                    and word(head).known
                ):
                    found[other] = Rank.WILDCARD
        edits = max_edits(key)
        if edits:
            for near, _, _ in process.extract(
                key, self.fuzzy_words, scorer=OSA.distance, score_cutoff=edits, limit=None
            ):
                for other in self.by_key[near]:
                    if other not in found and not (info.known and self.known[other]):
                        found[other] = Rank.FUZZY
        return found

    def match(self, terms: Iterable[str], *, fragment: bool = False) -> dict[str, TagMatch]:
        """{tag name: its best match} for the (normalised) terms."""
        matches: dict[str, TagMatch] = {}
        memo: dict[str, dict[str, Rank]] = {}
        for term in terms:
            for name, match in self._term_matches(term, memo, fragment).items():
                if name not in matches or match < matches[name]:
                    matches[name] = match
        return matches

    def _term_matches(self, term: str, memo: dict, fragment: bool) -> dict[str, TagMatch]:
        parts = [part for part in term.split("-") if part]
        if not parts:
            return {}
        # name -> {index of a word of the term: its best rank in that name}
        covered: dict[str, dict[int, Rank]] = defaultdict(dict)
        for index, part in enumerate(parts):
            if part not in memo:
                memo[part] = self.word_matches(part, fragment=fragment)
            for other, rank in memo[part].items():
                for name in self.by_word[other]:
                    best = covered[name].get(index)
                    if best is None or rank < best:
                        covered[name][index] = rank
        whole = fold(term)
        found: dict[str, TagMatch] = {}
        for name, ranks in covered.items():
            if len(ranks) < len(parts):
                continue
            rank = max(ranks.values())
            if fold(name) != whole and (rank == Rank.EXACT or len(name.split("-")) > len(parts)):
                rank = max(rank, Rank.WILDCARD)
            found[name] = tag_match(rank, term)
        for name in self.joined.get(whole.replace("-", ""), ()):  # "babysitting" = "baby-sitting"
            found[name] = tag_match(Rank.EXACT, term)
        if found or len(parts) == 1:
            return found
        # No tag has every word: offer those with the most of them (words of 3 letters or more), after every
        # full match of other terms.
        significant = {i for i, part in enumerate(parts) if len(part) >= COMPOUND_PART_MIN}
        counts = {name: len(significant & set(ranks)) for name, ranks in covered.items()}
        most = max(counts.values(), default=0)
        if not most:
            return {}
        missing = len(significant) - most
        partial: dict[str, TagMatch] = {}
        for name, count in counts.items():
            if count == most:
                rank = max(Rank.WILDCARD, *covered[name].values())
                partial[name] = TagMatch(missing * len(Rank) + int(rank), rank, term)
        return partial
