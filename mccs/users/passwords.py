from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MaximumLengthValidator:
    """Refuse absurdly long passwords (hashing them is a denial-of-service vector)."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("This password is too long. It must contain at most %(most)s characters.")
                % {"most": self.max_length},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Your password must contain at most %(most)s characters.") % {"most": self.max_length}


class Argon2Hasher(Argon2PasswordHasher):
    """Argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane; see docs/adr/0002).

    Django's defaults (100 MiB, 8 lanes) take about half a second of two cores per sign-in on a small server,
    which turns every login attempt into a denial-of-service lever. Hashes made with other parameters are
    upgraded at the next successful sign-in.
    """

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
