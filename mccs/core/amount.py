"""Amounts of mutual credit: integers in hundredths inside, numbers with at most two decimals outside.

No floats anywhere: the API parser hands JSON numbers over as ``Decimal`` and ``Amount.parse`` refuses anything
that is not an exact, finite, positive number with at most two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

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
            raise InvalidRequest(f"The {field} must be a number with at most two decimals.", field=field)
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            raise InvalidRequest(
                f"The {field} must be a number with at most two decimals.", field=field
            ) from None
        if not number.is_finite():
            raise InvalidRequest(f"The {field} must be a finite number.", field=field)
        # Before any arithmetic: 1e999999 would overflow, and 1e999990 would take seconds to multiply out.
        if number and number.adjusted() >= len(str(MAX_CENTS // CENTS)):
            raise InvalidRequest(f"The {field} is too large.", field=field)
        cents = number * CENTS
        if cents != cents.to_integral_value():
            raise InvalidRequest(f"The {field} can have at most two decimals.", field=field)
        cents_int = int(cents)
        if abs(cents_int) >= MAX_CENTS:
            raise InvalidRequest(f"The {field} is too large.", field=field)
        if cents_int == 0 and not allow_zero:
            raise InvalidRequest(f"The {field} must be greater than zero.", field=field)
        if cents_int < 0 and not allow_negative:
            raise InvalidRequest(f"The {field} must not be negative.", field=field)
        return cls(cents_int)

    def to_decimal(self) -> Decimal:
        return (Decimal(self.cents) / CENTS).quantize(Decimal("0.01"))

    def __str__(self) -> str:
        return f"{self.to_decimal():,}"


def cents_to_decimal(cents: int) -> Decimal:
    return Amount(cents).to_decimal()
