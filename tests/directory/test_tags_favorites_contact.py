"""GET /tags, GET /categories, POST /favorites and POST /send-email (relayed through a real SMTP server)."""

from __future__ import annotations

import pytest

from mccs.audit.models import AuditEntry
from mccs.directory.models import ContactMessage, EntityStatus
from tests.conftest import deliver_outbox
from tests.directory.conftest import names


def test_tags_all_and_by_fragment(api, make_member):
    make_member(offers=["micro-brewed-beer", "well-being", "pizza"], wants=["beef", "bees"])
    all_tags = api.get_json("/tags?page_size=100").json()
    assert [t["name"] for t in all_tags["data"]] == sorted(
        ["micro-brewed-beer", "well-being", "pizza", "beef", "bees"]
    )
    assert all_tags["meta"] == {"numberOfResults": 5, "totalPages": 1}
    assert set(names(api.get_json("/tags?fragment=be"))) == {
        "micro-brewed-beer",
        "well-being",
        "beef",
        "bees",
    }
    assert names(api.get_json("/tags?fragment=bee"))[0] == "bees"  # the plural first, then containing ones
    assert names(api.get_json("/tags?fragment=piza")) == ["pizza"]  # typo
    assert names(api.get_json("/tags?fragment=zzzz")) == []
    assert api.get_json("/tags?page_size=0").status_code == 400


def test_categories_prefix_fragment_and_pagination(api, category):
    for name in ["transport", "teas", "carpentry", "cafes", "sports-equipment"]:
        category(name)
    assert names(api.get_json("/categories")) == [
        "cafes",
        "carpentry",
        "sports-equipment",
        "teas",
        "transport",
    ]
    assert names(api.get_json("/categories?prefix=t")) == ["teas", "transport"]
    assert names(api.get_json("/categories?prefix=tr")) == ["transport"]
    assert names(api.get_json("/categories?fragment=sport")) == ["sports-equipment", "transport"]
    assert names(api.get_json("/categories?fragment=tr")) == ["carpentry", "transport"]
    r = api.get_json("/categories?page=2&page_size=2")
    assert names(r) == ["sports-equipment", "teas"] and r.json()["meta"] == {
        "numberOfResults": 5,
        "totalPages": 3,
    }
    assert api.get_json("/categories?page=0").status_code == 400


def _fav(member, target, value=True, add_to=None):
    return member.api.post_json(
        "/favorites",
        {
            "addToEntityID": str(add_to or member.entity.id),
            "favoriteEntityID": str(target),
            "isFavorite": value,
        },
    )


def test_favorites_toggle_and_favorites_only(trader, make_member):
    a = make_member(name="Fav A", status="accepted", offers=["soap"])
    make_member(name="Not Fav", status="accepted", offers=["soap"])
    q = f"querying_entity_id={trader.entity.id}"
    r = _fav(trader, a.entity.id)
    assert r.status_code == 200 and r.content == b""
    assert names(trader.api.get_json(f"/entities?favorites_only=true&{q}")) == ["Fav A"]
    found = {
        e["name"]: e["isFavorite"] for e in trader.api.get_json(f"/entities?offers=soap&{q}").json()["data"]
    }
    assert found == {"Fav A": True, "Not Fav": False}
    assert trader.api.get_json(f"/entities/{a.entity.id}?{q}").json()["data"]["isFavorite"] is True
    assert _fav(trader, a.entity.id).status_code == 200  # idempotent
    assert AuditEntry.objects.filter(action="favorite.set").count() == 1
    assert _fav(trader, a.entity.id, False).status_code == 200
    assert names(trader.api.get_json(f"/entities?favorites_only=true&{q}")) == []
    assert AuditEntry.objects.filter(action="favorite.set").count() == 2


