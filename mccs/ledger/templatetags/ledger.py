"""Template helpers for ledger pages: money and the unit (the dashboard's pending list is ``mccs.web.pending``)."""

from __future__ import annotations

from typing import Literal

from django import template
from django.conf import settings

from mccs.core.amount import money as money_text

register = template.Library()


@register.filter
def money(cents: int | Literal[""] | None, bare: str = "") -> str:
    """``mccs.core.amount.money`` for templates: -123450 → "-1,234.50 mc" in English. In a table whose column
    header names the unit, ``|money:"bare"`` leaves the unit out of each cell: -1250 → "-12.50"."""
    if cents is None or cents == "":  # "": a variable an email's stored context does not have
        return ""
    return money_text(cents, bare=bool(bare))


@register.simple_tag
def currency_unit() -> str:
    return settings.MCCS_CURRENCY_UNIT
