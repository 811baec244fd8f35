"""{% get_paid entity %}: the "get paid" box — QR code and share link that open the pay form with this entity as
payee."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from mccs.ledger.selectors import account_for_entity
from mccs.web.paylinks import pay_url, qr_svg

register = template.Library()


@register.inclusion_tag("web/ledger/_get_paid.html")
def get_paid(entity, amount: str = "", description: str = "", unit: str = "") -> dict:
    account = account_for_entity(entity) if entity is not None else None
    if account is None or not entity.can_trade:
        return {"link": None}
    link = pay_url(number=account.number, amount=amount, description=description)
    name = entity.name or account.number
    desc = (
        _("Opens the pay form with %(name)s as payee, for %(amount)s %(unit)s.")
        % {"name": name, "amount": amount, "unit": unit}
        if amount
        else _("Opens the pay form with %(name)s as payee.") % {"name": name}
    )
    return {"link": link, "qr": qr_svg(link, title=_("QR code to pay %(name)s") % {"name": name}, desc=desc)}
