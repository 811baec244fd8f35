"""Demo data for `mccs seed --demo` (grows with each issue)."""

from __future__ import annotations

from mccs.directory.models import Entity, EntityStatus
from mccs.ledger.onboarding import member_sign_up

DEMO_PASSWORD = "demo-password-2024"

DEMO_MEMBERS = [
    ("alice@demo.mccs", "Alice's Bakery", ["bread", "cakes", "catering"], ["flour", "organic-vegetables"]),
    ("bob@demo.mccs", "Bob's Organic Farm", ["organic-vegetables", "eggs", "honey"], ["van-rental", "bread"]),
    ("carol@demo.mccs", "Carol Computer Repair", ["computer-repair", "web-design"], ["catering", "honey"]),
]


def seed_demo(*, only_if_empty: bool = False) -> str:
    if only_if_empty and Entity.objects.exists():
        return "The database already has entities; demo data not loaded."
    created = 0
    for email, name, offers, wants in DEMO_MEMBERS:
        if Entity.objects.filter(users__email=email).exists():
            continue
        result = member_sign_up(email=email, password=DEMO_PASSWORD, user_fields={},
                                entity_fields={"name": name, "offers": offers, "wants": wants}, issue_token=False)
        Entity.objects.filter(pk=result.entity.pk).update(status=EntityStatus.TRADING_ACCEPTED)
        created += 1
    return f"Loaded {created} demo member(s); each signs in with password {DEMO_PASSWORD!r}."
