"""Opaque bearer tokens stored as hashes: they expire, and logout or a password change really revokes them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings

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
    """The active user a live token of this scope belongs to, or None."""
    if not raw or len(raw) > 200:
        return None
    try:
        token = AuthToken.objects.select_related("user").get(
            key_hash=_hash(raw),
            scope=scope,
            expires_at__gt=now(),
            user__is_active=True,
            # A demoted administrator's admin token (or a promoted member's member token) stops at once.
            user__is_staff=scope == AuthToken.Scope.ADMIN,
        )
    except AuthToken.DoesNotExist:  # the hash is unique: there is one token or none
        return None
    return token.user


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
