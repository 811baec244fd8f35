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
