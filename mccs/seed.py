"""Demo data for `mccs seed --demo`: a small believable network of local businesses.

Members sign up through the same use-case as real ones; a few trade through the ledger services, so balances,
postings and the audit log are as real as they get.
"""

from __future__ import annotations

from mccs.core.amount import Amount
from mccs.core.clock import now
from mccs.directory.models import Category, Entity, EntityStatus
from mccs.ledger.onboarding import member_sign_up

DEMO_PASSWORD = "demo-password-2024"
TA, TP, TR, AC, PE, RE = (
    EntityStatus.TRADING_ACCEPTED,
    EntityStatus.TRADING_PENDING,
    EntityStatus.TRADING_REJECTED,
    EntityStatus.ACCEPTED,
    EntityStatus.PENDING,
    EntityStatus.REJECTED,
)

# (login email, entity name, city, status, categories, offers, wants)
DEMO_MEMBERS = [
    (
        "alice@demo.mccs",
        "Alice's Bakery",
        "Leeds",
        TA,
        ["bakeries"],
        ["bread", "cakes", "catering"],
        ["flour", "organic-vegetables", "van-rental"],
    ),
    (
        "bob@demo.mccs",
        "Bob's Organic Farm",
        "Otley",
        TA,
        ["agriculture"],
        ["organic-vegetables", "eggs", "honey"],
        ["van-rental", "bread", "web-design"],
    ),
    (
        "carol@demo.mccs",
        "Carol Computer Repair",
        "Leeds",
        TA,
        ["professional-services"],
        ["computer-repair", "web-design", "it-support"],
        ["catering", "honey", "office-cleaning"],
    ),
    (
        "dev@demo.mccs",
        "Dev's Van Hire",
        "Bradford",
        TA,
        ["transport"],
        ["van-rental", "removals", "deliveries"],
        ["accounting", "vehicle-repair", "coffee"],
    ),
    (
        "erin@demo.mccs",
        "Erin Accounting",
        "Leeds",
        TA,
        ["professional-services"],
        ["accounting", "bookkeeping", "payroll"],
        ["printing", "web-design", "lunch-catering"],
    ),
    (
        "frank@demo.mccs",
        "Frank's Garage",
        "Wakefield",
        TA,
        ["transport"],
        ["vehicle-repair", "mot-testing"],
        ["bookkeeping", "cleaning-services"],
    ),
    (
        "gita@demo.mccs",
        "Gita's Café",
        "Leeds",
        TA,
        ["cafes"],
        ["coffee", "lunch-catering", "cakes"],
        ["organic-vegetables", "eggs", "milk", "printing"],
    ),
    (
        "hugo@demo.mccs",
        "Hugo Print Studio",
        "Harrogate",
        TA,
        ["professional-services"],
        ["printing", "3d-printing", "graphic-design"],
        ["computer-repair", "coffee"],
    ),
    (
        "isla@demo.mccs",
        "Isla's Cleaning Co",
        "Leeds",
        TA,
        ["cleaning-services"],
        ["office-cleaning", "window-cleaning", "cleaning-services"],
        ["vehicle-repair", "accounting"],
    ),
    (
        "jon@demo.mccs",
        "Jon the Plumber",
        "York",
        TA,
        ["trades"],
        ["plumbing", "heating-repair"],
        ["van-rental", "bookkeeping"],
    ),
    (
        "kemi@demo.mccs",
        "Kemi Yoga Studio",
        "Leeds",
        TA,
        ["well-being"],
        ["yoga-classes", "massage", "well-being"],
        ["graphic-design", "window-cleaning"],
    ),
    (
        "liam@demo.mccs",
        "Liam's Dairy",
        "Skipton",
        TA,
        ["agriculture"],
        ["milk", "cheese", "butter"],
        ["vehicle-repair", "deliveries"],
    ),
    (
        "maya@demo.mccs",
        "Maya Translation",
        "Leeds",
        TP,
        ["professional-services"],
        ["translation", "proofreading"],
        ["it-support", "coffee"],
    ),
    (
        "nils@demo.mccs",
        "Nils Bike Workshop",
        "Leeds",
        TP,
        ["transport"],
        ["bike-repair", "bicycles"],
        ["printing", "cakes"],
    ),
    (
        "olga@demo.mccs",
        "Olga's Tailoring",
        "Halifax",
        TP,
        ["retail"],
        ["tailoring", "clothing-repair"],
        ["window-cleaning", "web-design"],
    ),
    (
        "pete@demo.mccs",
        "Pete's Pizzeria",
        "Leeds",
        AC,
        ["restaurants"],
        ["pizza", "take-away", "catering"],
        ["flour", "cheese", "tomatoes", "deliveries"],
    ),
    (
        "quinn@demo.mccs",
        "Quinn Carpentry",
        "Ilkley",
        AC,
        ["trades"],
        ["carpentry", "furniture-repair"],
        ["timber", "van-rental"],
    ),
    (
        "rosa@demo.mccs",
        "Rosa's Flowers",
        "Leeds",
        AC,
        ["retail"],
        ["flowers", "wedding-flowers"],
        ["deliveries", "graphic-design"],
    ),
    (
        "sam@demo.mccs",
        "Sam's Brewery",
        "Otley",
        AC,
        ["food-and-drink"],
        ["micro-brewed-beer", "cider"],
        ["printing", "hops", "deliveries"],
    ),
    (
        "tara@demo.mccs",
        "Tara Dog Walking",
        "Leeds",
        AC,
        ["pets"],
        ["dog-sitting", "dog-walking"],
        ["web-design", "vehicle-repair"],
    ),
    (
        "umar@demo.mccs",
        "Umar's Electricals",
        "Bradford",
        TR,
        ["trades"],
        ["electrical-repair", "lighting"],
        ["bookkeeping", "coffee"],
    ),
    (
        "vera@demo.mccs",
        "Vera Piano Tuning",
        "York",
        TA,
        ["music"],
        ["piano-tuning", "music-lessons"],
        ["van-rental", "removals"],
    ),
    (
        "will@demo.mccs",
        "Will's Wholefoods",
        "Leeds",
        TA,
        ["retail", "food-and-drink"],
        ["organic-vegetables", "flour", "dried-fruit"],
        ["deliveries", "shop-fitting", "accounting"],
    ),
    (
        "xena@demo.mccs",
        "Xena Web Studio",
        "Leeds",
        TA,
        ["professional-services"],
        ["web-design", "seo", "photography"],
        ["coffee", "yoga-classes", "accounting"],
    ),
    (
        "yusuf@demo.mccs",
        "Yusuf's Tea Room",
        "Harrogate",
        TA,
        ["cafes"],
        ["teas", "cakes", "afternoon-tea"],
        ["milk", "flowers", "window-cleaning"],
    ),
    (
        "zoe@demo.mccs",
        "Zoe Art Supplies",
        "Leeds",
        TA,
        ["retail"],
        ["art-supplies", "picture-framing"],
        ["carpentry", "printing"],
    ),
    (
        "amir@demo.mccs",
        "Amir Removals",
        "Wakefield",
        TA,
        ["transport"],
        ["removals", "storage", "van-rental"],
        ["vehicle-repair", "office-cleaning"],
    ),
    (
        "beth@demo.mccs",
        "Beth's Garden Care",
        "Ilkley",
        AC,
        ["trades"],
        ["gardening", "hedge-trimming"],
        ["tools", "van-rental"],
    ),
    (
        "chen@demo.mccs",
        "Chen's Noodle Bar",
        "Leeds",
        TP,
        ["restaurants"],
        ["noodles", "dim-sum", "take-away"],
        ["vegetables", "deliveries"],
    ),
    (
        "dina@demo.mccs",
        "Dina Hair Studio",
        "York",
        TA,
        ["well-being"],
        ["haircuts", "hair-colouring"],
        ["towels", "accounting", "massage"],
    ),
    ("ed@demo.mccs", "Ed's Sound Hire", "Leeds", PE, ["music"], ["sound-hire", "dj"], ["van-rental"]),
    (
        "fay@demo.mccs",
        "Fay's Fabrics",
        "Halifax",
        PE,
        ["retail"],
        ["fabric", "sewing-classes"],
        ["tailoring"],
    ),
    ("gus@demo.mccs", "Gus Scrap Dealer", "Bradford", RE, [], ["scrap-metal"], ["van-rental"]),
]

