"""The network directory across a real tree (a trunk `t`, branches `b1` and `b2`, each a `mccs serve`): a search
on one branch finds the listed members of the other with their node and Credit Commons path, never an unlisted one
nor an email; the copy follows changes; it answers while neighbours are down; sharing off takes a node's members
out of everyone's results. The nodes refresh every second here (MCCS_DIRECTORY_REFRESH_SECONDS in cluster.py)."""

from __future__ import annotations

import pytest

from tests.federation.cluster import PASSWORD, Node, http, wait_until

pytestmark = pytest.mark.slow


def search(node: Node, query: str) -> list[dict]:
    status, body = http("GET", f"{node.base}/api/v1/entities?{query}&page_size=100")
    assert status == 200, body
    return body["data"]


def found(node: Node, query: str, name: str) -> dict | None:
    return next((e for e in search(node, query) if e["name"] == name), None)


def test_search_finds_listed_members_of_other_nodes(module_nodes):
    t, b1, b2 = module_nodes["t"], module_nodes["b1"], module_nodes["b2"]
    bob = b2.member("bob")
    status, body = bob.api("PATCH", f"/user/entities/{bob.entity_id}", {"offers": ["flour-milling"]})
    assert status == 200, body
    # A member nobody has accepted yet is not listed: not on its node, not elsewhere.
    status, body = http(
        "POST",
        f"{b2.base}/api/v1/signup",
        {
            "userEmail": "carol@b2.example.org",
            "password": PASSWORD,
            "entityName": "Carol",
            "offers": ["flour"],
        },
    )
    assert status == 200, body
    alice = b1.member("alice")
    status, _ = alice.api("PATCH", f"/user/entities/{alice.entity_id}", {"wants": ["flour"]})
    assert status == 200

    remote = wait_until(lambda: found(b1, "offers=flour", "Bob of b2"), timeout=30)
    assert remote["node"] == "t/b2"
    assert remote["accountPath"] == f"t/b2/{bob.number}"
    assert "email" not in remote and "b2.example.org" not in str(search(b1, "offers=flour"))
    assert found(b1, "offers=flour", "Carol") is None
    # The trunk has it too, and b2 sees alice, relayed by the trunk, with b1's path.
    assert wait_until(lambda: found(t, "offers=flour", "Bob of b2"), timeout=30)["node"] == "t/b2"
    seen = wait_until(lambda: found(b2, "wants=flour", "Alice of b1"), timeout=30)
    assert seen["node"] == "t/b1" and seen["accountPath"] == f"t/b1/{alice.number}"
    # On its own node bob is a local result: the alpha fields only.
    local = found(b2, "offers=flour", "Bob of b2")
    assert local is not None and "node" not in local and local["accountNumber"] == bob.number
    # The web directory labels the remote result with its node.
    status, page = _html(b1, "/directory?offers=flour")
    assert status == 200 and "Bob of b2" in page and "t/b2" in page

    # A change of offers reaches b1 through the trunk.
    status, body = bob.api("PATCH", f"/user/entities/{bob.entity_id}", {"offers": ["stone-grinding"]})
    assert status == 200, body
    wait_until(lambda: found(b1, "offers=stone-grinding", "Bob of b2"), timeout=30)
    assert found(b1, "offers=flour", "Bob of b2") is None

    # With b2, then the trunk too, down, b1 still answers from its copy.
    b2.stop()
    try:
        assert found(b1, "offers=stone-grinding", "Bob of b2") is not None
        t.stop()
        try:
            assert found(b1, "offers=stone-grinding", "Bob of b2") is not None
        finally:
            t.start()
    finally:
        b2.start()
    assert found(b1, "offers=stone-grinding", "Bob of b2") is not None

    # Sharing off on b2: its members leave the trunk's and b1's results; on again, they come back.
    b2.cli("federation", "share", "--off")
    wait_until(lambda: found(b1, "offers=stone-grinding", "Bob of b2") is None, timeout=30)
    assert found(t, "offers=stone-grinding", "Bob of b2") is None
    assert found(b2, "wants=flour", "Alice of b1") is not None  # b2 still reads what others share
    b2.cli("federation", "share", "--on")
    wait_until(lambda: found(b1, "offers=stone-grinding", "Bob of b2"), timeout=30)

    # A member who becomes unlisted disappears from the others' copies.
    status, body = b2.admin("PATCH", f"/entities/{bob.entity_id}", {"status": "pending"})
    assert status == 200, body
    wait_until(lambda: found(b1, "offers=stone-grinding", "Bob of b2") is None, timeout=30)


def _html(node: Node, path: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{node.base}{path}", timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
