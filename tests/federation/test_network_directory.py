"""The network directory across a real tree (a trunk `t`, branches `b1` and `b2`, each a `mccs serve`): a search
on one branch finds the listed members of the other with their node and Credit Commons path, never an unlisted one
nor an email; the copy follows changes; it answers while neighbours are down; sharing off takes a node's members
out of everyone's results. The nodes refresh every second here (MCCS_DIRECTORY_REFRESH_SECONDS in cluster.py)."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from http.cookiejar import CookieJar

import pytest

from tests.federation.cluster import PASSWORD, Node, http, tree, wait_until
from tests.smtp import SMTPServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_nodes(tmp_path_factory, smtp):
    """One tree for the module, every node sending its email to the same SMTP server."""
    nodes = tree(tmp_path_factory.mktemp("tree"), smtp_port=smtp.port)
    yield nodes
    for node in nodes.values():
        node.stop()


def search(node: Node, query: str) -> list[dict]:
    status, body = http("GET", f"{node.base}/api/v1/entities?{query}&page_size=100")
    assert status == 200, body
    return body["data"]


def found(node: Node, query: str, name: str) -> dict | None:
    return next((e for e in search(node, query) if e["name"] == name), None)


def member_offering(node: Node, name: str, *offers: str):
    """A trading member of ``node`` with these offers."""
    member = node.member(name)
    status, body = member.api("PATCH", f"/user/entities/{member.entity_id}", {"offers": list(offers)})
    assert status == 200, body
    return member


def offers_of(result: dict | None) -> list[str] | None:
    return result["offers"] if result else None


def test_search_finds_listed_members_of_other_nodes(module_nodes):
    t, b1, b2 = module_nodes["t"], module_nodes["b1"], module_nodes["b2"]
    bob = member_offering(b2, "bob", "flour-milling")
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
    # Waiting for Bob's new offers themselves: before the copy has them, a search for stone-grinding already finds
    # him by meaning (the language model relates it to flour-milling).
    wait_until(
        lambda: offers_of(found(b1, "offers=stone-grinding", "Bob of b2")) == ["stone-grinding"], timeout=30
    )
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
    try:
        with urllib.request.urlopen(f"{node.base}{path}", timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


class Browser:
    """A member's browser against a real node: cookies, the CSRF token of each form, redirects followed."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def open(self, path: str, fields: dict | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        request = urllib.request.Request(
            f"{self.node.base}{path}", data=data, headers={"Referer": self.node.base}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def submit(self, path: str, page: str, fields: dict) -> tuple[int, str]:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page
        return self.open(path, {"csrfmiddlewaretoken": token.group(1), **fields})

    def login(self, email: str) -> None:
        _, page = self.open("/login")
        status, page = self.submit("/login", page, {"email": email, "password": PASSWORD})
        assert status == 200 and "/logout" in page, page[:2000]


def value_of(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    assert found, f"no {name} in the form"
    return html.unescape(found.group(1))


def test_pay_and_write_to_a_member_of_another_node_from_its_page(module_nodes, smtp):
    b1, b2 = module_nodes["b1"], module_nodes["b2"]
    dave = member_offering(b2, "dave", "beekeeping")
    erin = b1.member("erin")
    remote = wait_until(lambda: found(b1, "offers=beekeeping", "Dave of b2"), timeout=30)

    # The remote member's page: its node, and "pay" with its Credit Commons path filled in.
    browser = Browser(b1)
    browser.login(erin.email)
    status, page = browser.open(f"/directory/entities/{remote['id']}")
    assert status == 200 and "Dave of b2" in page and "t/b2" in page
    dave_path = f"t/b2/{dave.number}"
    assert f"/transfers/new?to={dave_path}" in page  # slashes stay readable in the link
    assert "dave@b2.example.org" not in page
    status, form = browser.open(f"/transfers/new?to={urllib.parse.quote(dave_path, safe='')}")
    assert status == 200 and value_of(form, "counterparty") == dave_path
    status, page = browser.submit(
        "/transfers/new",
        form,
        {
            "direction": "out",
            "counterparty": value_of(form, "counterparty"),
            "amount": "7",
            "description": "honey",
            "idempotency_key": value_of(form, "idempotency_key"),
        },
    )
    assert status == 200, page[:3000]
    proposed = wait_until(lambda: next((t for t in dave.transfers() if t["description"] == "honey"), None))
    assert proposed["status"] == "transferInitiated"
    status, body = dave.act(proposed["id"], "accept")
    assert status == 200, body
    assert dave.balance() == Decimal(7)
    assert erin.balance() == Decimal(-7)

    # A private message through the API: relayed by the trunk to b2, which emails dave with erin as Reply-To.
    status, body = erin.api(
        "POST",
        "/send-email",
        {"senderEntityID": erin.entity_id, "receiverEntityID": remote["id"], "body": "Do you sell wax too?"},
    )
    assert status == 200, body
    assert "dave@" not in str(body)
    mail = smtp.wait_for(lambda r: "Do you sell wax too?" in r.text, timeout=20)
    assert mail.envelope_to == ["dave@b2.example.org"]
    assert mail.message["Reply-To"] == erin.email
    assert "Erin of b1" in mail.text

    # The web contact form on the remote page does the same.
    status, page = browser.open(f"/directory/entities/{remote['id']}")
    status, page = browser.submit(
        f"/directory/entities/{remote['id']}/contact", page, {"body": "And candles?"}
    )
    assert status == 200 and "dave@" not in page
    mail = smtp.wait_for(lambda r: "And candles?" in r.text, timeout=20)
    assert mail.message["Reply-To"] == erin.email

    # With b2 down, the message is refused with a clear reason (not a 500) and does not count.
    b2.stop()
    try:
        status, body = erin.api(
            "POST",
            "/send-email",
            {"senderEntityID": erin.entity_id, "receiverEntityID": remote["id"], "body": "Still there?"},
        )
        assert status == 503, body
        assert "b2" in body["errors"][0]["message"] and "dave@" not in str(body)
    finally:
        b2.start()


def test_the_daily_digest_lists_members_of_other_nodes(module_nodes, smtp):
    b1, b2 = module_nodes["b1"], module_nodes["b2"]
    member_offering(b2, "frank", "candle-making")
    gina = b1.member("gina")
    status, body = gina.api(
        "PATCH",
        f"/user/entities/{gina.entity_id}",
        {"wants": ["candle-making"], "receiveDailyMatchNotificationEmail": True},
    )
    assert status == 200, body
    remote = wait_until(lambda: found(b1, "offers=candle-making", "Frank of b2"), timeout=30)

    b1.cli("send-daily-digest")  # what b1's worker does once a day
    mail = smtp.wait_for(lambda r: r.envelope_to == [gina.email] and "Frank of b2" in r.text, timeout=20)
    assert "Frank of b2, on node t/b2, offers candle-making" in mail.text
    assert f"/directory/entities/{remote['id']}" in mail.text
    assert "frank@" not in mail.text