# (payer email, payee email, amount, description): made through transfer_propose + transfer_accept.
DEMO_TRANSFERS = [
    ("alice@demo.mccs", "bob@demo.mccs", "42.50", "Organic vegetables for the week"),
    ("bob@demo.mccs", "dev@demo.mccs", "80.00", "Van rental, two days"),
    ("gita@demo.mccs", "alice@demo.mccs", "36.00", "Cakes for the café"),
    ("carol@demo.mccs", "erin@demo.mccs", "120.00", "Quarterly bookkeeping"),
    ("erin@demo.mccs", "hugo@demo.mccs", "25.00", "Business cards"),
    ("dev@demo.mccs", "frank@demo.mccs", "95.00", "Van service"),
]


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
                "receive_daily_match_notification_email": status == TA,
            },
        )
        # Statuses are set directly rather than through entity_status_set, which would email each demo member.
        Entity.objects.filter(pk=result.entity.pk).update(
            status=status, member_started_at=now() if status == TA else None
        )
        result.entity.categories.set(_categories(categories))
        created += 1
    transfers = seed_transfers()
    OutboxEmail.objects.exclude(pk__in=queued_before).filter(sent_at__isnull=True).delete()
    return (
        f"Loaded {created} demo member(s) and {transfers} transfer(s); each signs in with password "
        f"{DEMO_PASSWORD!r} (e.g. alice@demo.mccs).\n" + sign_in_hint()
    )
