"""The authentication backend behind the web sign-in page and the Django admin site.

It checks credentials with the same service as the API, so failed attempts are throttled per account and per address
everywhere and every failure lands in the audit log. A successful sign-in is recorded when Django actually logs the
user in (the ``user_logged_in`` receiver in apps.py) — not when the Django admin site is about to refuse a member.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from mccs.core.client_ip import client_ip
from mccs.users.services import BadCredentials, user_authenticate


class ThrottledEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        """Return the user or None; raises TooManyRequests when throttled (the login forms show its message)."""
        email = email if email is not None else username
        if not email or not password:
            return None
        try:
            user = user_authenticate(
                email=email, password=password, ip=client_ip(request) if request else "", admin=None
            )
        except BadCredentials:
            return None
        return user
