from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalise_email(username))

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        user = self.model(email=normalise_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person (or agent) who signs in. Members act for entities; staff users are the node's administrators."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    telephone = models.CharField(max_length=25, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Administrators of this node.")
    date_joined = models.DateTimeField(auto_now_add=True)
    last_login_ip = models.CharField(max_length=45, blank=True)
    # The login before the current one: "matches since your last login" compares against it.
    previous_login = models.DateTimeField(null=True, blank=True)
    # The language of the pages after sign-in and of every email to this person (a code of settings.LANGUAGES);
    # empty: the pages follow the browser, emails are in the node's default language.
    language = models.CharField(max_length=10, blank=True, default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def credentials_digest(self, purpose: str, *, secret: str | bytes | None = None) -> str:
        """An HMAC of the password hash and the sign-in address. What is bound to it (a web session, a
        password-reset link) ends when either changes, whichever way it changes: the web pages, the API, a reset
        link, an administrator, `mccs createadmin` or `mccs changepassword`."""
        value = f"{self.password}\n{normalise_email(self.email)}"
        return salted_hmac(f"mccs.users.User.{purpose}", value, secret=secret, algorithm="sha256").hexdigest()

    def get_session_auth_hash(self) -> str:
        # Django's hash covers only the password; a new sign-in address must end every web session too.
        return self.credentials_digest("session")

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self.credentials_digest("session", secret=secret)


class AuthToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; deleting the row revokes it at once."""

    class Scope(models.TextChoices):
        MEMBER = "member"
        ADMIN = "admin"

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_tokens")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)


class PasswordResetToken(models.Model):
    """Single use, short lived. Only the hash is stored, so a database leak reveals no working link."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_reset_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # The user's credentials digest when the link was sent: a later password or address change voids the link.
    credentials = models.CharField(max_length=64, default="")


class LoginFailure(models.Model):
    """One attempt that counts towards a throttle, kept for its window: a failed sign-in (per account and per
    address) or a sign-up (per address). One table and one mechanism for both, in ``throttling.py``."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign-in"
        SIGN_UP = "sign-up"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SIGN_IN)
    email = models.CharField(max_length=254, db_index=True)
    ip = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(db_index=True)
