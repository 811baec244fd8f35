"""Bearer authentication. Identity comes only from a verified token — never from a client-supplied header."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from mccs.core.errors import PermissionDenied
from mccs.users.models import AuthToken
from mccs.users.tokens import token_user

INSUFFICIENT_SCOPE = "insufficient_scope"  # RFC 6750: a valid token that does not grant this operation


class BearerAuth(HttpBearer):
    scope = AuthToken.Scope.MEMBER

    def authenticate(self, request, token):
        user = token_user(raw=token, scope=self.scope)
        if user is None:
            # 401 means "no valid token" (clients sign people out on it); a valid token of the other kind is a 403.
            other = AuthToken.Scope.ADMIN if self.scope == AuthToken.Scope.MEMBER else AuthToken.Scope.MEMBER
            if token_user(raw=token, scope=other) is not None:
                raise PermissionDenied(
                    _("This operation is for administrators; sign in at /admin/login.")
                    if self.scope == AuthToken.Scope.ADMIN
                    else _("Administrator tokens are not accepted here: this operation is for members."),
                    code=INSUFFICIENT_SCOPE,
                )
            return None
        request.raw_token = token
        request.user = user
        return user


class MemberAuth(BearerAuth):
    scope = AuthToken.Scope.MEMBER


class AdminAuth(BearerAuth):
    scope = AuthToken.Scope.ADMIN


class OptionalMemberAuth(MemberAuth):
    """For endpoints that also answer anonymous callers; a token that is sent must still be valid."""

    def __call__(self, request):
        if not request.headers.get(self.header):
            request.user = AnonymousUser()
            return request.user
        return super().__call__(request)


class WebSessionAuth(SessionAuth):
    """The web UI's session cookie, only with a valid CSRF token (``X-CSRFToken``); used by one endpoint only."""

    def _get_key(self, request):
        # The operation takes no body, so the CSRF token is read from the header only: Django would otherwise parse
        # a form body for it (and a huge or malformed one would fail here instead of being ignored).
        request.POST = QueryDict()
        if check_csrf(request) is not None:
            raise PermissionDenied(
                _("The page's security token is missing or out of date. Reload the page and try again.")
            )
        return request.COOKIES.get(self.param_name)


member_auth = MemberAuth()
admin_auth = AdminAuth()
optional_member_auth = OptionalMemberAuth()
