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
