"""Sign-in, tokens, passwords and a user's own details."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypedDict

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mccs.audit.services import audit_record
from mccs.core.clock import now
from mccs.core.errors import InvalidRequest
from mccs.core.text_guard import name_check
from mccs.notifications.services import email_enqueue
from mccs.users.models import AuthToken, PasswordResetToken, User, normalise_email
from mccs.users.throttling import login_failure_record, login_failures_clear, login_throttle_check
from mccs.users.tokens import hash_secret, token_issue, token_revoke, tokens_revoke_all

BAD_CREDENTIALS = gettext_lazy("The email address or password is incorrect.")


class BadCredentials(InvalidRequest):
    """Wrong email or password. The alpha spec answers a failed sign-in with 400 (it lists no 401 for /login)."""

    code = "bad_credentials"


RESET_INVALID = gettext_lazy("This password reset link is invalid or has expired. Please request a new one.")
RESET_REQUESTS_PER_TTL = 5
RESET_PURPOSE = "password_reset"
USER_EDITABLE_FIELDS = {"first_name": 100, "last_name": 100, "telephone": 25, "language": 10}
USER_NAME_FIELDS = ("first_name", "last_name")
USER_FIELD_LABELS = {
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "telephone": gettext_lazy("telephone"),
    "language": gettext_lazy("language"),
}


def email_clean(email: object, *, field: str = "email") -> str:
    if not isinstance(email, str) or not email.strip():
        raise InvalidRequest(_("An email address is required."), field=field)
    value = normalise_email(email)
    if len(value) > 254:
        raise InvalidRequest(_("The email address can be at most 254 characters long."), field=field)
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidRequest(_("The email address is not valid."), field=field) from None
    return value


def password_check(password: object, *, user: User | None = None) -> str:
    if not isinstance(password, str) or not password:
        raise InvalidRequest(_("A password is required."), field="password")
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidRequest(" ".join(exc.messages), field="password") from None
    return password


def user_authenticate(*, email: str, password: str, ip: str, admin: bool | None) -> User:
    """Check credentials with throttling. With ``admin`` True or False, members and administrators each sign in
    only on their own side (the API); with None (the web sign-in page), either may sign in."""
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise InvalidRequest(_("Both email and password are required."))
    login_throttle_check(email=email, ip=ip)
    user = User.objects.filter(email=normalise_email(email), is_active=True).first()
    ok = user is not None and user.check_password(password) and (admin is None or user.is_staff == admin)
    if user is None:
        User().set_password(password)  # spend the same time as a real check, so timing tells nothing
    if not ok or user is None:  # (ok is False without a user; the second test tells the type checker)
        as_admin = admin if admin is not None else bool(user and user.is_staff)
        with transaction.atomic(durable=True):
            login_failure_record(email=email, ip=ip)
            audit_record(
                actor=None,
                actor_email=normalise_email(email)[:254],
                action="admin.login_failed" if as_admin else "user.login_failed",
                object_type="user",
                object_id=user.pk if user else "",
            )
        raise BadCredentials(BAD_CREDENTIALS)
    return user


class PreviousLogin(TypedDict):
    """The sign-in before this one, as the API names it."""

    lastLoginDate: datetime | None
    lastLoginIP: str


def user_login(
    *, email: str, password: str, ip: str, admin: bool | None = False, issue_token: bool = True
) -> tuple[User, str | None, PreviousLogin]:
    """Sign in. Returns the user, a fresh bearer token (if asked) and the previous login's date and address."""
    user = user_authenticate(email=email, password=password, ip=ip, admin=admin)
    token, previous = user_login_record(user=user, ip=ip, issue_token=issue_token)
    return user, token, previous


def user_login_record(*, user: User, ip: str, issue_token: bool) -> tuple[str | None, PreviousLogin]:
    """The bookkeeping of a sign-in that has succeeded: dates, address, throttle reset, token, audit entry."""
    with transaction.atomic(durable=True):
        previous: PreviousLogin = {"lastLoginDate": user.last_login, "lastLoginIP": user.last_login_ip}
        user.previous_login = user.last_login
        user.last_login = now()
        user.last_login_ip = ip
        user.save(update_fields=["previous_login", "last_login", "last_login_ip"])
        login_failures_clear(email=user.email)
        token = (
            token_issue(user=user, scope=AuthToken.Scope.ADMIN if user.is_staff else AuthToken.Scope.MEMBER)
            if issue_token
            else None
        )
        _record_own(user, "login")
    return token, previous


