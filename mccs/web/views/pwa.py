"""The installable app: web app manifest, service worker and the page shown offline when nothing was saved.

The service worker is served at the site root (not under /static/) so that it may control every page; it is a
template only so that it knows the real URLs of the static files it keeps for offline use. See ADR 0065.
"""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOR = "#1f6f50"
# Pages of the signed-in member that the service worker keeps, so they open without a connection.
OFFLINE_PAGES = ["/dashboard", "/transfers", "/transfers/new"]


def shell_urls() -> list[str]:
    """What every page needs, kept by the service worker when it installs."""
    return [
        "/offline",
        "/manifest.webmanifest",
        static("web/mccs.css"),
        static("web/mccs.js"),
        static("web/pwa.js"),
        static("django_htmx/htmx-2.min.js"),
        static("web/favicon.svg"),
        static("web/icons/icon-192.png"),
    ]


@require_GET
@cache_control(no_cache=True)
def manifest(request: HttpRequest) -> JsonResponse:
    icons = [
        {"src": static("web/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("web/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("web/icons/maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
        {"src": static("web/favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
    ]
    data = {
        "name": _("MCCS — mutual credit"),
        "short_name": "MCCS",
        "description": _("Pay and get paid in mutual credit, find what members offer and want."),
        "id": "/",
        "start_url": "/dashboard",
        "scope": "/",
        "display": "standalone",
        "background_color": "#fbfbf8",
        "theme_color": THEME_COLOR,
        "icons": icons,
        "shortcuts": [
            {"name": _("Pay or request payment"), "url": "/transfers/new"},
            {"name": _("Statement"), "url": "/transfers"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    shell = shell_urls()
    source = render_to_string(
        "web/pwa/sw.js",
        {"shell_urls": json.dumps(shell), "offline_pages": json.dumps(OFFLINE_PAGES)},
    )
    # A new list of static files (hashed names change with their content) is a new worker and a new cache.
    version = hashlib.sha256(source.encode()).hexdigest()[:12]
    response = HttpResponse(source.replace("__VERSION__", version), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """The page the service worker shows offline for a page it has not saved. The same for everyone."""
    # Kept by the service worker and shown to whoever uses the device next: it must not name the member.
    return render(request, "web/pwa/offline.html", {"user": AnonymousUser()})
