"""The hash chain of a link, exactly as the reference node 0.8 computes it (WIRE-NOTES.md §5.2):

    md5(previous | uuid | state | quant1 | description1 | quant2 | description2 … | version)

joined with ``|``, over the entries that involve the neighbour, in transaction order, each quant in the trunkward
node's units for that link and printed the way PHP prints a number (``10``, ``0.5``). The chain starts at ``""``;
only versions ≥ 1 (pending, completed, erased) have a hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal


def php_number(value: Decimal | int) -> str:
    """A number as PHP 8 casts a float to a string (precision 14): ``10``, ``0.5``, ``1.0E+15``, ``1.0E-5``."""
    number = Decimal(value)
    if number == 0:
        return "0"
    # Round to 14 significant digits, as PHP's precision setting does.
    exponent = number.adjusted()
    rounded = number.quantize(Decimal(1).scaleb(exponent - 13), rounding=ROUND_HALF_EVEN)
    exponent = rounded.adjusted()
    if -4 <= exponent < 14:
        text = format(rounded, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    mantissa = rounded.scaleb(-exponent).normalize()
    digits = format(mantissa, "f")
    if "." not in digits:
        digits += ".0"
    return f"{digits}E{'+' if exponent > 0 else '-'}{abs(exponent)}"


def link_hash(
    previous: str, uuid: str, state: str, entries: Iterable[tuple[Decimal | int, str]], version: int
) -> str:
    parts = [previous, str(uuid), state]
    for quant, description in entries:
        parts.append(php_number(quant))
        parts.append(description)
    parts.append(str(version))
    return hashlib.md5("|".join(parts).encode("utf-8")).hexdigest()  # noqa: S324 - the protocol's own choice
