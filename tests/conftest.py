"""Shared fixtures. Ledger and directory state is always built through services, never by inserting rows."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.utils import translation

from mccs.core import clock as clock_module
from mccs.core.clock import now
from mccs.directory.models import Entity, EntityStatus
from mccs.directory.status import entity_status_set
from mccs.ledger.onboarding import member_sign_up
from mccs.notifications.models import OutboxEmail
from mccs.users.services import admin_create_or_reset
from tests.serving import PostgresDatabase

PASSWORD = "correct-horse-battery"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Browser tests skip cleanly without Debian's chromium, except where MCCS_REQUIRE_BROWSER says they must run;
    PostgreSQL-only tests skip on SQLite, except where MCCS_REQUIRE_POSTGRES says PostgreSQL is expected."""
    have_browser = shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM)
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
        if "browser" in item.keywords and not have_browser:
            if os.environ.get("MCCS_REQUIRE_BROWSER"):
                item.add_marker(pytest.mark.xfail(reason="chromium missing in CI", strict=True, run=False))
            else:
                item.add_marker(pytest.mark.skip(reason="Debian's chromium is not installed"))


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    """A request of an earlier test in this thread may have left another language active (LocaleMiddleware
    activates the request's language and nothing deactivates it in a test client)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _require_postgres_when_asked(request):
    if "postgres_only" in request.keywords and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…)")


@pytest.fixture(scope="session", autouse=True)
def _database_is_what_ci_expects(django_db_setup, django_db_blocker):
    if os.environ.get("MCCS_REQUIRE_POSTGRES"):
        with django_db_blocker.unblock():
            assert connection.vendor == "postgresql", (
                "CI expected PostgreSQL but the suite runs on " + connection.vendor
            )


class ApiClient(Client):
    """A test client that speaks JSON and carries a bearer token."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def _headers(self, extra):
        headers = dict(extra or {})
        if self.token and "HTTP_AUTHORIZATION" not in headers:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        return headers

    def call(self, method: str, path: str, body=None, **extra):
        url = path if path.startswith("/api/") else f"/api/v1{path}"
        kwargs = self._headers(extra)
        if body is not None:
            data = body if isinstance(body, str | bytes) else json.dumps(body)
            return getattr(super(), method)(url, data=data, content_type="application/json", **kwargs)
        return getattr(super(), method)(url, **kwargs)

    def get_json(self, path, **extra):
        return self.call("get", path, **extra)

    def post_json(self, path, body=None, **extra):
        return self.call("post", path, body if body is not None else {}, **extra)

    def patch_json(self, path, body=None, **extra):
        return self.call("patch", path, body if body is not None else {}, **extra)

    def delete_json(self, path, **extra):
        return self.call("delete", path, **extra)


@dataclass
class Member:
    user: object
    entity: Entity
    token: str
    api: ApiClient
    email: str
    password: str = PASSWORD


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def make_member(db):
    counter = {"n": 0}

    def make(
        email: str | None = None,
        *,
        status: str = EntityStatus.PENDING,
        name: str | None = None,
        offers=(),
        wants=(),
        **entity_fields,
    ) -> Member:
        counter["n"] += 1
        email = email or f"member{counter['n']}@example.org"
        result = member_sign_up(
            email=email,
            password=PASSWORD,
            user_fields={},
            entity_fields={
                "name": name or f"Entity {counter['n']}",
                "offers": list(offers),
                "wants": list(wants),
                **entity_fields,
            },
        )
        if status != EntityStatus.PENDING:
            # Through the service, as an administrator would: member_started_at, the audit entry and the email
            # are what a real member in this status has.
            if (
                "admin" not in counter
            ):  # the `admin` fixture's administrator, as it is (a reset would sign it out)
                found = get_user_model().objects.filter(email="admin@example.org", is_staff=True).first()
                counter["admin"] = (
                    found or admin_create_or_reset(email="admin@example.org", password=PASSWORD)[0]
                )
            before = OutboxEmail.objects.aggregate(last=Max("pk"))["last"] or 0
            entity_status_set(actor=counter["admin"], entity=result.entity, status=status)
            # The member was told of this status before the test began: that email is not the test's to count.
            OutboxEmail.objects.filter(pk__gt=before, sent_at__isnull=True).update(sent_at=now())
            result.entity.refresh_from_db()
        return Member(
            user=result.user,
            entity=result.entity,
            token=result.token,
            api=ApiClient(result.token),
            email=email,
        )

    return make


@pytest.fixture
def member(make_member):
    return make_member()


@pytest.fixture
def admin(db):
    user, _ = admin_create_or_reset(email="admin@example.org", password=PASSWORD)
    return user


@pytest.fixture
def admin_api(admin):
    response = ApiClient().post_json("/admin/login", {"email": "admin@example.org", "password": PASSWORD})
    assert response.status_code == 200, response.content
    return ApiClient(response.json()["data"]["token"])


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's mail goes to it for this test."""
    from tests.smtp import SMTPServer

    server = SMTPServer()
    server.start()
    for key, value in server.settings().items():
        setattr(settings, key, value)
    yield server
    server.stop()


def deliver_outbox() -> int:
    """Run one worker cycle: send every due email in the outbox."""
    from mccs.notifications.worker import outbox_deliver_due

    return outbox_deliver_due()


class Clock:
    """Moves the time the code sees (``mccs.core.clock.now``) forward; put back after the test."""

    def __init__(self, monkeypatch) -> None:
        monkeypatch.setattr(clock_module, "offset", timedelta())

    def now(self):
        return clock_module.now()

    def advance(self, **kwargs) -> None:
        clock_module.offset += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres_only)])
def database_url(request):
    """The DATABASE_URL of a node a test starts as its own process: None (a SQLite file in its data directory), and,
    when the suite runs on PostgreSQL, a fresh database on that server, dropped afterwards."""
    if request.param == "sqlite":
        yield None
        return
    database = PostgresDatabase(os.environ["DATABASE_URL"])
    yield database.create()
    database.drop()
