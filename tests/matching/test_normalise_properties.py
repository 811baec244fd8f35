"""Properties of offer/want tag normalisation that every stored tag and every search relies on (Hypothesis)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mccs.core.errors import InvalidRequest
from mccs.matching.normalise import MAX_TAG_LENGTH, MAX_TAGS, normalise_tag, normalise_tags

SEPARATORS = [" ", "_", "-", "/", ".", ",", ";", ":", "+", "&", "\t", "  ", " - "]
words = st.text(alphabet=st.characters(categories=["Lu", "Ll", "Nd", "Mn"]), min_size=1, max_size=12).filter(
    lambda w: normalise_tag(w) != ""
)


@given(st.text(max_size=80))
def test_normalising_twice_changes_nothing(raw):
    # A stored tag is normalised again whenever it is searched for, edited or imported.
    once = normalise_tag(raw)
    assert normalise_tag(once) == once


@given(st.text(max_size=80))
def test_a_tag_is_lower_case_words_joined_by_single_hyphens(raw):
    tag = normalise_tag(raw)
    assert tag == tag.strip("-") and "--" not in tag
    assert tag.casefold() == tag
    assert all(ch == "-" or unicodedata.category(ch)[0] in {"L", "N", "M"} for ch in tag)


@given(st.lists(words, min_size=2, max_size=4), st.lists(st.sampled_from(SEPARATORS), min_size=3, max_size=3))
def test_any_separator_between_words_gives_the_same_tag(parts, separators):
    with_hyphens = normalise_tag("-".join(parts))
    mixed = parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:], strict=False))
    assert normalise_tag(mixed) == with_hyphens
    assert normalise_tag(f"  {with_hyphens.upper()}  ") == normalise_tag(with_hyphens.upper())


@given(st.lists(st.text(max_size=30), max_size=15))
def test_a_list_is_normalised_deduplicated_in_order_or_refused(values):
    try:
        tags = normalise_tags(values, field="offers")
    except InvalidRequest as refused:
        assert refused.field == "offers"
        distinct = list(dict.fromkeys(t for t in map(normalise_tag, values) if t))
        assert len(distinct) > MAX_TAGS or any(len(t) > MAX_TAG_LENGTH for t in distinct)
        return
    assert tags == list(dict.fromkeys(t for t in map(normalise_tag, values) if t))
    assert len(tags) <= MAX_TAGS and all(len(t) <= MAX_TAG_LENGTH for t in tags)


@pytest.mark.parametrize("value", ["bread", 3, None, {"a": 1}])
def test_a_list_must_be_a_list_of_text(value):
    with pytest.raises(InvalidRequest):
        normalise_tags(value if isinstance(value, str) else [value], field="wants")
