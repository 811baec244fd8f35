"""Bearer authentication. Identity comes only from a verified token — never from a client-supplied header."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from ninja.security import HttpBearer

from mccs.users.models import AuthToken
from mccs.users.tokens import token_user


class BearerAuth(HttpBearer):
    scope = AuthToken.Scope.MEMBER

    def authenticate(self, request, token):
        user = token_user(raw=token, scope=self.scope)
        if user is None:
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


member_auth = MemberAuth()
admin_auth = AdminAuth()
optional_member_auth = OptionalMemberAuth()
