"""Template helpers for ledger pages: money and the unit (the dashboard's pending list is ``mccs.web.pending``)."""

from __future__ import annotations

from typing import Literal

from django import template
from django.conf import settings
from django.utils import formats

from mccs.core.amount import Amount

register = template.Library()


@register.filter
def money(cents: int | Literal[""] | None, bare: str = "") -> str:
    """Hundredths as a signed amount with two decimals and the node's unit, written the way the active language
    writes numbers: -123450 → "-1,234.50 mc" in English, "-1.234,50 mc" in German. In a table whose column
    header names the unit, ``|money:"bare"`` leaves the unit out of each cell: -1250 → "-12.50"."""
    if cents is None or cents == "":  # "": a variable an email's stored context does not have
        return ""
    number = formats.number_format(Amount(cents).to_decimal(), 2, use_l10n=True, force_grouping=True)
    return number if bare else f"{number} {settings.MCCS_CURRENCY_UNIT}"


@register.simple_tag
def currency_unit() -> str:
    return settings.MCCS_CURRENCY_UNIT
