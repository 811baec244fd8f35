"""Administrators see and change the node's federation settings on the admin API and the admin page: neighbours with
their balances, pending amounts, limits and link hashes, each neighbour's limits, and directory sharing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mccs.audit.models import AuditEntry
from mccs.federation import services
from mccs.federation.models import Neighbour, Node
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree_node(db):
    services.federation_init(name="here")
    services.branch_add(name="leaf", url="http://127.0.0.1:9/cc", max_negative="100", max_positive="200")
    return Node.objects.get()


def test_the_api_shows_the_node_and_its_neighbours(admin_api, tree_node):
    response = admin_api.get_json("/admin/federation")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["node"] == "here" and data["sharing"] is True
    [leaf] = data["neighbours"]
    assert leaf["name"] == "leaf" and leaf["direction"] == "leafward"
    assert leaf["maxNegativeBalance"] == 100 and leaf["maxPositiveBalance"] == 200
    assert leaf["balance"] == 0 and leaf["pending"] == 0 and leaf["lastHash"] == ""
    assert leaf["handshake"] == ""  # only on request: greeting every neighbour is slow
    live = admin_api.get_json("/admin/federation?handshake=true").json()["data"]
    assert live["neighbours"][0]["handshake"].startswith("unreachable")


def test_before_joining_a_tree(admin_api):
    data = admin_api.get_json("/admin/federation").json()["data"]
    assert data == {"node": "", "sharing": False, "neighbours": []}
    response = admin_api.patch_json("/admin/federation", {"sharing": True})
    assert response.status_code == 400
    assert "mccs federation init" in response.json()["errors"][0]["message"]


def test_an_administrator_changes_a_neighbours_limits(admin_api, tree_node):
    response = admin_api.patch_json("/admin/federation/neighbours/leaf", {"maxNegativeBalance": 250.5})
    assert response.status_code == 200, response.content
    assert response.json()["data"]["maxNegativeBalance"] == Decimal("250.5")
    assert response.json()["data"]["maxPositiveBalance"] == 200
    account = Neighbour.objects.get(name="leaf").account
    assert (account.max_negative_balance, account.max_positive_balance) == (25050, 20000)
    assert AuditEntry.objects.filter(action="federation.neighbour_limits", object_id="leaf").exists()

    refused = admin_api.patch_json("/admin/federation/neighbours/leaf", {"maxPositiveBalance": -1})
    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"][0]["field"] == "maxPositiveBalance"
    assert Neighbour.objects.get(name="leaf").account.max_positive_balance == 20000
    missing = admin_api.patch_json("/admin/federation/neighbours/nobody", {"maxNegativeBalance": 1})
    assert missing.status_code == 404


def test_sharing_is_turned_off_and_on(admin_api, tree_node):
    response = admin_api.patch_json("/admin/federation", {"sharing": False})
    assert response.status_code == 200, response.content
    assert response.json()["data"]["sharing"] is False
    assert Node.objects.get().sharing is False
    assert admin_api.patch_json("/admin/federation", {"sharing": "no"}).status_code == 400
    assert admin_api.patch_json("/admin/federation", {"sharing": True}).json()["data"]["sharing"] is True
    assert AuditEntry.objects.filter(action="federation.sharing").count() == 2


def test_members_are_refused(member, tree_node):
    assert member.api.get_json("/admin/federation").status_code == 403
    response = member.api.patch_json("/admin/federation/neighbours/leaf", {"maxNegativeBalance": 1})
    assert response.status_code == 403
    assert Neighbour.objects.get(name="leaf").account.max_negative_balance == 10000


def test_the_admin_page(client, admin, tree_node):
    client.login(username=admin.email, password=PASSWORD)
    page = client.get("/admin/federation")
    assert page.status_code == 200
    text = page.content.decode()
    assert "leaf" in text and "http://127.0.0.1:9/cc" in text and "Stop sharing" in text

    saved = client.post(
        "/admin/federation/neighbours/leaf/limits",
        {"leaf-max_negative_balance": "300", "leaf-max_positive_balance": "400"},
    )
    assert saved.status_code == 302
    account = Neighbour.objects.get(name="leaf").account
    assert (account.max_negative_balance, account.max_positive_balance) == (30000, 40000)

    wrong = client.post(
        "/admin/federation/neighbours/leaf/limits",
        {"leaf-max_negative_balance": "lots", "leaf-max_positive_balance": "400"},
    )
    assert wrong.status_code == 400
    assert Neighbour.objects.get(name="leaf").account.max_negative_balance == 30000

    client.post("/admin/federation/sharing", {"sharing": "off"})
    assert Node.objects.get().sharing is False
    assert "Share it with the neighbours" in client.get("/admin/federation").content.decode()
    checked = client.get("/admin/federation?handshake=1").content.decode()
    assert "unreachable" in checked


def test_members_cannot_open_the_admin_page(client, member, tree_node):
    client.login(username=member.email, password=PASSWORD)
    assert client.get("/admin/federation").status_code == 403
    assert client.post("/admin/federation/sharing", {"sharing": "off"}).status_code == 403
    assert Node.objects.get().sharing is True


def test_the_admin_page_writes_limits_the_way_its_language_writes_numbers(client, admin, tree_node):
    client.login(username=admin.email, password=PASSWORD)
    page = client.get("/admin/federation", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert (
        'value="100,00"' in page and 'value="200,00"' in page
    )  # as German writes them, and as it reads them back
    page = client.get("/admin/federation", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="100.00"' in page and 'value="200.00"' in page


def test_an_administrator_names_the_node_and_adds_a_branch_on_the_page(client, admin):
    client.login(username=admin.email, password=PASSWORD)
    page = client.get("/admin/federation", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Poner nombre a este nodo" in page
    refused = client.post("/admin/federation/init", {"name": "Not A Name"})
    assert refused.status_code == 400 and "is not a valid node name" in refused.content.decode()
    assert not Node.objects.exists()
    client.post("/admin/federation/init", {"name": "riverside"})
    assert Node.objects.get().name == "riverside"

    added = client.post(
        "/admin/federation/neighbours",
        {
            "direction": "leafward",
            "name": "hilltop",
            "url": "http://hilltop.example:8000/cc",
            "max_negative_balance": "1.000,50",
            "max_positive_balance": "",
        },
        HTTP_ACCEPT_LANGUAGE="de",
        follow=True,
    )
    assert "hilltop ist jetzt ein Nachbar dieses Knotens." in added.content.decode()
    leaf = Neighbour.objects.get(name="hilltop")
    assert (leaf.direction, leaf.url, leaf.account.max_negative_balance) == (
        "leafward",
        "http://hilltop.example:8000/cc",
        100050,
    )
    entry = AuditEntry.objects.get(action="federation.neighbour_add", object_id="hilltop")
    assert entry.actor_id == admin.pk

    bad = client.post(
        "/admin/federation/neighbours", {"direction": "leafward", "name": "riverside", "url": "ftp://x"}
    )
    assert bad.status_code == 400
    assert "ftp://x is not an http:// or https:// URL." in bad.content.decode()
    assert Neighbour.objects.count() == 1


def test_joining_a_trunk_from_the_page_says_when_it_does_not_answer(client, admin):
    client.login(username=admin.email, password=PASSWORD)
    client.post("/admin/federation/init", {"name": "leaf"})
    page = client.post(
        "/admin/federation/neighbours",
        {"direction": "trunkward", "name": "t", "url": "http://127.0.0.1:9/cc", "rate": "2"},
        follow=True,
    ).content.decode()
    assert "t is now a neighbour of this node." in page
    assert "It did not answer the handshake yet" in page
    trunk = Neighbour.objects.get(name="t")
    assert trunk.direction == "trunkward" and trunk.rate == 2
    # one trunk at most: the form no longer offers another
    assert 'value="trunkward"' not in client.get("/admin/federation").content.decode()


def test_the_api_adds_neighbours(admin_api, admin):
    before = admin_api.post_json(
        "/admin/federation/neighbours", {"name": "b", "url": "http://b/cc", "direction": "leafward"}
    )
    assert before.status_code == 400 and "mccs federation init" in before.json()["errors"][0]["message"]
    services.federation_init(name="here")
    response = admin_api.post_json(
        "/admin/federation/neighbours",
        {"name": "b", "url": "http://b.example/cc", "direction": "leafward", "maxPositiveBalance": 750},
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["name"], data["direction"], data["maxPositiveBalance"], data["handshake"]) == (
        "b",
        "leafward",
        750,
        "",
    )
    trunk = admin_api.post_json(
        "/admin/federation/neighbours",
        {"name": "t", "url": "http://127.0.0.1:9/cc", "direction": "trunkward", "rate": 0.5},
    )
    assert trunk.status_code == 200, trunk.content
    assert trunk.json()["data"]["rate"] == Decimal("0.5")
    assert trunk.json()["data"]["handshake"].startswith("unreachable")
    second = admin_api.post_json(
        "/admin/federation/neighbours", {"name": "t2", "url": "http://t2/cc", "direction": "trunkward"}
    )
    assert second.status_code == 400 and "one trunk at most" in second.json()["errors"][0]["message"]
    limits = admin_api.post_json(
        "/admin/federation/neighbours",
        {"name": "c", "url": "http://c/cc", "direction": "leafward", "maxNegativeBalance": -5},
    )
    assert limits.status_code == 400 and limits.json()["errors"][0]["field"] == "maxNegativeBalance"
    assert sorted(Neighbour.objects.values_list("name", flat=True)) == ["b", "t"]
    assert AuditEntry.objects.filter(action="federation.neighbour_add", actor_id=admin.pk).count() == 2