def test_favorite_refusals(api, trader, make_member):
    other = make_member(status="accepted")
    pending = make_member(status="pending")
    assert _fav(trader, other.entity.id, add_to=other.entity.id).status_code == 403  # not the caller's entity
    assert _fav(trader, pending.entity.id).status_code == 404  # unlisted
    assert _fav(trader, "nope").status_code == 404
    assert _fav(trader, trader.entity.id).status_code == 400
    assert _fav(trader, other.entity.id, add_to="nope").status_code == 400
    r = trader.api.post_json(
        "/favorites",
        {
            "addToEntityID": str(trader.entity.id),
            "favoriteEntityID": str(other.entity.id),
            "isFavorite": "yes",
        },
    )
    assert r.status_code == 400
    assert api.post_json("/favorites", {}).status_code == 401
    assert not trader.entity.favorites.exists()


def _send(member, receiver, body="Hello, do you still have honey?", sender=None):
    return member.api.post_json(
        "/send-email",
        {"senderEntityID": str(sender or member.entity.id), "receiverEntityID": str(receiver), "body": body},
    )


def test_contact_relay_reaches_smtp_with_reply_to_and_hides_receiver(smtp_server, make_member, settings):
    sender = make_member("sender@example.org", status="accepted", name="Sender & Sons")
    receiver = make_member("secret-receiver@example.org", status="tradingAccepted", name="Receiver")
    r = _send(sender, receiver.entity.id, body="Hello <Receiver>, do you still have honey?")
    assert r.status_code == 200
    assert b"secret-receiver" not in r.content
    deliver_outbox()
    mail = smtp_server.wait_for(
        lambda m: "secret-receiver@example.org" in m.envelope_to and "message" in m.subject
    )
    assert mail.message["To"] == "secret-receiver@example.org"
    assert mail.message["Reply-To"] == "sender@example.org"
    assert mail.message["From"] == settings.DEFAULT_FROM_EMAIL
    assert mail.subject == "Sender & Sons sent you a message through MCCS"
    assert "Hello <Receiver>, do you still have honey?" in mail.text
    assert AuditEntry.objects.filter(action="contact.send", entity_id=str(sender.entity.id)).exists()
    # Nothing the sender can read afterwards shows the receiver's address.
    for path in (f"/entities/{receiver.entity.id}", f"/entities?querying_entity_id={sender.entity.id}"):
        assert b"secret-receiver" not in sender.api.get_json(path).content


@pytest.mark.parametrize(
    "sender_status, receiver_status, code",
    [
        ("pending", "accepted", 403),
        ("rejected", "accepted", 403),
        ("accepted", "pending", 404),
        ("accepted", "rejected", 404),
        ("tradingRejected", "tradingPending", 200),
    ],
)
def test_only_listed_entities_send_to_listed_entities(make_member, sender_status, receiver_status, code):
    sender = make_member(status=sender_status)
    receiver = make_member(status=receiver_status)
    assert _send(sender, receiver.entity.id).status_code == code
    assert ContactMessage.objects.count() == (1 if code == 200 else 0)


def test_contact_refusals(api, make_member):
    sender = make_member(status="accepted")
    other = make_member(status="accepted")
    assert _send(sender, other.entity.id, sender=other.entity.id).status_code == 403
    assert _send(sender, other.entity.id, sender="nope").status_code == 400
    assert _send(sender, "nope").status_code == 404
    assert _send(sender, sender.entity.id).status_code == 400
    assert _send(sender, other.entity.id, body="   ").status_code == 400
    too_long = _send(sender, other.entity.id, body="x" * 5001)
    assert too_long.status_code == 400 and "5000" in too_long.json()["errors"][0]["message"]
    assert _send(sender, other.entity.id, body="x" * 5000).status_code == 200
    assert sender.api.post_json("/send-email", {"senderEntityID": str(sender.entity.id)}).status_code == 400
    assert api.post_json("/send-email", {}).status_code == 401


def test_contact_rate_limit(make_member, settings):
    settings.MCCS_CONTACT_LIMIT_PER_HOUR = 3
    sender = make_member(status="accepted")
    other = make_member(status=EntityStatus.TRADING_ACCEPTED)
    for _ in range(3):
        assert _send(sender, other.entity.id).status_code == 200
    r = _send(sender, other.entity.id)
    assert r.status_code == 429
    assert "3 messages in the last hour" in r.json()["errors"][0]["message"]
    assert int(r["Retry-After"]) > 0
    assert ContactMessage.objects.count() == 3
