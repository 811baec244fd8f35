"""Demo data for `mccs seed --demo`: a small believable network of local businesses (the members and transfers
are data, in ``demo_network.json``).

Members sign up through the same use-case as real ones; a few trade through the ledger services, so balances,
postings and the audit log are as real as they get.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from mccs.core.amount import Amount
from mccs.core.clock import now
from mccs.directory.models import Category, Entity, EntityStatus
from mccs.ledger.onboarding import member_sign_up

DEMO_PASSWORD = "demo-password-2024"
DATA_FILE = Path(__file__).with_name("demo_network.json")


class DemoMember(NamedTuple):
    email: str  # signs in with DEMO_PASSWORD
    name: str
    city: str
    status: EntityStatus
    categories: list[str]
    offers: list[str]
    wants: list[str]


class DemoTransfer(NamedTuple):
    """Made through transfer_propose + transfer_accept."""

    payer: str  # email
    payee: str  # email
    amount: str
    description: str


_data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
DEMO_MEMBERS = [
    DemoMember(**{**member, "status": EntityStatus(member["status"])}) for member in _data["members"]
]
DEMO_TRANSFERS = [DemoTransfer(**transfer) for transfer in _data["transfers"]]


def _categories(names: list[str]) -> list[Category]:
    return [Category.objects.get_or_create(name=name)[0] for name in names]


def seed_transfers() -> int:
    """A few completed transfers between trading members, through the ledger's own services."""
    from mccs.ledger.models import Transfer
    from mccs.ledger.services import transfer_accept, transfer_propose
    from mccs.users.models import User

    if Transfer.objects.exists():
        return 0
    made = 0
    for payer_email, payee_email, amount, description in DEMO_TRANSFERS:
        payer = User.objects.get(email=payer_email)
        payee = User.objects.get(email=payee_email)
        payer_entity = Entity.objects.select_related("account").get(users=payer)
        payee_entity = Entity.objects.select_related("account").get(users=payee)
        transfer = transfer_propose(
            actor=payer,
            initiator=payer_entity.account.number,
            receiver=payee_entity.account.number,
            direction="out",
            amount=Amount.parse(amount),
            description=description,
        )
        transfer_accept(actor=payee, transfer_id=transfer.pk)
        made += 1
    return made


def sign_in_hint() -> str:
    """The one thing a person running the demo needs, framed so that it stands out in a terminal."""
    lines = [
        f"Demo members sign in with the password: {DEMO_PASSWORD}",
        "for example alice@demo.mccs (trading) or ed@demo.mccs (waiting for approval). Administrators:",
        "create one with: mccs createadmin --email you@example.org --password <a long password>",
    ]
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line.ljust(width)} |" for line in lines), rule])


def seed_demo(*, only_if_empty: bool = False) -> str:
    if only_if_empty and Entity.objects.exists():
        return "The database already has entities; demo data not loaded.\n" + sign_in_hint()
    # Demo addresses are not real people: the welcome and transfer emails that seeding queues are dropped, so a
    # fresh `make run` does not bury the sign-in hint under pages of demo emails.
    from mccs.notifications.models import OutboxEmail

    queued_before = set(OutboxEmail.objects.values_list("pk", flat=True))
    created = 0
    for email, name, city, status, categories, offers, wants in DEMO_MEMBERS:
        if Entity.objects.filter(users__email=email).exists():
            continue
        result = member_sign_up(
            email=email,
            password=DEMO_PASSWORD,
            user_fields={},
            issue_token=False,
            entity_fields={
                "name": name,
                "city": city,
                "country": "England",
                "offers": offers,
                "wants": wants,
                "receive_daily_match_notification_email": status == EntityStatus.TRADING_ACCEPTED,
            },
        )
        # Statuses are set directly rather than through entity_status_set, which would email each demo member.
        Entity.objects.filter(pk=result.entity.pk).update(
            status=status, member_started_at=now() if status == EntityStatus.TRADING_ACCEPTED else None
        )
        result.entity.categories.set(_categories(categories))
        created += 1
    transfers = seed_transfers()
    OutboxEmail.objects.exclude(pk__in=queued_before).filter(sent_at__isnull=True).delete()
    return (
        f"Loaded {created} demo member(s) and {transfers} transfer(s); each signs in with password "
        f"{DEMO_PASSWORD!r} (e.g. alice@demo.mccs).\n" + sign_in_hint()
    )
