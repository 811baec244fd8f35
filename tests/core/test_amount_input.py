"""Amounts typed by people: ``10,50`` is ten and a half, ``1,050`` is refused, and nothing is ever read as another
amount, whatever convention the member writes in and whatever language the page is in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import formats, translation
from hypothesis import example, given
from hypothesis import strategies as st

from mccs.core.amount import MAX_CENTS, amount_from_text
from mccs.core.errors import InvalidRequest

LANGUAGES = ["en", "es", "fr", "de"]
cents = st.integers(min_value=1, max_value=MAX_CENTS - 1)
languages = st.sampled_from(LANGUAGES)


def written(value: int, language: str, *, grouping: bool, decimals: int = 2) -> str:
    """How Django's locale formats write ``value`` hundredths in ``language``."""
    with translation.override(language):
        return formats.number_format(Decimal(value) / 100, decimals, force_grouping=grouping)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("10.50", "en", 1050),
        ("10,50", "es", 1050),
        ("10,50", "fr", 1050),
        ("10,50", "de", 1050),
        ("10,50", "en", 1050),  # the defect: this was 1,050.00
        ("1,234.50", "en", 123450),
        ("1.234,50", "de", 123450),
        ("1\u202f234,50", "fr", 123450),
        ("1\u00a0234,50", "es", 123450),
        ("  42 ", "en", 4200),
        ("0,5", "de", 50),
        ("1,000,000", "en", 100000000),
    ],
)
def test_amounts_are_read_as_written(text, language, expected):
    assert amount_from_text(text, language=language).cents == expected


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", ["1,050", "1.050", "999,999", "1.000"])
def test_ambiguous_amounts_are_refused_with_both_readings(text, language):
    with pytest.raises(InvalidRequest) as caught:
        amount_from_text(text, language=language)
    assert caught.value.code == "ambiguous_amount"
    whole = text.replace(",", "").replace(".", "")
    assert whole in caught.value.message and "two decimals" in caught.value.message
    assert caught.value.message.startswith(f"“{text}” could mean {int(whole)}")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("ten", "must be a number"),
        ("", "must be a number"),
        ("10.5.0,1", "odd places"),
        ("1,5,0", "odd places"),
        ("12 34", "odd places"),
        ("1.234 567", "odd places"),
        ("12,345", "could mean"),
        ("-5", "must not be negative"),
        ("0", "greater than zero"),
        ("1.005", "could mean"),
        ("10,005", "at most two decimals"),
        ("1e3", "must be a number"),
        ("٣", "must be a number"),
    ],
)
def test_bad_amounts_are_refused_clearly(text, fragment):
    with pytest.raises(InvalidRequest) as caught:
        amount_from_text(text, language="en")
    assert fragment in caught.value.message
    assert caught.value.field == "amount"


def test_messages_write_examples_in_the_members_language():
    with pytest.raises(InvalidRequest, match=r"like 10,50"):
        amount_from_text("ten", language="de")
    with translation.override("fr"), pytest.raises(InvalidRequest, match=r"ou 1,05 avec deux décimales"):
        amount_from_text("1,050")


@given(value=cents, language=languages, grouping=st.booleans())
def test_what_a_locale_writes_it_reads_back(value, language, grouping):
    assert amount_from_text(written(value, language, grouping=grouping), language=language).cents == value


@given(
    value=cents,
    written_in=languages,
    read_in=languages,
    grouping=st.booleans(),
    decimals=st.sampled_from([0, 2]),
)
@example(value=105000, written_in="en", read_in="de", grouping=True, decimals=0)
@example(value=105, written_in="de", read_in="en", grouping=False, decimals=2)
def test_never_another_amount_across_conventions(value, written_in, read_in, grouping, decimals):
    """A member used to one convention on a page in another language gets their amount or a refusal."""
    if decimals == 0:
        value -= value % 100
        if not value:
            return
    text = written(value, written_in, grouping=grouping, decimals=decimals)
    try:
        read = amount_from_text(text, language=read_in).cents
    except InvalidRequest as exc:
        assert exc.code == "ambiguous_amount" and grouping and decimals == 0
    else:
        assert read == value


@given(
    text=st.text(alphabet=st.sampled_from(list("0123456789.,  \u00a0'-+e")), max_size=14), language=languages
)
def test_any_text_is_an_exact_amount_or_a_clear_refusal(text, language):
    try:
        amount = amount_from_text(text, language=language)
    except InvalidRequest as exc:
        assert exc.message and exc.field == "amount"
    else:
        digits = [c for c in text if c.isdigit()]
        assert 0 < amount.cents < MAX_CENTS
        # Only separators were taken out: the digits typed are the digits read, in order.
        assert str(amount.cents).lstrip("0") in "".join(digits).lstrip("0") + "00"
