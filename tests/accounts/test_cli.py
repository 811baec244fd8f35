"""`mccs createadmin`: non-interactive, re-running resets the password, never turns a member into an admin."""

from __future__ import annotations

import pytest

from mccs.cli import main
from mccs.users.models import User
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def admin_login(email, password):
    return ApiClient().post_json("/admin/login", {"email": email, "password": password})


def test_createadmin_creates_then_resets(capsys):
    assert main(["createadmin", "--email", "Root@Example.org", "--password", "first-admin-secret"]) == 0
    assert "Created administrator root@example.org" in capsys.readouterr().out
    user = User.objects.get(email="root@example.org")
    assert user.is_staff and user.is_superuser
    token = admin_login("root@example.org", "first-admin-secret").json()["data"]["token"]

    assert main(["createadmin", "--email", "root@example.org", "--password", "second-admin-secret"]) == 0
    assert "Reset the password" in capsys.readouterr().out
    assert User.objects.filter(email="root@example.org").count() == 1
    assert admin_login("root@example.org", "first-admin-secret").status_code == 400
    assert admin_login("root@example.org", "second-admin-secret").status_code == 200
    assert ApiClient(token).post_json("/admin/logout").status_code == 401  # old tokens revoked


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--email", "root@example.org", "--password", "short"], "too short"),
        (["--email", "not-an-email", "--password", "first-admin-secret"], "not valid"),
    ],
)
def test_createadmin_refuses_bad_input(capsys, args, expected):
    assert main(["createadmin", *args]) == 2
    assert expected in capsys.readouterr().err
    assert not User.objects.exists()


def test_createadmin_refuses_a_member_address(member, capsys):
    assert main(["createadmin", "--email", member.email, "--password", "first-admin-secret"]) == 2
    assert "member account" in capsys.readouterr().err
    member.user.refresh_from_db()
    assert not member.user.is_staff
