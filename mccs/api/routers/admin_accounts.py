"""Admin Manage Account: administrators sign in with their own tokens, refused on member endpoints."""

from __future__ import annotations

from ninja import Router, Schema

from mccs.api.auth import admin_auth
from mccs.api.rendering import iso_utc
from mccs.api.routers.sign_in import LoginIn, add_sign_in_routes
from mccs.api.schemas import BODY, DataOut, errors
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


add_sign_in_routes(
    router,
    auth=admin_auth,
    admin=True,
    operation_prefix="mccs_api_routers_admin_accounts",
    descriptions={
        "password_change": "As for members: the current password is required, wrong ones are throttled, the "
        "administrator is emailed\nand every token of theirs is revoked.",
    },
)
