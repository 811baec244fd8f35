"""`mccs seed --demo` fills a believable small network, with transfers made through the ledger services."""

from __future__ import annotations

from mccs.directory.models import Category, Entity, EntityStatus
from mccs.ledger.audit import ledger_audit
from mccs.ledger.models import Transfer
from mccs.seed import DEMO_MEMBERS, seed_demo


def test_seed_demo_network(db, api):
    assert "Loaded 33 demo member(s) and 6 transfer(s)" in seed_demo()
    assert Entity.objects.count() == len(DEMO_MEMBERS) >= 30
    assert set(Entity.objects.values_list("status", flat=True)) == set(EntityStatus.values)
    assert Category.objects.count() >= 10
    assert Transfer.objects.filter(state="completed").count() == 6
    assert ledger_audit() == []
    found = [e["name"] for e in api.get_json("/entities?offers=vegetalbes").json()["data"]]
    assert {"Bob's Organic Farm", "Will's Wholefoods"} <= set(found)
    assert "Loaded 0 demo member(s) and 0 transfer(s)" in seed_demo()  # a second run adds nothing
    assert seed_demo(only_if_empty=True).startswith("The database already has entities")


def test_seeding_queues_no_demo_emails_and_ends_with_the_password(db):
    from mccs.notifications.models import OutboxEmail
    from mccs.seed import DEMO_PASSWORD

    output = seed_demo()
    assert not OutboxEmail.objects.exists()  # nothing to bury the hint under when the worker starts
    box = output[output.index("+--") :].splitlines()
    assert box[0].startswith("+--") and box[-1].startswith("+--") and output.endswith(box[-1])
    assert f"password: {DEMO_PASSWORD}" in box[1]
    assert DEMO_PASSWORD in seed_demo(only_if_empty=True)  # also when the demo was loaded before
