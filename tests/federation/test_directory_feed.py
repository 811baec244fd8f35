"""The network directory's feed in one process (mccs/federation/directory_feed.py): what a node publishes, that a
cursor moves only changes (removals as tombstones), that a neighbour never gets back what came from it, and that
the incremental publish and the full sweep agree."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from mccs.directory import network
from mccs.directory.models import EntityStatus
from mccs.directory.services import entity_update
from mccs.directory.status import entity_status_set
from mccs.federation import directory_feed, services
from mccs.federation.models import SharedEntry

pytestmark = pytest.mark.django_db

B1, T = SimpleNamespace(name="b1"), SimpleNamespace(name="t")


@pytest.fixture(autouse=True)
def node(db):
    directory_feed._published.clear()
    directory_feed._published["stamp"] = None
    return services.federation_init(name="b2")


def everything(neighbour, since=0) -> dict:
    page = directory_feed.feed_page(neighbour=neighbour, since=since)
    assert not page["more"]
    return page


def test_a_node_shares_its_listed_members_public_fields_only(make_member):
    bob = make_member("bob@example.org", status=EntityStatus.TRADING_ACCEPTED, name="Bob", offers=["flour"])
    make_member(name="Pending", offers=["flour"])
    directory_feed.feed_publish(force=True)
    page = everything(T)
    assert page["sharing"] and page["full"] and page["node"] == "b2"
    [entry] = page["entries"]
    assert entry["name"] == "Bob" and entry["offers"] == ["flour"] and entry["node"] == "b2"
    assert entry["accountPath"] == f"b2/{bob.entity.account.number}"
    assert "bob@example.org" not in str(page) and "email" not in entry


def test_the_cursor_moves_only_changes_and_removals(make_member, admin):
    bob = make_member(status=EntityStatus.ACCEPTED, name="Bob", offers=["flour"])
    carol = make_member(status=EntityStatus.ACCEPTED, name="Carol", offers=["ink"])
    directory_feed.feed_publish(force=True)
    cursor = everything(T)["cursor"]
    assert directory_feed.feed_publish() == 0  # nothing changed: nothing published
    assert everything(T, cursor)["entries"] == []

    entity_update(actor=bob.user, entity=bob.entity, changes={"offers": ["bread"]})
    entity_status_set(actor=admin, entity=carol.entity, status=EntityStatus.PENDING)
    assert directory_feed.feed_publish() == 2  # incremental: bob changed, carol became a tombstone
    page = everything(T, cursor)
    assert not page["full"]
    assert [e["offers"] for e in page["entries"]] == [["bread"]]
    assert page["removed"] == [str(carol.entity.pk)]
    # A full sweep finds the same state: nothing more to publish.
    assert directory_feed.feed_publish(force=True) == 0
    # A fresh reader gets a full snapshot without tombstones.
    assert [e["name"] for e in everything(B1)["entries"]] == ["Bob"]


def test_relayed_entries_never_go_back_where_they_came_from(make_member):
    make_member(status=EntityStatus.ACCEPTED, name="Local", offers=["flour"])
    network.remote_copy_apply(
        via="t",
        entries=[
            {
                "id": str(uuid.uuid4()),
                "node": "t/b1",
                "accountPath": "t/b1/1",
                "name": "From t",
                "offers": ["x"],
            }
        ],
    )
    directory_feed.feed_publish()
    assert {e["name"] for e in everything(T)["entries"]} == {"Local"}
    assert {e["name"] for e in everything(SimpleNamespace(name="c"))["entries"]} == {"Local", "From t"}


def test_sharing_off_serves_nothing(make_member):
    make_member(status=EntityStatus.ACCEPTED, offers=["flour"])
    directory_feed.feed_publish()
    services.sharing_set(actor=None, on=False)
    assert directory_feed.feed_page(neighbour=T, since=0) == {"sharing": False}


def test_an_unknown_cursor_gets_a_full_snapshot(make_member):
    make_member(status=EntityStatus.ACCEPTED, name="Bob", offers=["flour"])
    directory_feed.feed_publish()
    newest = SharedEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    for since in (newest + 100, -1, "3", True):
        page = everything(T, since)
        assert page["full"] and [e["name"] for e in page["entries"]] == ["Bob"]


def test_entries_from_a_neighbour_must_sit_where_it_is_in_the_tree():
    """From a branch, only entries under that branch are kept (a branch that does not know its full path yet is
    corrected); from the trunk, nothing under this node; a payee path is the node's path and one account."""
    leaf = SimpleNamespace(name="c", direction="leafward")
    trunk = SimpleNamespace(name="t", direction="trunkward")
    entries = [
        {"id": "1", "node": "b2/c", "accountPath": "b2/c/123"},  # stale prefix: corrected
        {"id": "2", "node": "t/b2/c/d", "accountPath": "t/b2/c/d/9"},
        {"id": "3", "node": "t/b1", "accountPath": "t/b1/5"},  # not under the branch: dropped
        {"id": "4", "node": "t/b2/c", "accountPath": "t/b1/5"},  # pays someone elsewhere: no payee path
    ]
    placed = directory_feed._placed(entries, leaf, "t/b2", "b2")
    assert [(e["id"], e["node"], e["accountPath"]) for e in placed] == [
        ("1", "t/b2/c", "t/b2/c/123"),
        ("2", "t/b2/c/d", "t/b2/c/d/9"),
        ("4", "t/b2/c", ""),
    ]
    from_trunk = [
        {"id": "5", "node": "t/b2", "accountPath": "t/b2/1"},
        {"id": "6", "node": "t/b1", "accountPath": "t/b1/x/y"},
    ]
    assert [(e["id"], e["accountPath"]) for e in directory_feed._placed(from_trunk, trunk, "t/b2", "b2")] == [
        ("6", "")
    ]


def test_an_operator_can_share_only_some_statuses(make_member, settings):
    make_member(status=EntityStatus.TRADING_ACCEPTED, name="Trader", offers=["flour"])
    make_member(status=EntityStatus.ACCEPTED, name="Accepted", offers=["flour"])
    settings.MCCS_DIRECTORY_SHARED_STATUSES = ["tradingAccepted", "pending"]  # pending is never shared
    directory_feed.feed_publish(force=True)
    assert [e["name"] for e in everything(T)["entries"]] == ["Trader"]
    settings.MCCS_DIRECTORY_SHARED_STATUSES = []
    directory_feed.feed_publish(force=True)
    assert {e["name"] for e in everything(T, 0)["entries"]} == {"Trader", "Accepted"}
