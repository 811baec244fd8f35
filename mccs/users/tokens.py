"""Opaque bearer tokens stored as hashes: they expire, and logout or a password change really revokes them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings

from mccs.core import rows
from mccs.core.clock import now
from mccs.users.models import AuthToken, PasswordResetToken, User


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, user: User, scope: str, ttl_seconds: int | None = None) -> str:
    raw = secrets.token_urlsafe(32)
    AuthToken.objects.create(
        key_hash=_hash(raw),
        user=user,
        scope=scope,
        expires_at=now() + timedelta(seconds=ttl_seconds or settings.MCCS_TOKEN_TTL_SECONDS),
    )
    return raw


def token_user(*, raw: str, scope: str) -> User | None:
    """The active user a live token of this scope belongs to, or None.

    Asked by every API request, so written in SQL (ADR 0165): the ORM took longer to build this query than the
    database took to answer it."""
    if not raw or len(raw) > 200:
        return None
    found = rows.select(
        f"SELECT {rows.columns(User, 'u')} FROM {AuthToken._meta.db_table} t "
        f"JOIN {User._meta.db_table} u ON u.id = t.user_id "
        # A demoted administrator's admin token (or a promoted member's member token) stops at once.
        "WHERE t.key_hash = %s AND t.scope = %s AND t.expires_at > %s AND u.is_active AND u.is_staff = %s",
        [_hash(raw), scope, rows.prep(AuthToken, "expires_at", now()), scope == AuthToken.Scope.ADMIN],
    )
    return rows.instance(User, found[0]) if found else None  # the hash is unique: one token or none


def token_revoke(*, raw: str) -> None:
    AuthToken.objects.filter(key_hash=_hash(raw)).delete()


def tokens_revoke_hashes(*, hashes: list[str]) -> None:
    AuthToken.objects.filter(key_hash__in=hashes).delete()


def tokens_revoke_all(*, user: User) -> None:
    AuthToken.objects.filter(user=user).delete()


def hash_secret(raw: str) -> str:
    return _hash(raw)


def tokens_prune() -> int:
    """Delete expired bearer tokens and spent or expired reset links (the worker runs this hourly)."""
    moment = now()
    expired, _ = AuthToken.objects.filter(expires_at__lte=moment).delete()
    spent, _ = PasswordResetToken.objects.filter(expires_at__lte=moment - timedelta(days=1)).delete()
    return expired + spent
