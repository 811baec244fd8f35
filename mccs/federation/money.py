"""Amounts across a link. Inside each node: integers in hundredths of its own unit. On the wire: a JSON number in
the trunkward node's units for that link (× rate going up, ÷ rate coming down).

The rounding rule is: none. A quantity that does not convert to a whole number of hundredths at a link is refused
(400, with the nearest amounts that would convert), so no conversion ever creates or destroys credit and the two
ends of a link always hold the same amount in the trunk's units.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from mccs.core.errors import InvalidRequest

HUNDRED = Decimal(100)


def to_wire(cents: int, rate: Decimal) -> Decimal:
    """Hundredths of this node → the trunk's units (``rate`` is 1 on a leafward link)."""
    return (Decimal(cents) / HUNDRED * Decimal(rate)).normalize()


def from_wire(quant: object, rate: Decimal, *, neighbour: str) -> int:
    """A wire quantity in the trunk's units → hundredths of this node, exactly, or InvalidRequest."""
    if isinstance(quant, bool) or not isinstance(quant, int | Decimal | str):
        raise InvalidRequest(_("quant must be a number."), field="quant")
    try:
        value = Decimal(str(quant))
    except ArithmeticError:
        raise InvalidRequest(_("quant must be a number."), field="quant") from None
    if not value.is_finite() or value <= 0 or value.adjusted() > 12:
        raise InvalidRequest(_("quant must be a positive number."), field="quant")
    cents = value * HUNDRED / Decimal(rate)
    if cents != cents.to_integral_value():
        raise InvalidRequest(
            _(
                "%(value)s does not convert to a whole number of hundredths at the link with %(neighbour)s "
                "(rate %(rate)s); MCCS never rounds amounts between nodes."
            )
            % {"value": value, "neighbour": neighbour, "rate": Decimal(rate).normalize()},
            field="quant",
        )
    return int(cents)