def user_record(
    user: User,
    action: str,
    *,
    actor: User | None,
    actor_email: str | None = None,
    entity_id: object = "",
    changes: Mapping[str, tuple[object, object]] | None = None,
) -> None:
    """The audit entry of something done to a user's account, by ``actor`` (None: the user or the node itself,
    named by ``actor_email``); ``entity_id`` files it under an entity as well."""
    audit_record(
        actor=actor,
        actor_email=actor_email,
        action=action,
        object_type="user",
        object_id=user.pk,
        user_id=user.pk,
        entity_id=entity_id,
        changes=changes,
    )


def _record_own(user: User, what: str) -> None:
    """The audit entry of something a user did to their own account (``user.login``, ``admin.logout``…)."""
    user_record(user, f"{'admin' if user.is_staff else 'user'}.{what}", actor=user)


def user_logout(*, user: User, raw_token: str | None) -> None:
    with transaction.atomic(durable=True):
        if raw_token:
            token_revoke(raw=raw_token)
        _record_own(user, "logout")


def password_changed_notify(*, user: User, how: str) -> None:
    """Tell the user, at their own address, that their password changed: if it was not them, they learn it now."""
    email_enqueue(
        to=user.email,
        template="password_changed",
        context={"user": user, "how": how, "when": now()},
        language=user.language,
    )


def user_password_set(*, user: User, password: object, actor: User | None, action: str) -> None:
    """Set a new password, revoke every bearer token of the user and email them that it changed."""
    checked = password_check(password, user=user)
    # Not durable: also a step of a larger use-case (docs/ledger.md, "Transactions").
    with transaction.atomic():
        user.set_password(checked)
        user.save(update_fields=["password"])
        tokens_revoke_all(user=user)
        login_failures_clear(email=user.email)
        password_changed_notify(user=user, how="reset" if action.endswith("password_reset") else "changed")
        user_record(user, action, actor=actor, actor_email=None if actor else user.email)


def _users_of_side(admin: bool | None):
    """Active users; with ``admin`` True or False only administrators or only members (the API's two sides)."""
    users = User.objects.filter(is_active=True)
    return users if admin is None else users.filter(is_staff=admin)


def user_password_change(*, user: User, current_password: object, password: object, ip: str) -> None:
    """Change one's own password after proving the current one. Wrong guesses count towards the same sign-in
    throttle as failed logins, so a borrowed session cannot be used to try passwords without limit."""
    login_throttle_check(email=user.email, ip=ip)
    if not isinstance(current_password, str) or not user.check_password(current_password):
        with transaction.atomic(durable=True):
            login_failure_record(email=user.email, ip=ip)
            user_record(user, "user.password_change_failed", actor=user)
        raise InvalidRequest(_("Your current password is not correct."), field="current_password")
    with transaction.atomic(durable=True):
        user_password_set(
            user=user,
            password=password,
            actor=user,
            action="admin.password_change" if user.is_staff else "user.password_change",
        )


def password_reset_request(*, email: object, admin: bool | None = False) -> None:
    """Email a single-use reset link. Answers the same whether or not the address is known.

    The link is ``$MCCS_BASE_URL/password-reset/<token>`` for members and administrators alike: the web page
    accepts both, and the token also works with the API's (member or admin) ``password-reset/{token}``.
    A few requests per reset lifetime are honoured; more are silently dropped so nobody can flood a mailbox.
    """
    address = email_clean(email)
    user = _users_of_side(admin).filter(email=address).first()
    if user is None:
        return
    recent = PasswordResetToken.objects.filter(
        user=user, created_at__gte=now() - timedelta(seconds=settings.MCCS_PASSWORD_RESET_TTL_SECONDS)
    )
    if recent.count() >= RESET_REQUESTS_PER_TTL:
        return
    raw = secrets.token_urlsafe(32)
    with transaction.atomic(durable=True):
        # Only the newest link works: an older one may sit in a mailbox someone else reads.
        PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=now())
        PasswordResetToken.objects.create(
            user=user,
            token_hash=hash_secret(raw),
            expires_at=now() + timedelta(seconds=settings.MCCS_PASSWORD_RESET_TTL_SECONDS),
            credentials=user.credentials_digest(RESET_PURPOSE),
        )
        minutes = settings.MCCS_PASSWORD_RESET_TTL_SECONDS // 60
        email_enqueue(
            to=user.email,
            template="password_reset",
            context={"user": user, "link": f"{settings.BASE_URL}/password-reset/{raw}", "minutes": minutes},
            language=user.language,
        )
        user_record(user, "user.password_reset_requested", actor=None, actor_email=user.email)


