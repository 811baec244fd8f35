"""The daily match digest includes members of other nodes from the network directory's copy (issue 11, ADR 0120):
each labelled with its node and linked to its page in this node's web directory, never with an email address; a
remote member that appeared, or gained a matching tag, in the window is news like a local one."""

from __future__ import annotations

import pytest

from mccs.directory import digest, network
from mccs.directory.models import Entity
from mccs.notifications.models import OutboxEmail
from mccs.notifications.services import email_render
from tests.directory.conftest import remote_entry as entry

pytestmark = pytest.mark.django_db


def digests() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(dedupe_key__startswith="match-digest:").order_by("id"))


def test_a_remote_member_is_listed_with_its_node_and_its_page_and_never_an_email(alice, make_member, client):
    miller = entry("Miller", wants=["breads"], email="miller@b2.example", telephone="555 0100")
    beekeeper = entry("Beekeeper", offers=["raw-honey"], node="t/b1/c")
    network.remote_copy_apply(via="t", entries=[miller, beekeeper])
    make_member(name="Local Wants Bread", status="accepted", wants=["bread"])

    assert digest.digests_send() == 1
    (email,) = digests()
    subject, body = email_render(email)
    assert subject == "3 new matches for Alice Bakery on MCCS"
    assert "Local Wants Bread wants bread" in body  # a local member: no node
    assert "Miller, on node t/b2, wants breads" in body
    assert f"/directory/entities/{miller['id']}" in body
    assert "Beekeeper, on node t/b1/c, offers raw-honey" in body
    assert f"/directory/entities/{beekeeper['id']}" in body
    # What a neighbour sent beyond the public fields reaches neither the queued context nor the email.
    assert "miller@b2.example" not in body and "miller@b2.example" not in str(email.context)
    assert "555 0100" not in body and "555 0100" not in str(email.context)
    # Exact matches rank before plurals and parts of words, local and remote alike.
    assert body.index("Local Wants Bread") < body.index("Miller")

    # The link opens the remote member's page in the web directory, which names its node.
    client.force_login(alice.user)
    page = client.get(f"/directory/entities/{miller['id']}")
    assert page.status_code == 200 and "t/b2" in page.content.decode()


def test_remote_members_that_appear_or_gain_a_tag_in_the_window_are_new(alice, clock):
    old = entry("Old Miller", wants=["bread"])
    network.remote_copy_apply(via="t", entries=[old])
    assert digest.digests_send() == 1
    assert "Old Miller" in email_render(digests()[-1])[1]

    # A day later: the same copy refreshed unchanged is not news; nothing is sent.
    clock.advance(hours=24)
    network.remote_copy_apply(via="t", entries=[old])
    assert digest.digests_send() == 0

    # Then Old Miller gains a matching want, and a new member of another node appears.
    clock.advance(hours=1)
    network.remote_copy_apply(
        via="t",
        entries=[
            {**old, "wants": ["bread", "organic-bread"]},
            entry("New Hives", offers=["honey"], node="t/b3"),
        ],
    )
    clock.advance(hours=24)
    assert digest.digests_send() == 1
    body = email_render(digests()[-1])[1]
    assert "Old Miller, on node t/b2, wants bread, organic-bread" in body
    assert "New Hives, on node t/b3, offers honey" in body

    # A member the copy forgets is not listed again, and nothing else is new.
    network.remote_copy_prune(via="t", keep=set())
    clock.advance(hours=25)
    assert digest.digests_send() == 0
    assert len(digests()) == 2


def test_digest_send_one_finds_remote_members_too(alice):
    miller = entry("Miller", wants=["bread"])
    network.remote_copy_apply(via="t", entries=[miller])
    entity = Entity.objects.get(pk=alice.entity.pk)
    assert digest.digest_send_one(entity, moment=digest.now()) is True
    assert f"/directory/entities/{miller['id']}" in email_render(digests()[-1])[1]


def test_the_node_label_is_translated(alice):
    network.remote_copy_apply(via="t", entries=[entry("Miller", wants=["bread"])])
    digest.digests_send()
    email = digests()[-1]
    expected = {
        "es": "Miller, del nodo t/b2, busca bread",
        "fr": "Miller, du nœud t/b2, cherche bread",
        "de": "Miller vom Knoten t/b2 sucht bread",
    }
    for language, text in expected.items():
        email.language = language
        assert text in email_render(email)[1], language
