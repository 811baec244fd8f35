"""A signed-in web page's own script gets a short-lived member token here, so it can use the public API.

The page is authenticated by its Django session cookie and must send the CSRF token (``X-CSRFToken``), so another
site can neither mint a token through a visitor's browser nor read one (no CORS). The token lives
``MCCS_SESSION_TOKEN_TTL_SECONDS`` (10 minutes by default) and is revoked when that session logs out. See ADR 0065.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.utils.translation import gettext as _
from ninja import Router, Schema

from mccs.api.auth import WebSessionAuth
from mccs.api.schemas import TOKEN, DataOut, errors
from mccs.core.errors import PermissionDenied
from mccs.users.models import AuthToken
from mccs.users.tokens import hash_secret, token_issue, tokens_revoke_hashes

router = Router(tags=["Manage Account"])

SESSION_KEY = "api_token_hashes"


class SessionTokenOut(Schema):
    token: str
    expiresIn: int


@router.post(
    "/session/token",
    response={200: DataOut[SessionTokenOut], **errors(*TOKEN)},
    auth=WebSessionAuth(),
    description="For the web UI's own scripts: exchanges the signed-in member's session cookie (plus the CSRF "
    "token in `X-CSRFToken`) for a member bearer token that expires after `expiresIn` seconds and is revoked "
    "when that session logs out. Other clients sign in with `POST /login`.",
)
def session_token(request):
    user = request.auth
    if user.is_staff:
        raise PermissionDenied(_("Administrators have no member account; sign in to the admin API instead."))
    ttl = settings.MCCS_SESSION_TOKEN_TTL_SECONDS
    raw = token_issue(user=user, scope=AuthToken.Scope.MEMBER, ttl_seconds=ttl)
    # Remember the token in the session (only its hash, and only the last few) so logging out revokes it.
    request.session[SESSION_KEY] = [*request.session.get(SESSION_KEY, [])[-9:], hash_secret(raw)]
    return {"data": {"token": raw, "expiresIn": ttl}}


@receiver(user_logged_out, dispatch_uid="mccs.api.session.revoke_session_tokens")
def revoke_session_tokens(sender, request, user, **kwargs) -> None:
    hashes = request.session.get(SESSION_KEY) if request is not None else None
    if hashes:
        tokens_revoke_hashes(hashes=list(hashes))