def password_reset_user(*, raw_token: str, admin: bool | None = False) -> PasswordResetToken:
    """The live reset token for this raw value, or InvalidRequest (used, replaced by a newer link, expired,
    unknown, other side, or the password or sign-in address changed since it was sent)."""
    token = (
        PasswordResetToken.objects.select_related("user")
        .filter(
            token_hash=hash_secret(raw_token or ""),
            used_at__isnull=True,
            expires_at__gt=now(),
            user__in=_users_of_side(admin),
        )
        .first()
    )
    if token is None or not constant_time_compare(
        token.credentials, token.user.credentials_digest(RESET_PURPOSE)
    ):
        raise InvalidRequest(RESET_INVALID, code="reset_token_invalid")
    return token


def password_reset_confirm(*, raw_token: str, password: object, admin: bool | None = False) -> User:
    token = password_reset_user(raw_token=raw_token, admin=admin)
    password_check(password, user=token.user)
    with transaction.atomic(durable=True):
        # Compare-and-set: of two simultaneous uses of one link, only one succeeds.
        if not PasswordResetToken.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=now()):
            raise InvalidRequest(RESET_INVALID, code="reset_token_invalid")
        user_password_set(
            user=token.user,
            password=password,
            actor=None,
            action="user.password_reset",
        )
    return token.user


def user_profile_update(*, user: User, changes: Mapping[str, object]) -> User:
    """A user changes their own details (names, telephone, language)."""
    with transaction.atomic(durable=True):
        return user_update(actor=user, user=user, changes=changes)


def user_update(*, actor: User, user: User, changes: Mapping[str, object]) -> User:
    """Validate and save changes to a user's details, recording them (a step of sign-up, of an administrator's
    user edit and of ``user_profile_update``)."""
    diff: dict[str, tuple[object, object]] = {}
    for field, value in changes.items():
        if field not in USER_EDITABLE_FIELDS:
            raise InvalidRequest(
                _("The field %(field)s cannot be changed here.") % {"field": field}, field=field
            )
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidRequest(
                _("The %(label)s must be text.") % {"label": USER_FIELD_LABELS[field]}, field=field
            )
        value = value.strip()
        if field == "language" and value and value not in dict(settings.LANGUAGES):
            raise InvalidRequest(
                _("The language must be one of: %(codes)s.") % {"codes": ", ".join(dict(settings.LANGUAGES))},
                field=field,
            )
        if len(value) > USER_EDITABLE_FIELDS[field]:
            raise InvalidRequest(
                _("The %(label)s can be at most %(limit)s characters long.")
                % {"label": USER_FIELD_LABELS[field], "limit": USER_EDITABLE_FIELDS[field]},
                field=field,
            )
        if field in USER_NAME_FIELDS:
            name_check(value, label=USER_FIELD_LABELS[field], field=field)
        if getattr(user, field) != value:
            diff[field] = (getattr(user, field), value)
            setattr(user, field, value)
    if diff:
        # Not durable: also a step of a larger use-case (docs/ledger.md, "Transactions").
        with transaction.atomic():
            user.save(update_fields=list(diff))
            user_record(user, "user.update", actor=actor, changes=diff)
    return user


def admin_create_or_reset(*, email: str, password: str) -> tuple[User, bool]:
    """`mccs createadmin`: create an administrator, or reset that administrator's password."""
    address = email_clean(email)
    user = User.objects.filter(email=address).first()
    if user is not None and not user.is_staff:
        raise InvalidRequest(
            _("%(address)s is a member account, not an administrator.") % {"address": address}
        )
    password_check(password, user=user)
    with transaction.atomic(durable=True):
        created = user is None
        if user is None:
            user = User.objects.create_user(address, password, is_staff=True, is_superuser=True)
        else:
            # The rescue path for a locked-out administrator: reactivate and lift the sign-in throttle too.
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            tokens_revoke_all(user=user)
            login_failures_clear(email=user.email)
            password_changed_notify(user=user, how="reset with mccs createadmin")
        user_record(
            user,
            "admin.created" if created else "admin.password_reset",
            actor=None,
            actor_email="mccs createadmin",
        )
    return user, created
