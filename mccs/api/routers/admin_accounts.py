"""Admin Manage Account: administrators sign in with their own tokens, refused on member endpoints."""

from __future__ import annotations

from ninja import Router, Schema

from mccs.api.auth import admin_auth
from mccs.api.rendering import iso_utc
from mccs.api.routers.accounts import EmailIn, LoginIn, PasswordIn, ok
from mccs.api.schemas import BODY, TOKEN, DataOut, errors
from mccs.core.client_ip import client_ip
from mccs.users import services as user_services

router = Router(tags=["Admin: Manage Account"])


class AdminLoginOut(Schema):
    token: str
    lastLoginDate: str | None = None
    lastLoginIP: str | None = None


@router.post("/login", response={200: DataOut[AdminLoginOut], **errors(*BODY, 429)}, auth=None)
def admin_login(request, payload: LoginIn):
    """Returns a token and the date and address of the previous sign-in."""
    _, token, previous = user_services.user_login(
        email=payload.email, password=payload.password, ip=client_ip(request), admin=True
    )
    last = previous["lastLoginDate"]
    return {
        "data": {
            "token": token,
            "lastLoginDate": iso_utc(last) if last else None,
            "lastLoginIP": previous["lastLoginIP"] or None,
        }
    }


@router.post("/logout", response={200: None, **errors(*TOKEN)}, auth=admin_auth)
def admin_logout(request):
    user_services.user_logout(user=request.auth, raw_token=request.raw_token)
    return ok()


@router.post("/password-reset", response={200: None, **errors(*BODY)}, auth=None)
def admin_password_reset(request, payload: EmailIn):
    user_services.password_reset_request(email=payload.email, admin=True)
    return ok()


@router.post("/password-reset/{token}", response={200: None, **errors(*BODY)}, auth=None)
def admin_password_reset_confirm(request, token: str, payload: PasswordIn):
    user_services.password_reset_confirm(raw_token=token, password=payload.password, admin=True)
    return ok()


@router.post("/password-change", response={200: None, **errors(*BODY, *TOKEN, 429)}, auth=admin_auth)
def admin_password_change(request, payload: PasswordIn):
    user_services.user_password_set(
        user=request.auth, password=payload.password, actor=request.auth, action="admin.password_change"
    )
    return ok()
