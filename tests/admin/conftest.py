"""Fixtures for the administration tests."""

from __future__ import annotations

import pytest

from mccs.audit.models import AuditEntry
from mccs.directory.models import EntityStatus


@pytest.fixture
def trader(make_member):
    """Two members accepted for trading."""

    def make(**kwargs):
        return make_member(status=EntityStatus.TRADING_ACCEPTED, **kwargs)

    return make


@pytest.fixture
def new_entries():
    """Audit entries recorded after this point, oldest first."""
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def entries(**filters):
        return list(AuditEntry.objects.filter(id__gt=start, **filters).order_by("id"))

    return entries


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; these tests are about administration, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
