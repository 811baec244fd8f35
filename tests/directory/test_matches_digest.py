"""Matches (dashboard) and the daily match digest: content, opt-in, since-last-login, never twice."""

from __future__ import annotations

import datetime

from django.conf import settings as django_settings
from django.core import mail

from mccs.directory import digest
from mccs.directory.models import Entity
from mccs.directory.search import entity_matches, matches_for_dashboard
from mccs.directory.services import entity_update
from mccs.notifications.models import OutboxEmail
from mccs.notifications.services import email_render
from tests.conftest import deliver_outbox


def body_of(email: OutboxEmail) -> str:
    """The text the worker will send (digests are rendered when sent, ADR 0090)."""
    return email_render(email)[1]


def digests():
    return list(OutboxEmail.objects.filter(dedupe_key__startswith="match-digest:").order_by("id"))


def test_matches_both_directions_with_the_same_matching(alice, make_member):
    make_member(name="Wants Bread", status="accepted", wants=["breads"])
    make_member(name="Offers Honey", status="accepted", offers=["raw-honey"])
    make_member(name="Offers Hony Typo", status="accepted", offers=["hony"])
    make_member(name="Pending Wants Bread", status="pending", wants=["bread"])
    make_member(name="Unrelated", status="accepted", offers=["soap"], wants=["wax"])
    matches = entity_matches(Entity.objects.get(pk=alice.entity.pk))
    assert [e.name for e in matches.want_what_you_offer] == ["Wants Bread"]
    assert [e.name for e in matches.offer_what_you_want] == [
        "Offers Honey",
        "Offers Hony Typo",
    ]  # wildcard, then typo


def test_dashboard_matches_since_last_login(alice, make_member, clock):
    make_member(name="Old Match", status="accepted", wants=["bread"])
    clock.advance(days=1)
    alice.user.previous_login = clock.now()
    clock.advance(days=1)
    make_member(name="New Match", status="accepted", wants=["bread"])
    entity = Entity.objects.get(pk=alice.entity.pk)
    matches, since = matches_for_dashboard(entity, alice.user)
    assert since is None and {e.name for e in matches.want_what_you_offer} == {"Old Match", "New Match"}
    entity.show_tags_matched_since_last_login = True
    matches, since = matches_for_dashboard(entity, alice.user)
    assert since == alice.user.previous_login
    assert [e.name for e in matches.want_what_you_offer] == ["New Match"]


def test_digest_content_opt_in_and_no_duplicates(alice, make_member, monkeypatch):
    bob = make_member(
        "bob@example.org",
        name="Bob's Farm",
        status="accepted",
        wants=["bread"],
        offers=["eggs"],
        receive_daily_match_notification_email=False,
    )
    make_member(
        name="Pending Opted In",
        status="pending",
        wants=["bread"],
        receive_daily_match_notification_email=True,
    )
    assert digest.digests_send() == 1  # only Alice: Bob did not opt in, the pending entity is not listed
    deliver_outbox()
    sent = [m for m in mail.outbox if "match" in m.subject]
    assert len(sent) == 1
    message = sent[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "1 new match for Alice Bakery on MCCS"
    assert "Members who want what you offer:" in message.body
    assert "Bob's Farm wants bread" in message.body
    assert f"/directory/entities/{bob.entity.id}" in message.body
    assert "offer what you want" not in message.body
    # Again, at once and when forced: nothing new, nothing sent.
    assert digest.digests_send() == 0
    assert digest.digests_send(force=True) == 0
    # A new matching offer appears; the forced run sends only that one.
    make_member(name="Honey Co", status="accepted", offers=["honey"])
    assert digest.digests_send() == 0  # a day has not passed yet
    assert digest.digests_send(force=True) == 1
    body = body_of(digests()[-1])
    assert "Honey Co offers honey" in body and "Bob's Farm" not in body
    assert len(digests()) == 2


def test_digest_waits_a_day_between_runs(alice, make_member, clock):
    make_member(name="Wants Bread", status="accepted", wants=["bread"])
    assert digest.digests_send() == 1
    make_member(name="Wants Bread Too", status="accepted", wants=["bread"])
    clock.advance(hours=23)
    assert digest.digests_send() == 1  # within the slack of the hourly check
    assert "Wants Bread Too" in body_of(digests()[-1]) and "Wants Bread\n" not in body_of(digests()[-1])


def test_own_new_tag_matches_old_tags_of_others(alice, make_member, clock):
    make_member(name="Old Wants Cake", status="accepted", wants=["cakes"])
    assert digest.digests_send() == 0  # nobody wants Alice's bread or offers her honey
    clock.advance(hours=20)  # Old Wants Cake's tags are now older than Alice's last digest
    assert digest.digests_send(force=True) == 0  # still nothing new for Alice
    response = alice.api.patch_json(f"/user/entities/{alice.entity.id}", {"offers": ["bread", "cake"]})
    assert response.status_code == 200, response.content
    assert digest.digests_send(force=True) == 1
    assert "Old Wants Cake wants cakes" in body_of(digests()[-1])


def test_a_stale_second_worker_does_not_send_again(alice, make_member):
    make_member(name="Wants Bread", status="accepted", wants=["bread"])
    stale = Entity.objects.get(pk=alice.entity.pk)
    moment = digest.now()
    assert digest.digest_send_one(Entity.objects.get(pk=alice.entity.pk), moment=moment) is True
    assert digest.digest_send_one(stale, moment=moment) is False
    assert len(digests()) == 1


def test_worker_runs_the_digest_and_the_command_sends_it(alice, make_member, capsys):
    assert ("mccs.directory.digest.digests_send", 3600) in django_settings.MCCS_PERIODIC_TASKS
    make_member(name="Wants Bread", status="accepted", wants=["bread"])
    from mccs.cli import main

    assert main(["send-daily-digest"]) == 0
    assert "Queued 1 daily match email(s)." in capsys.readouterr().out
    assert len(digests()) == 1


def test_a_match_seen_before_is_sent_again_when_it_reappears_in_a_later_window(make_member, clock):
    alice = make_member(
        status="tradingAccepted", name="Alice", offers=["bread"], receive_daily_match_notification_email=True
    )
    bob = make_member(status="accepted", name="Bob", wants=["bread"])
    first = digest.now()
    assert digest.digest_send_one(Entity.objects.get(pk=alice.entity.pk), moment=first) is True
    # Later that day Bob adds another want that matches Alice: same match set, but new news.
    clock.advance(hours=12)
    entity_update(
        actor=bob.user, entity=Entity.objects.get(pk=bob.entity.pk), changes={"wants": ["bread", "cakes"]}
    )
    alice_entity = Entity.objects.get(pk=alice.entity.pk)
    entity_update(actor=alice.user, entity=alice_entity, changes={"offers": ["bread", "cakes"]})
    second = first + datetime.timedelta(days=1)
    assert digest.digest_send_one(Entity.objects.get(pk=alice.entity.pk), moment=second) is True
    assert OutboxEmail.objects.filter(dedupe_key__startswith="match-digest:").count() == 2
