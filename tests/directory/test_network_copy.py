"""The network directory's copy (mccs/directory/network.py) and the search over local and remote entities, in one
process: applying a neighbour's feed, removals, what is never kept, ranking with local results, the API's shape."""

from __future__ import annotations

import uuid

import pytest

from mccs.directory import network
from mccs.directory.models import EntityStatus, RemoteEntity, RemoteEntityTag, Tag
from mccs.directory.search import EntitySearch, Total, tag_search
from tests.directory.conftest import names
from tests.directory.conftest import remote_entry as entry

pytestmark = pytest.mark.django_db


def test_apply_keeps_public_fields_only_and_normalises_tags():
    e = entry(
        "Miller",
        offers=["Flour Milling", "flour milling"],
        email="m@b2.example",
        telephone="555",
        address="x",
    )
    assert network.remote_copy_apply(via="t", entries=[e]) == 1
    copy = RemoteEntity.objects.get()
    assert copy.offers == ["flour-milling"]
    assert copy.node == "t/b2" and copy.account_path == "t/b2/1234" and copy.via == "t"
    assert not any(hasattr(copy, f) for f in ("email", "telephone", "address"))
    assert "m@b2.example" not in str(RemoteEntity.objects.values().get())


def test_unchanged_entries_are_not_rewritten_and_changes_are():
    e = entry("Miller", offers=["flour"])
    network.remote_copy_apply(via="t", entries=[e])
    assert network.remote_copy_apply(via="t", entries=[e]) == 0
    assert network.remote_copy_apply(via="t", entries=[{**e, "offers": ["bread"]}]) == 1
    assert list(RemoteEntityTag.objects.values_list("tag__name", flat=True)) == ["bread"]


def test_removed_ids_and_prune_delete_the_copy():
    a, b = entry("A", offers=["flour"]), entry("B", offers=["flour"])
    network.remote_copy_apply(via="t", entries=[a, b])
    network.remote_copy_apply(via="t", entries=[], removed=[a["id"], "not-a-uuid"])
    assert list(RemoteEntity.objects.values_list("name", flat=True)) == ["B"]
    network.remote_copy_prune(via="t", keep=set())
    assert not RemoteEntity.objects.exists() and not RemoteEntityTag.objects.exists()


def test_a_neighbour_cannot_overwrite_another_neighbours_entry_or_a_local_entity(make_member):
    local = make_member(name="Local", status=EntityStatus.ACCEPTED, offers=["flour"])
    e = entry("From t", offers=["flour"])
    network.remote_copy_apply(via="t", entries=[e, entry("Fake", id=local.entity.pk)])
    network.remote_copy_apply(via="c", entries=[{**e, "name": "Hijack"}])
    assert list(RemoteEntity.objects.values_list("name", "via")) == [("From t", "t")]


def test_drop_forgets_only_that_neighbour():
    network.remote_copy_apply(via="t", entries=[entry("T")])
    network.remote_copy_apply(via="c", entries=[entry("C", node="t/b1/c")])
    network.remote_copy_drop(via="t")
    assert list(RemoteEntity.objects.values_list("name", flat=True)) == ["C"]


def test_search_merges_local_and_remote_by_rank_then_name(make_member):
    make_member(name="Zed Local", status=EntityStatus.ACCEPTED, offers=["flour"])
    make_member(name="Local Wild", status=EntityStatus.ACCEPTED, offers=["flour-mill"])
    make_member(name="Unlisted", offers=["flour"])
    network.remote_copy_apply(
        via="t", entries=[entry("Alpha Remote", offers=["flour"]), entry("Other", offers=["ink"])]
    )
    hits, total = network.network_search_page(EntitySearch(offers="flour"), start=0, end=10)
    found = network.hits_load(hits)
    assert [e.name for e in found] == ["Alpha Remote", "Zed Local", "Local Wild"]
    assert total == Total(3)
    assert [h.remote for h in hits] == [True, False, False]
    hits, total = network.network_search_page(EntitySearch(offers="flour"), start=2, end=10)
    assert total == Total(3) and len(hits) == 1


def test_search_filters_apply_to_remote_entities():
    network.remote_copy_apply(
        via="t", entries=[entry("Miller", offers=["flour"]), entry("Baker", wants=["flour"])]
    )
    assert [e.name for e in network.NetworkResults(EntitySearch(wants="flour"))[0:10]] == ["Baker"]
    assert network.NetworkResults(EntitySearch(offers="flour", name="mill")).count() == 1
    assert network.NetworkResults(EntitySearch(category="food")).count() == 2
    assert network.NetworkResults(EntitySearch(category="drink")).count() == 0
    assert network.NetworkResults(EntitySearch(offers="nothing-like-it")).count() == 0


