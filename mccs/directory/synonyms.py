"""Synonyms in directory search: the groups administrators curate (services and selectors), and the meaning step of
tag matching, which joins them to the optional language model (mccs/matching/synonyms.py, ADR 0130).

A curated group is a set of words that mean the same (``mechanic``, ``car-repair``, ``auto-repair``); a word
belongs to at most one group. Curated synonyms apply whether or not the model is installed, and whatever
``MCCS_SYNONYMS`` says; the model only for a term that matched no tag by its letters.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mccs.audit.services import audit_record
from mccs.core import rows
from mccs.core.errors import InvalidRequest, NotFound, TooManyItems
from mccs.core.ids import uuid_or_none
from mccs.directory.models import Synonym, SynonymGroup
from mccs.matching.normalise import MAX_TAG_LENGTH, normalise_tag
from mccs.matching.ranking import FuzzyVocabulary, Rank, TagMatch, tag_match
from mccs.matching.synonyms import (
    MeaningIndex,
    curated_index,
    curated_related,
    languages_known,
    model_encoder,
    term_languages,
)
from mccs.users.models import User
from mccs.users.policies import require_administrator

SYNONYM_GROUP_NOT_FOUND = gettext_lazy("Synonym group not found.")
MANAGE_SYNONYMS = gettext_lazy("manage synonyms")
MAX_GROUP_WORDS = 20


# --- curated groups: selectors ------------------------------------------------------------------------------------


def synonym_groups(*, query: str = "") -> QuerySet[SynonymGroup]:
    """Every group with its words, oldest first; with ``query``, the groups with a word containing it."""
    groups = SynonymGroup.objects.prefetch_related("synonyms")
    if query and (word := normalise_tag(query)):
        groups = groups.filter(pk__in=Synonym.objects.filter(word__contains=word).values("group_id"))
    return groups.order_by("created_at", "id")


def synonym_group_get(group_id: object) -> SynonymGroup:
    found_id = uuid_or_none(group_id)
    group = (
        SynonymGroup.objects.prefetch_related("synonyms").filter(pk=found_id).first() if found_id else None
    )
    if group is None:
        raise NotFound(SYNONYM_GROUP_NOT_FOUND)
    return group


# --- curated groups: services -------------------------------------------------------------------------------------


def synonym_words_clean(raw: object) -> list[str]:
    """The words of a group, normalised like tags, in the order given. Refuses fewer than two, a word twice (a
    word is always its own synonym), a word without letters or digits, and words longer than a tag."""
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise InvalidRequest(_("words must be a list of words or short phrases."), field="words")
    words: list[str] = []
    for value in raw:
        if not isinstance(value, str):
            raise InvalidRequest(_("Each of the words must be text."), field="words")
        if not value.strip():
            continue
        word = normalise_tag(value)
        if not word:
            raise InvalidRequest(
                _("'%(word)s' has no letter or digit: it cannot be a synonym.")
                % {"word": value.strip()[:20]},
                field="words",
            )
        if len(word) > MAX_TAG_LENGTH:
            raise InvalidRequest(
                _("The word '%(word)s…' is too long: at most %(most)s characters.")
                % {"word": word[:20], "most": MAX_TAG_LENGTH},
                field="words",
            )
        if word in words:
            raise InvalidRequest(
                _("'%(word)s' is given twice: a word is always its own synonym.") % {"word": word},
                field="words",
            )
        if len(words) == MAX_GROUP_WORDS:
            raise TooManyItems(
                _("A synonym group can have at most %(most)s words.") % {"most": MAX_GROUP_WORDS},
                field="words",
            )
        words.append(word)
    if len(words) < 2:
        raise InvalidRequest(_("A synonym group needs at least two different words."), field="words")
    return words


def _taken(words: list[str], group: SynonymGroup | None) -> None:
    others = Synonym.objects.filter(word__in=words)
    if group is not None:
        others = others.exclude(group=group)
    taken = sorted(others.values_list("word", flat=True))
    if taken:
        raise InvalidRequest(
            _("%(words)s already belong to another synonym group: change that group instead.")
            % {"words": ", ".join(taken)},
            field="words",
        )


def _write(*, actor: User, group: SynonymGroup | None, words: list[str]) -> SynonymGroup:
    try:
        with transaction.atomic(durable=True):
            _taken(words, group)
            if group is None:
                group, before, action = SynonymGroup.objects.create(), None, "synonyms.create"
            else:
                before, action = group.words, "synonyms.update"
                group.synonyms.all().delete()
                group.save(update_fields=["updated_at"])  # tells the search caches the group changed
            Synonym.objects.bulk_create(Synonym(group=group, word=word) for word in words)
            audit_record(
                actor=actor,
                action=action,
                object_type="synonym_group",
                object_id=group.pk,
                changes={"words": (before, sorted(words))},
            )
    except IntegrityError:  # another administrator put one of the words in a group at the same moment
        _taken(words, group)
        raise
    synonyms_invalidate()
    return synonym_group_get(group.pk)


def synonym_group_create(*, actor: User, words: object) -> SynonymGroup:
    require_administrator(actor, what=MANAGE_SYNONYMS)
    return _write(actor=actor, group=None, words=synonym_words_clean(words))


def synonym_group_update(*, actor: User, group: SynonymGroup, words: object) -> SynonymGroup:
    """Replace the words of a group."""
    require_administrator(actor, what=MANAGE_SYNONYMS)
    clean = synonym_words_clean(words)
    if not SynonymGroup.objects.filter(pk=group.pk).exists():
        raise NotFound(SYNONYM_GROUP_NOT_FOUND)
    return _write(actor=actor, group=group, words=clean)


def synonym_group_delete(*, actor: User, group: SynonymGroup) -> SynonymGroup:
    require_administrator(actor, what=MANAGE_SYNONYMS)
    with transaction.atomic(durable=True):
        words = group.words
        deleted, _rows = SynonymGroup.objects.filter(pk=group.pk).delete()
        if not deleted:
            raise NotFound(SYNONYM_GROUP_NOT_FOUND)
        audit_record(
            actor=actor,
            action="synonyms.delete",
            object_type="synonym_group",
            object_id=group.pk,
            changes={"words": (sorted(words), None)},
        )
    synonyms_invalidate()
    return group


# --- the meaning step of tag matching -----------------------------------------------------------------------------


@dataclass
class _MeaningCache:
    curated_key: tuple | None = None
    curated_at: float = 0.0
    curated: dict[str, frozenset[str]] = field(default_factory=dict)
    index: MeaningIndex | None = None
    index_vocabulary: FuzzyVocabulary | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_cache = _MeaningCache()
CURATED_MAX_AGE = 60.0  # seconds; other processes see an administrator's change within this time (or at once)


def synonyms_invalidate() -> None:
    """Call after changing curated synonyms so this process reads them again at once."""
    _cache.curated_key = None


def curated_key_sql() -> str:
    """The curated groups' freshness key (``rows.change_key_sql``), for a caller's statement of its own."""
    return rows.change_key_sql(SynonymGroup, "updated_at")


def curated_synonyms(key: tuple | None = None) -> dict[str, frozenset[str]]:
    """{word: its curated synonyms}, read again when the groups change (one cheap aggregate per search, or the
    ``key`` a caller read with ``curated_key_sql`` in a statement of its own)."""
    # In SQL of our own, as every search asks it (ADR 0165); the key is only compared, so the raw values do.
    if key is None:
        key = rows.select(f"SELECT {curated_key_sql()}", [])[0]  # noqa: S608
    if key != _cache.curated_key or time.monotonic() - _cache.curated_at > CURATED_MAX_AGE:
        if not key[0]:
            index: dict[str, frozenset[str]] = {}
        else:
            groups: dict[object, list[str]] = {}
            for group_id, word in Synonym.objects.values_list("group_id", "word"):
                groups.setdefault(group_id, []).append(word)
            index = curated_index(groups.values())
        _cache.curated, _cache.curated_key, _cache.curated_at = index, key, time.monotonic()
    return _cache.curated


def model_enabled() -> bool:
    """Whether synonyms from the language model are on: ``MCCS_SYNONYMS`` (default on) and the package installed."""
    return bool(getattr(settings, "MCCS_SYNONYMS", True)) and model_encoder() is not None


def meaning_index(vocabulary: FuzzyVocabulary) -> MeaningIndex | None:
    """The model's index of this vocabulary (rebuilt when the vocabulary object changes, re-using the vectors of
    names already seen); None when the model is off."""
    encoder = model_encoder() if getattr(settings, "MCCS_SYNONYMS", True) else None
    if encoder is None:
        return None
    if _cache.index_vocabulary is not vocabulary:
        with _cache.lock:
            if _cache.index_vocabulary is not vocabulary:
                _cache.index = MeaningIndex(vocabulary.names, encoder, previous=_cache.index)
                _cache.index_vocabulary = vocabulary
    return _cache.index


def with_synonyms(
    matches: dict[str, TagMatch],
    terms: list[str],
    vocabulary: FuzzyVocabulary,
    *,
    curated_key: tuple | None = None,
) -> dict[str, TagMatch]:
    """The matches of ``terms`` by their letters, with the tags of the same meaning added as ``SYNONYM`` (a tag
    already matched better keeps its match): curated synonyms of every term, and the model's for the terms that
    matched no tag. ``curated_key``: as ``curated_synonyms``."""
    unmatched = [term for term in terms if term not in {match.term for match in matches.values()}]
    found = synonym_names(terms, unmatched=unmatched, vocabulary=vocabulary, curated_key=curated_key)
    for name, term in found.items():
        synonym = tag_match(Rank.SYNONYM, term)
        if name not in matches or synonym < matches[name]:
            matches[name] = synonym
    return matches


def synonym_names(
    terms: Iterable[str],
    *,
    unmatched: Iterable[str],
    vocabulary: FuzzyVocabulary,
    curated_key: tuple | None = None,
) -> dict[str, str]:
    """{tag name: the term it means} for the tags related to the search terms by meaning: curated synonyms of
    every term, and the model's synonyms of the ``unmatched`` terms (those no tag matched by its letters)."""
    found: dict[str, str] = {}
    curated = curated_synonyms(curated_key)
    for term in terms:
        for name in curated_related(term, curated, vocabulary):
            found.setdefault(name, term)
    # Only words of the node's languages can mean something (a typo or ``zzzz`` cannot): others never make the
    # process load the model or embed the vocabulary.
    unmatched = [term for term in unmatched if term_languages(term) or not languages_known()]
    index = meaning_index(vocabulary) if unmatched else None
    if index is not None:
        for term in unmatched:
            for name in index.related(term):
                found.setdefault(name, term)
    return found
