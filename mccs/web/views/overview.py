"""The administrators' one-page overview of the network (/admin/overview): transfers, volume and members who
traded, week by week, and the accounts near their limits — pictures with their figures in words (ADR 0063)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mccs.core.amount import money
from mccs.ledger import statistics
from mccs.web import charts
from mccs.web.request_types import AuthenticatedHttpRequest
from mccs.web.views.admin import staff_required

WEEKS = 12


def _peak(weeks: list[statistics.Week], figure: str) -> statistics.Week:
    return max(weeks, key=lambda week: (getattr(week, figure), week.starts))


@staff_required
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    weeks = statistics.network_weeks(weeks=WEEKS)
    near, near_count = statistics.accounts_near_limits()
    bands = statistics.limit_use_bands()
    labels = [charts.day_label(week.starts) for week in weeks]

    transfers = sum(week.transfers for week in weeks)
    busiest = _peak(weeks, "transfers")
    if transfers:
        transfers_summary = ngettext(
            "%(total)s completed transfer in %(weeks)s weeks; the busiest week began on %(day)s, with %(peak)s.",
            "%(total)s completed transfers in %(weeks)s weeks; the busiest week began on %(day)s, with %(peak)s.",
            transfers,
        ) % {
            "total": transfers,
            "weeks": WEEKS,
            "day": charts.day_label(busiest.starts),
            "peak": busiest.transfers,
        }
    else:
        transfers_summary = _("No completed transfers in the last %(weeks)s weeks.") % {"weeks": WEEKS}

    volume = sum(week.volume for week in weeks)
    largest = _peak(weeks, "volume")
    volume_summary = (
        _("%(total)s moved in %(weeks)s weeks; the most in the week that began on %(day)s: %(peak)s.")
        % {
            "total": money(volume),
            "weeks": WEEKS,
            "day": charts.day_label(largest.starts),
            "peak": money(largest.volume),
        }
        if volume
        else _("Nothing moved in the last %(weeks)s weeks.") % {"weeks": WEEKS}
    )

    liveliest = _peak(weeks, "traders")
    if liveliest.traders:
        traders_summary = _(
            "%(now)s this week; at most %(peak)s, in the week that began on %(day)s. A member counts once a week, "
            "whether they paid or were paid."
        ) % {"now": weeks[-1].traders, "peak": liveliest.traders, "day": charts.day_label(liveliest.starts)}
    else:
        traders_summary = _("Nobody traded in the last %(weeks)s weeks.") % {"weeks": WEEKS}

    in_use = sum(bands)
    bands_summary = ngettext(
        "%(total)s account in use: %(low)s near the lowest balance allowed, %(high)s near the highest "
        "(80 %% or more of the room on that side used).",
        "%(total)s accounts in use: %(low)s near the lowest balance allowed, %(high)s near the highest "
        "(80 %% or more of the room on that side used).",
        in_use,
    ) % {"total": in_use, "low": bands[0], "high": bands[-1]}
    band_classes = ["near"] + ["negative"] * 4 + [""] * 4 + ["near"]

    charts_context = [
        {
            "id": "transfers",
            "title": _("Completed transfers per week"),
            "chart": charts.bar_chart(values=[w.transfers for w in weeks], labels=labels, label_every=3),
            "summary": transfers_summary,
        },
        {
            "id": "volume",
            "title": _("Volume per week (%(unit)s)") % {"unit": settings.MCCS_CURRENCY_UNIT},
            "chart": charts.bar_chart(
                values=[w.volume for w in weeks], labels=labels, label_every=3, money=True
            ),
            "summary": volume_summary,
        },
        {
            "id": "traders",
            "title": _("Members who traded per week"),
            "chart": charts.bar_chart(values=[w.traders for w in weeks], labels=labels, label_every=3),
            "summary": traders_summary,
        },
        {
            "id": "limits",
            "title": _("Where balances sit between their limits"),
            "chart": charts.bar_chart(
                values=bands,
                labels=[""] * len(bands),
                edges=[(0, _("lowest")), (len(bands) // 2, "0"), (len(bands), _("highest"))],
                classes=band_classes,
            ),
            "summary": bands_summary,
        },
    ]
    return render(
        request,
        "web/admin/overview.html",
        {
            "weeks": weeks,
            "week_count": WEEKS,
            "charts": charts_context,
            "near": near,
            "near_count": near_count,
        },
    )
