"""Pictures on the web pages (ADR 0063): each tag reads its figures through a selector, lays them out with
``mccs.web.charts`` and renders an inline SVG from ``web/charts/``, with a text alternative that states the numbers."""

from __future__ import annotations

from django import template

from mccs.ledger import statistics
from mccs.ledger.models import Account
from mccs.web import charts

register = template.Library()


@register.inclusion_tag("web/charts/_limits_bar.html")
def limits_bar(account: Account, small: bool = False) -> dict:
    """The balance as a marker on a bar from the lowest to the highest balance the account may have."""
    return {
        "bar": charts.limits_bar(
            balance=account.balance,
            max_negative=account.max_negative_balance,
            max_positive=account.max_positive_balance,
        ),
        "small": small,
    }


@register.inclusion_tag("web/charts/_history.html")
def balance_history(account: Account, days: int = 90, points: int = 200) -> dict:
    """The balance after each completed transfer of the last ``days`` days (at most ``points`` of them)."""
    history = statistics.balance_history(account=account, days=days, limit=points)
    chart = None
    if history.points:
        chart = charts.step_chart(
            start=history.since,
            end=history.until,
            opening=history.opening,
            points=[(p.at, p.balance) for p in history.points],
        )
    return {"history": history, "chart": chart, "id": f"history-{account.pk}"}
