"""The authentication backend behind the web sign-in page and the Django admin site.

It signs in through the same service as the API, so failed attempts are throttled per account and per address
everywhere, and every sign-in and failure lands in the audit log.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from mccs.core.client_ip import client_ip
from mccs.users.services import BadCredentials, user_login


class ThrottledEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        """Return the user or None; raises TooManyRequests when throttled (the login forms show its message)."""
        email = email if email is not None else username
        if not email or not password:
            return None
        try:
            user, _, _ = user_login(
                email=email,
                password=password,
                ip=client_ip(request) if request else "",
                admin=None,
                issue_token=False,
            )
        except BadCredentials:
            return None
        return user
