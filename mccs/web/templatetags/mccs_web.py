"""Words for the web pages: membership statuses, incorporation types and curated names as people read them."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.translation import gettext_lazy as _

from mccs.web import pending

register = template.Library()

# The statuses' values are the alpha API's (`tradingAccepted`); people read these instead.
STATUS_LABELS = {
    "pending": _("Waiting to be listed"),
    "rejected": _("Not accepted"),
    "accepted": _("Listed, not trading yet"),
    "tradingPending": _("Listed, asked to trade"),
    "tradingRejected": _("Listed, not accepted for trading"),
    "tradingAccepted": _("Trading"),
}

INC_TYPE_LABELS = {
    "plc": _("PLC (public limited company)"),
    "ltd": _("Ltd (private limited company)"),
    "guar": _("Company limited by guarantee"),
    "unltd": _("Unlimited company"),
    "llp": _("LLP (limited liability partnership)"),
    "cic": _("CIC (community interest company)"),
    "ips": _("IPS (industrial and provident society)"),
    "sole": _("Sole trader"),
}

TRANSFER_STATE_LABELS = {
    "pending": _("Waiting for an answer"),
    "completed": _("Completed"),
    "cancelled": _("Rejected or cancelled"),
}


def _label(labels: Mapping[str, object], value: str) -> str:
    """The words people read for a stored value; a value without words shows as it is."""
    return str(labels.get(value, value))


@register.filter
def status_label(value: str) -> str:
    return _label(STATUS_LABELS, value)


@register.filter
def transfer_state_label(value: str) -> str:
    return _label(TRANSFER_STATE_LABELS, value)


@register.filter
def curated_label(name: str) -> str:
    """Category and tag names are stored normalised (``bakeries-patisserie``); show them as words."""
    text = (name or "").replace("-", " ")
    return text[:1].upper() + text[1:]


@register.simple_tag
def ledger_panel(entity) -> pending.Panel | None:
    """The dashboard's ledger panel: the entity's account and its pending transfers (``mccs.web.pending``)."""
    return pending.ledger_panel(entity)
