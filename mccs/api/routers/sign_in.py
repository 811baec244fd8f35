"""Signing out and passwords, one implementation for members (``/…``) and administrators (``/admin/…``).

Members and administrators differ only in who may use a token (``member_auth`` or ``admin_auth``, scopes kept
apart) and in which accounts a reset link may reach (``admin``); the operations are the same, so
:func:`add_sign_in_routes` adds them to each router, under the operation ids and summaries each had before.
Signing in differs in its answer (administrators also get their previous sign-in) and stays with each router.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpResponse
from ninja import Router, Schema

from mccs.api.schemas import BODY, TOKEN, errors
from mccs.core.client_ip import client_ip
from mccs.users import services as user_services


class LoginIn(Schema):
    email: str
    password: str


class EmailIn(Schema):
    email: str


class PasswordIn(Schema):
    password: str


class PasswordChangeIn(Schema):
    currentPassword: str
    password: str


def ok() -> HttpResponse:
    """The alpha answers these operations with 200 and no body."""
    return HttpResponse(status=200)


def add_sign_in_routes(
    router: Router, *, auth, admin: bool, operation_prefix: str, descriptions: Mapping[str, str] | None = None
) -> None:
    """Add logout, password-reset (request and confirm) and password-change to ``router``, behind ``auth``.
    Operation ids are ``<operation_prefix>_<name>``, names prefixed ``admin_`` for administrators."""

    def route(path: str, short: str, response: dict, auth_here):
        function = f"admin_{short}" if admin else short
        return router.post(
            path,
            response=response,
            auth=auth_here,
            operation_id=f"{operation_prefix}_{function}",
            summary=function.replace("_", " ").title(),
            description=(descriptions or {}).get(short),
        )

    @route("/logout", "logout", {200: None, **errors(*TOKEN)}, auth)
    def logout(request):
        user_services.user_logout(user=request.auth, raw_token=request.raw_token)
        return ok()

    @route("/password-reset", "password_reset", {200: None, **errors(*BODY)}, None)
    def password_reset(request, payload: EmailIn):
        user_services.password_reset_request(email=payload.email, admin=admin)
        return ok()

    @route("/password-reset/{token}", "password_reset_confirm", {200: None, **errors(*BODY)}, None)
    def password_reset_confirm(request, token: str, payload: PasswordIn):
        user_services.password_reset_confirm(raw_token=token, password=payload.password, admin=admin)
        return ok()

    @route("/password-change", "password_change", {200: None, **errors(*BODY, *TOKEN, 429)}, auth)
    def password_change(request, payload: PasswordChangeIn):
        user_services.user_password_change(
            user=request.auth,
            current_password=payload.currentPassword,
            password=payload.password,
            ip=client_ip(request),
        )
        return ok()
