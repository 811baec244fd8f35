"""Pay links and their QR codes: a link that opens the pay form with a member as payee (and maybe an amount).

QR codes are drawn on the server by segno (ADR 0066) as inline SVG, so they need no script and no image request.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe


def pay_url(*, number: str, amount: str = "", description: str = "", direction: str = "") -> str:
    """The absolute link (on ``MCCS_BASE_URL``, the node's public address) to the pay form for this payee."""
    params = {"to": number}
    if amount:
        params["amount"] = amount
    if description:
        params["description"] = description
    if direction:
        params["direction"] = direction
    return f"{settings.BASE_URL}/transfers/new?{urlencode(params)}"


def qr_svg(url: str, *, title: str, desc: str) -> SafeString:
    """An inline SVG QR code of ``url``, with a title and description for screen readers."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=4,
        border=4,
        dark="#1d2327",
        light="#ffffff",
        title=title,
        desc=desc,
        svgclass="qr",
        omitsize=True,
    )
    # segno escapes the title and description; the rest is drawn from the code's modules.
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308