def test_api_lists_remote_results_with_node_and_path_and_no_email(api, make_member):
    make_member(name="Local Miller", status=EntityStatus.TRADING_ACCEPTED, offers=["flour"])
    e = entry("Remote Miller", offers=["flour"], email="secret@b2.example")
    network.remote_copy_apply(via="t", entries=[e])
    response = api.get_json("/entities?offers=flour")
    assert names(response) == ["Local Miller", "Remote Miller"]
    body = response.json()
    local, remote = body["data"]
    assert "node" not in local and "accountPath" not in local
    assert remote["node"] == "t/b2" and remote["accountPath"] == "t/b2/1234"
    assert remote["matchedBy"] == "exact" and remote["matchedTerms"][0]["tag"] == "flour"
    assert "email" not in remote and "secret" not in str(body)
    single = api.get_json(f"/entities/{e['id']}").json()
    assert single["data"]["node"] == "t/b2" and "email" not in single["data"]


def test_remote_words_join_the_tag_vocabulary():
    """ADR 0120: remote offers and wants are words of the vocabulary, so `GET /tags` suggests them too."""
    network.remote_copy_apply(via="t", entries=[entry("Miller", offers=["stone-ground-flour"])])
    assert Tag.objects.filter(name="stone-ground-flour").exists()
    assert [t.name for t in tag_search("stone")] == ["stone-ground-flour"]


# --- private contact with members of other nodes (the directory's halves; the carrying is tested in federation) ---


def test_a_relayed_message_counts_against_the_hourly_limit_until_released(make_member, settings):
    from mccs.core.errors import TooManyRequests
    from mccs.directory import contact

    settings.MCCS_CONTACT_LIMIT_PER_HOUR = 1
    sender = make_member(status=EntityStatus.ACCEPTED)
    local = make_member(status=EntityStatus.ACCEPTED)
    relayed = contact.contact_relay_reserve(
        actor=sender.user, sender=sender.entity, receiver_id=uuid.uuid4(), body="  Hello there  "
    )
    assert relayed.text == "Hello there" and relayed.reply_to == sender.email
    with pytest.raises(TooManyRequests):
        contact.contact_send(actor=sender.user, sender=sender.entity, receiver_id=local.entity.pk, body="Hi")
    contact.contact_relay_release(relayed)  # not delivered: the allowance comes back
    contact.contact_send(actor=sender.user, sender=sender.entity, receiver_id=local.entity.pk, body="Hi")


def test_a_message_from_another_node_is_emailed_with_the_senders_reply_to(make_member):
    from mccs.core.errors import InvalidRequest, NotFound
    from mccs.directory import contact
    from mccs.notifications.models import OutboxEmail

    receiver = make_member("bob@example.org", status=EntityStatus.ACCEPTED, name="Bob")
    unlisted = make_member()
    contact.contact_deliver_relayed(
        receiver_id=receiver.entity.pk,
        sender_id=uuid.uuid4(),
        sender_name="Alice",
        sender_node="t/b1",
        reply_to="alice@b1.example",
        body="Do you sell honey?",
    )
    mail = OutboxEmail.objects.order_by("-pk").first()
    assert mail is not None
    assert mail.to == ["bob@example.org"] and mail.reply_to == ["alice@b1.example"]
    assert "Alice (t/b1)" in mail.body and "Do you sell honey?" in mail.body
    with pytest.raises(InvalidRequest):
        contact.contact_deliver_relayed(
            receiver_id=receiver.entity.pk,
            sender_id="",
            sender_name="A",
            sender_node="t",
            reply_to="x",
            body="Hi",
        )
    with pytest.raises(NotFound):
        contact.contact_deliver_relayed(
            receiver_id=unlisted.entity.pk,
            sender_id="",
            sender_name="A",
            sender_node="t",
            reply_to="a@b.c",
            body="Hi",
        )


def test_matches_include_members_of_other_nodes(make_member):
    me = make_member(status=EntityStatus.ACCEPTED, name="Baker", offers=["bread"], wants=["flour"])
    make_member(status=EntityStatus.ACCEPTED, name="Local Miller", offers=["flour"])
    network.remote_copy_apply(
        via="t", entries=[entry("Remote Miller", offers=["flour"]), entry("Remote Cafe", wants=["bread"])]
    )
    matches = network.network_matches(me.entity)
    assert [e.name for e in matches.offer_what_you_want] == ["Local Miller", "Remote Miller"]
    assert [e.name for e in matches.want_what_you_offer] == ["Remote Cafe"]


def test_the_dashboard_matches_panel_names_a_remote_members_node(make_member, client):
    me = make_member(status=EntityStatus.ACCEPTED, name="Baker", offers=["bread"], wants=["flour"])
    network.remote_copy_apply(via="t", entries=[entry("Remote Miller", offers=["flour"])])
    client.force_login(me.user)
    page = client.get("/directory/matches").content.decode()
    assert "Remote Miller</a> (t/b2)" in page


def test_local_entities_keep_the_alpha_fields_everywhere(make_member, api):
    """node and accountPath are additions for remote results only: no answer about a local entity has them."""
    member = make_member(status=EntityStatus.ACCEPTED, offers=["flour"])
    own = member.api.get_json("/user/entities").json()["data"][0]
    listed = api.get_json(f"/entities/{member.entity.pk}").json()["data"]
    for data in (own, listed):
        assert "node" not in data and "accountPath" not in data
