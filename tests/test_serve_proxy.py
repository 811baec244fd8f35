"""`MCCS_TRUST_X_FORWARDED_FOR` under the real `mccs serve`, in both of its servers (gunicorn for `--workers N`,
waitress for `--workers 1`): behind the proxy, the sign-in throttle and the audit log see the member's address (the
last `X-Forwarded-For` entry, the one the proxy appended); without the setting, a client's header proves nothing."""

from __future__ import annotations

import pytest

from tests.serving import PASSWORD, Node, mccs, node_env

ADMIN = "admin@example.org"
MEMBER = "member@example.org"
ATTACKER = "198.51.100.9"
MEMBER_ADDRESS = "203.0.113.7"
ADMIN_ADDRESS = "192.0.2.44"
LIMIT = 3
SERVERS = {"gunicorn": ("--workers", "2"), "waitress": ("--workers", "1")}


def start(tmp_path, database_url, server: str, *, trust: bool) -> Node:
    extra = {"MCCS_LOGIN_FAILURE_LIMIT": str(LIMIT)}
    if trust:
        extra["MCCS_TRUST_X_FORWARDED_FOR"] = "1"
    env = node_env(tmp_path / "data", database_url=database_url, **extra)
    created = mccs(env, "createadmin", "--email", ADMIN, "--password", PASSWORD)
    assert created.returncode == 0, created.stderr
    node = Node(env, tmp_path / "serve.log", *SERVERS[server], "--no-worker")
    node.wait_healthy()
    return node


def via_proxy(address: str, sent_by_client: str = "") -> dict:
    """What the proxy passes on: whatever the client sent in X-Forwarded-For, then the client's real address."""
    return {"X-Forwarded-For": f"{sent_by_client}, {address}" if sent_by_client else address}


def login(node: Node, email: str, password: str, headers: dict, *, admin: bool = False) -> tuple[int, dict]:
    path = "/api/v1/admin/login" if admin else "/api/v1/login"
    return node.request("POST", path, {"email": email, "password": password}, headers=headers)


def login_entries(node: Node, admin_token: str) -> list[dict]:
    status, body = node.request("GET", "/api/v1/admin/logs?action=login&page_size=100", token=admin_token)
    assert status == 200, body
    return body["data"]


@pytest.mark.parametrize("server", SERVERS)
def test_behind_a_trusted_proxy_each_client_has_its_own_address(tmp_path, database_url, server):
    node = start(tmp_path, database_url, server, trust=True)
    try:
        status, body = node.request(
            "POST", "/api/v1/signup", {"userEmail": MEMBER, "password": PASSWORD, "entityName": "Bakery"}
        )
        assert status == 200, body
        # An attacker tries passwords until their own address is throttled; what they put in the header
        # themselves (a "spoof" of the member's address) is ignored, only what the proxy appended counts.
        for i in range(LIMIT):
            status, body = login(
                node, f"nobody{i}@example.org", "wrong-password", via_proxy(ATTACKER, "10.1.1.1")
            )
            assert status == 400, body
        status, body = login(node, MEMBER, PASSWORD, via_proxy(ATTACKER, MEMBER_ADDRESS))
        assert status == 429, body
        # Everybody else, behind the same proxy, still signs in.
        status, body = login(node, MEMBER, PASSWORD, via_proxy(MEMBER_ADDRESS))
        assert status == 200, body
        status, body = login(node, ADMIN, PASSWORD, via_proxy(ADMIN_ADDRESS, ATTACKER), admin=True)
        assert status == 200, body
        admin_token = body["data"]["token"]

        entries = login_entries(node, admin_token)
        by_action: dict[str, set[str]] = {}
        for entry in entries:
            by_action.setdefault(entry["action"], set()).add(entry["ip"])
        assert by_action["user.login_failed"] == {ATTACKER}
        assert by_action["user.login"] == {MEMBER_ADDRESS}
        assert by_action["admin.login"] == {ADMIN_ADDRESS}
    finally:
        node.stop()


@pytest.mark.parametrize("server", SERVERS)
def test_without_the_setting_a_forwarded_header_is_ignored(tmp_path, database_url, server):
    node = start(tmp_path, database_url, server, trust=False)
    try:
        status, body = login(node, ADMIN, PASSWORD, via_proxy(ADMIN_ADDRESS), admin=True)
        assert status == 200, body
        admin_token = body["data"]["token"]
        for i in range(LIMIT):
            status, body = login(
                node, f"nobody{i}@example.org", "wrong-password", via_proxy(f"198.51.100.{i}")
            )
            assert status == 400, body
        # A fresh made-up address does not escape the throttle: every request came from 127.0.0.1.
        status, body = login(node, ADMIN, PASSWORD, via_proxy(MEMBER_ADDRESS), admin=True)
        assert status == 429, body
        ips = {entry["ip"] for entry in login_entries(node, admin_token)}
        assert ips == {"127.0.0.1"}
    finally:
        node.stop()
