"""Words of offers and wants in English, Spanish, French and German: is a word in the dictionary, and what are its
lemmas (``scarves`` → ``scarf``, ``panes`` → ``pan``, ``chevaux`` → ``cheval``, ``Äpfel`` → ``Apfel``).

The dictionaries are simplemma's (ADR 0125), read through its low-memory backend (about 35 MB for the four
languages instead of about 280 MB; loading them takes a few seconds, once per process, on the first search). Only
dictionary look-ups are used, never simplemma's guessing rules: a word the dictionaries do not know has no lemma
but itself. The language of a search is unknown, so a word is looked up in all four. Answers are remembered per
word for the life of the process (the tag vocabulary is small; a query adds a few words).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

LANGUAGES = ("en", "es", "fr", "de")
_MEMO_LIMIT = 200_000  # words remembered; past this the memo starts again (a bound, not a cache policy)


@dataclass(frozen=True)
class Word:
    """``languages``: those whose dictionary knows the word; ``keys``: the word and its lemmas, without accents,
    lower case. Two words are forms of each other when their keys meet."""

    languages: frozenset[str]
    keys: frozenset[str]

    @property
    def known(self) -> bool:
        return bool(self.languages)


def fold(text: str) -> str:
    """Lower case without accents, so that ``cafe`` finds ``café`` and ``reparacion`` finds ``reparación``
    (``ß`` → ``ss`` by case folding; ``ñ`` → ``n`` like the other accents)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_lock = threading.Lock()
_memo: dict[str, Word] = {}


@lru_cache(maxsize=1)
def _lookup():
    """simplemma's dictionary look-up over its low-memory store (imported and loaded on first use)."""
    from simplemma.strategies import DictionaryLookupStrategy
    from simplemma.strategies.dictionaries import StreamDictionaryFactory

    return DictionaryLookupStrategy(StreamDictionaryFactory())


def word(text: str) -> Word:
    """What the dictionaries say of one word (lower case, as in a tag)."""
    found = _memo.get(text)
    if found is not None:
        return found
    with _lock:  # one thread loads the dictionaries; the others wait for them rather than load them again
        lookup = _lookup()
        languages, keys = set(), {fold(text)}
        if text:
            for language in LANGUAGES:
                lemma = lookup.get_lemma(text, language)
                if lemma is not None:
                    languages.add(language)
                    keys.add(fold(lemma))
        found = Word(frozenset(languages), frozenset(keys))
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo[text] = found
    return found


def known_together(first: str, second: str) -> bool:
    """Both words are in the dictionary of one same language (``hair`` and ``cuts`` in English)."""
    return bool(word(first).languages & word(second).languages)
