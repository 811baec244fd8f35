"""The backup-and-restore procedure of docs/deploy.md, for real: `mccs backup` while the node serves, change the
data, stop, `mccs restore --yes`, serve again — the data is as it was at the backup and the ledger audit is clean."""

from __future__ import annotations

from tests.serving import PASSWORD, Node, mccs, members_for_trading, node_env

ADMIN = "admin@example.org"


def pay(node: Node, payer: dict, receiver: dict, amount: float) -> None:
    status, body = node.request(
        "POST",
        "/api/v1/transfers",
        {"transfer": "out", "initiator": payer["account"], "receiver": receiver["account"], "amount": amount},
        token=payer["token"],
    )
    assert status == 200, body
    status, body = node.request(
        "PATCH", f"/api/v1/transfers/{body['data']['id']}", {"action": "accept"}, token=receiver["token"]
    )
    assert status == 200, body


def balance(node: Node, member: dict):
    status, body = node.request(
        "GET", f"/api/v1/balance?querying_entity_id={member['entity']}", token=member["token"]
    )
    assert status == 200, body
    return body["data"]["balance"]


def login(node: Node, email: str) -> int:
    return node.request("POST", "/api/v1/login", {"email": email, "password": PASSWORD})[0]


def test_backup_change_restore_brings_the_data_back(tmp_path, database_url):
    env = node_env(tmp_path / "data", database_url=database_url)
    assert mccs(env, "createadmin", "--email", ADMIN, "--password", PASSWORD).returncode == 0
    backup_file = tmp_path / "node.backup"

    node = Node(env, tmp_path / "serve.log", "--workers", "1")
    try:
        node.wait_healthy()
        alice, bob = members_for_trading(node, 2, ADMIN)
        pay(node, alice, bob, 10)
        # Online: the node keeps serving while the backup is taken.
        done = mccs(env, "backup", str(backup_file))
        assert done.returncode == 0, done.stderr
        assert backup_file.stat().st_size > 0

        pay(node, alice, bob, 5)
        status, body = node.request(
            "POST",
            "/api/v1/signup",
            {"userEmail": "later@example.org", "password": PASSWORD, "entityName": "Later"},
        )
        assert status == 200, body
        assert balance(node, bob) == 15
        assert login(node, "later@example.org") == 200
    finally:
        assert node.stop() == 0

    # A restore asks for --yes and refuses a file that is not a backup, changing nothing.
    refused = mccs(env, "restore", str(backup_file))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a database")
    refused = mccs(env, "restore", str(not_a_backup), "--yes")
    assert refused.returncode == 2 and "nothing was changed" in refused.stderr, refused.stderr

    restored = mccs(env, "restore", str(backup_file), "--yes")
    assert restored.returncode == 0, restored.stderr

    node = Node(env, tmp_path / "serve2.log", "--workers", "1")
    try:
        node.wait_healthy()
        # Tokens issued before the backup are in it, so the members' sessions come back with their data.
        assert balance(node, bob) == 10
        assert balance(node, alice) == -10
        assert login(node, "later@example.org") == 400  # unknown to the restored node: wrong credentials
        status, body = node.request("POST", "/api/v1/admin/login", {"email": ADMIN, "password": PASSWORD})
        assert status == 200, body
        status, body = node.request(
            "GET", f"/api/v1/transfers?querying_entity_id={alice['entity']}", token=alice["token"]
        )
        assert status == 200 and body["meta"]["numberOfResults"] == 1, body
    finally:
        assert node.stop() == 0
    audit = mccs(env, "ledger-audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
