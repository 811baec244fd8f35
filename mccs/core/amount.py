"""Amounts of mutual credit: integers in hundredths inside, numbers with at most two decimals outside.

No floats anywhere: the API parser hands JSON numbers over as ``Decimal`` and ``Amount.parse`` refuses anything
that is not an exact, finite, positive number with at most two decimals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import formats

from mccs.core.errors import InvalidRequest

CENTS = 100
# Far above any real balance, and well inside a signed 64-bit column even when many are summed.
MAX_CENTS = 10**15


@dataclass(frozen=True, order=True)
class Amount:
    cents: int

    @classmethod
    def parse(
        cls, value: object, *, field: str = "amount", allow_zero: bool = False, allow_negative: bool = False
    ) -> Amount:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise InvalidRequest(
                _("The %(field)s must be a number with at most two decimals.") % {"field": field}, field=field
            )
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            raise InvalidRequest(
                _("The %(field)s must be a number with at most two decimals.") % {"field": field}, field=field
            ) from None
        if not number.is_finite():
            raise InvalidRequest(_("The %(field)s must be a finite number.") % {"field": field}, field=field)
        # Before any arithmetic: 1e999999 would overflow, and 1e999990 would take seconds to multiply out.
        if number and number.adjusted() >= len(str(MAX_CENTS // CENTS)):
            raise InvalidRequest(_("The %(field)s is too large.") % {"field": field}, field=field)
        cents = number * CENTS
        if cents != cents.to_integral_value():
            raise InvalidRequest(
                _("The %(field)s can have at most two decimals.") % {"field": field}, field=field
            )
        cents_int = int(cents)
        if abs(cents_int) >= MAX_CENTS:
            raise InvalidRequest(_("The %(field)s is too large.") % {"field": field}, field=field)
        if cents_int == 0 and not allow_zero:
            raise InvalidRequest(
                _("The %(field)s must be greater than zero.") % {"field": field}, field=field
            )
        if cents_int < 0 and not allow_negative:
            raise InvalidRequest(_("The %(field)s must not be negative.") % {"field": field}, field=field)
        return cls(cents_int)

    def to_decimal(self) -> Decimal:
        return (Decimal(self.cents) / CENTS).quantize(Decimal("0.01"))

    def __str__(self) -> str:
        return f"{self.to_decimal():,}"


def cents_to_decimal(cents: int) -> Decimal:
    return Amount(cents).to_decimal()


def money(cents: int, *, bare: bool = False) -> str:
    """Hundredths as a signed amount with two decimals and the node's unit, written the way the active language
    writes numbers: -123450 → "-1,234.50 mc" in English, "-1.234,50 mc" in German; ``bare`` leaves the unit out.
    Pages use it through the ``money`` template filter; messages and emails call it directly."""
    number = formats.number_format(Amount(cents).to_decimal(), 2, use_l10n=True, force_grouping=True)
    return number if bare else f"{number} {settings.MCCS_CURRENCY_UNIT}"


# --- amounts typed by people ----------------------------------------------------------------------------------

# Characters that only ever group digits: spaces of every kind and apostrophes (1 234,50 · 1'234.50).
_SPACES = frozenset(" \u00a0\u202f\u2009'\u2019")
_MARKS = frozenset(".,")
_SPLIT = re.compile(r"([.,\u00a0\u202f\u2009'\u2019 ])")


def _(message: str) -> str:
    from django.utils.translation import gettext

    return gettext(message)


def decimal_separator(language: str | None = None) -> str:
    """The decimal separator of ``language`` (default: the active language), from Django's locale formats."""
    from django.utils import formats, translation

    return formats.get_format("DECIMAL_SEPARATOR", lang=language or translation.get_language())


def _written(cents: int, decimal: str) -> str:
    return f"{cents // CENTS}{decimal}{cents % CENTS:02d}"


def amount_from_text(
    text: object, *, field: str = "amount", language: str | None = None, allow_zero: bool = False
) -> Amount:
    """An amount a person typed, read the way people write numbers, or a clear refusal — never another amount.

    ``10.50`` and ``10,50`` are ten and a half; ``1,234.50``, ``1.234,50`` and ``1 234,50`` are read by their
    structure: a separator that is followed by other separators groups digits in threes, and the last one, when it
    is a point or a comma seen only once, is the decimal separator. What could honestly mean two amounts is refused
    rather than guessed: ``1,050`` or ``1.050`` is a thousand and fifty in one country and one point zero five in
    another. The member's language (``language``, default the active one) decides how examples in messages are
    written. What is left is checked by :meth:`Amount.parse`: positive, at most two decimals, not absurdly large.
    """
    decimal = decimal_separator(language)
    words: dict[str, object] = {"field": field, "example": _written(1050, decimal)}
    if not isinstance(text, str):
        raise InvalidRequest(_("The %(field)s must be a number, like %(example)s.") % words, field=field)
    shown = text.strip()
    raw = shown
    sign = ""
    if raw[:1] in ("-", "+", "\u2212"):
        sign, raw = ("" if raw[0] == "+" else "-"), raw[1:].lstrip()
    parts = _SPLIT.split(raw)
    groups, separators = parts[0::2], parts[1::2]
    if not raw or not all(g.isascii() and g.isdigit() for g in groups):
        raise InvalidRequest(_("The %(field)s must be a number, like %(example)s.") % words, field=field)
    odd = InvalidRequest(
        _("The %(field)s has its separators in odd places. Write it like %(example)s.") % words, field=field
    )
    integer_groups, fraction = groups, ""
    if separators and separators[-1] in _MARKS and separators[-1] not in separators[:-1]:
        integer_groups, fraction = groups[:-1], groups[-1]
        separators = separators[:-1]
        if (
            not separators
            and len(fraction) == 3
            and len(integer_groups[0]) <= 3
            and integer_groups[0][0] != "0"
        ):
            whole = int(integer_groups[0] + fraction)
            words.update(text=shown, whole=whole, other=f"{integer_groups[0]}{decimal}{fraction}")
            if fraction.endswith("0"):
                words["near"] = _written(int(integer_groups[0]) * CENTS + int(fraction) // 10, decimal)
                message = _(
                    "“%(text)s” could mean %(whole)s or %(other)s. Write %(whole)s without a separator, "
                    "or %(near)s with two decimals."
                )
            else:
                message = _(
                    "“%(text)s” could mean %(whole)s or %(other)s, and amounts have at most two decimals. "
                    "Write %(whole)s without a separator if you mean %(whole)s."
                )
            raise InvalidRequest(
                message % words,
                field=field,
                code="ambiguous_amount",
            )
    if separators:
        kinds = {"space" if s in _SPACES else s for s in separators}
        first, rest = integer_groups[0], integer_groups[1:]
        if len(kinds) != 1 or not 1 <= len(first) <= 3 or any(len(g) != 3 for g in rest):
            raise odd
    digits = "".join(integer_groups) + (f".{fraction}" if fraction else "")
    return Amount.parse(sign + digits, field=field, allow_zero=allow_zero)
