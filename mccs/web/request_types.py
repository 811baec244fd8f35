"""The request types that web views are annotated with, for the type checker (ADR 0110).

``HtmxHttpRequest`` is django-htmx's documented pattern: its middleware sets ``request.htmx``. Behind
``login_required`` or ``staff_required`` the user is signed in, so those views take an ``AuthenticatedHttpRequest``
and pass ``request.user`` to services as the acting User. Django never builds these classes; they only describe
the request it does build.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from mccs.users.models import User


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User
