"""A small, realistic network and the list of every page of the web UI, for the whole-site browser checks
(no horizontal overflow on a phone, axe-core accessibility scan, screenshots for the docs)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mccs.directory import curation
from mccs.directory.models import EntityStatus
from mccs.directory.synonyms import synonym_group_create
from mccs.federation import services as federation
from mccs.ledger.models import Transfer
from mccs.notifications.models import OutboxEmail
from mccs.users.services import admin_create_or_reset
from tests.conftest import PASSWORD
from tests.ledger.conftest import act, propose

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Network:
    admin_email: str
    member_email: str
    newcomer_email: str
    pages: dict[str, list[str]]


def build_network(make_member) -> Network:
    """Members in every state, long names and addresses, completed, pending and rejected transfers."""
    admin = admin_create_or_reset(email="administrator.with.a.long.address@example.org", password=PASSWORD)[0]
    for name in ("Bakeries & Patisserie", "Transport", "Repairs"):
        curation.category_create(actor=admin, name=name)
    alice = make_member(
        "alice.longname-of-the-bakery@example.org",
        name="Alice's Bakery and Neighbourhood Café Cooperative",
        status=EntityStatus.TRADING_ACCEPTED,
        offers=["bread", "cakes", "wedding-cakes", "catering"],
        wants=["organic-vegetables", "van-rental"],
        city="Leeds",
        description="Sourdough, cakes and lunches for the whole street since 1987.",
    )
    bob = make_member(
        "bob@example.org",
        name="Bob's Organic Farm",
        status=EntityStatus.TRADING_ACCEPTED,
        offers=["organic-vegetables", "eggs"],
        wants=["bread"],
        city="Otley",
    )
    carol = make_member("carol@example.org", name="Carol Repairs", status=EntityStatus.TRADING_ACCEPTED)
    newcomer = make_member("newcomer@example.org", name="Newcomer Noodles", offers=["noodles"])
    make_member("listed@example.org", name="Listed Larder", status=EntityStatus.TRADING_PENDING)
    for amount, description in ((42.5, "Vegetables for the week"), (12, "Eggs")):
        act(
            alice,
            propose(bob, alice, amount, direction="in", description=description).json()["data"]["id"],
            "accept",
        )
    act(
        alice,
        propose(bob, alice, 18.25, description="Bread for the market stall").json()["data"]["id"],
        "accept",
    )
    propose(alice, bob, 7.5, description="Two loaves, pending")
    propose(carol, alice, 30, description="Fixing the oven door")
    rejected = propose(alice, carol, 99, description="A very long description " * 8).json()["data"]["id"]
    act(carol, rejected, "reject", reason="We agreed on a lower price for this, please send it again")
    synonym_group_create(actor=admin, words=["mechanic", "car repair", "vehicle maintenance and servicing"])
    federation.federation_init(name="market-town")
    federation.branch_add(
        name="riverside-community-exchange", url="https://riverside-community-exchange.example.org/cc"
    )
    # One email given up and one being retried, with long addresses and server answers (/admin/emails).
    first, second = OutboxEmail.objects.order_by("id")[:2]
    OutboxEmail.objects.filter(pk=first.pk).update(
        failed_at=first.created_at,
        attempts=3,
        last_error="SMTPRecipientsRefused: {'"
        + first.to[0]
        + "': (550, b'5.1.1 <recipient.with.a.very.long.address@example.org>: Recipient address rejected: "
        "UserUnknownInVirtualMailboxTable')}",
    )
    OutboxEmail.objects.filter(pk=second.pk).update(
        attempts=4, last_error="SMTPRecipientsRefused: (451, b'4.7.1 Greylisted, please try again later')"
    )
    entity_id = bob.entity.pk
    transfer = Transfer.objects.filter(state="pending").first()
    assert transfer is not None
    pages = {
        "visitor": [
            "/",
            "/login",
            "/signup",
            "/password-reset",
            "/password-reset/not-a-token",
            "/directory",
            "/directory?offers=vegetables",
            "/directory/categories",
            f"/directory/entities/{entity_id}",
            "/no-such-page",
        ],
        "member": [
            "/dashboard",
            "/transfers",
            "/transfers?date_from=2030-01-02&date_to=2030-01-01",
            "/transfers/new",
            f"/transfers/new?to={bob.entity.account.number}&amount=7.50&description=Eggs",
            "/get-paid",
            "/get-paid?amount=12.50&description=Bread",
            "/offline",
            "/profile",
            "/profile/entity",
            "/password-change",
            "/directory",
            "/directory?offers=vegetables",
            "/directory/matches",
            "/directory/categories",
            f"/directory/entities/{entity_id}",
        ],
        "newcomer": ["/dashboard", "/transfers", "/transfers/new"],
        "admin": [
            "/admin/",
            "/admin/overview",
            "/admin/entities",
            f"/admin/entities/{alice.entity.pk}",
            "/admin/users",
            f"/admin/users/{alice.user.pk}",
            "/admin/categories",
            "/admin/tags",
            "/admin/synonyms",
            "/admin/transfers",
            "/admin/logs",
            "/admin/federation",
            "/admin/emails",
        ],
    }
    return Network(
        admin_email=admin.email,
        member_email=alice.email,
        newcomer_email=newcomer.email,
        pages=pages,
    )


def sign_in_as(page, network: Network, role: str) -> None:
    email = {"member": network.member_email, "newcomer": network.newcomer_email, "admin": network.admin_email}
    if role == "visitor":
        return
    page.goto("/login")
    # By the fields' names, not their labels: the same in every language.
    page.locator("#id_email").fill(email[role])
    page.locator("#id_password").fill(PASSWORD)
    page.locator('main form[action="/login"] button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/(dashboard|admin/)$"))


def slug(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"


def wait_until_dashboard_settled(page) -> None:
    """Everything the dashboard starts in the background has finished: the matches panel has loaded and the
    service worker has kept the member's pages. A test that then clears the cookies models a browser whose cookies
    went away while the page sat idle; without this wait, an answer still on its way would set them again."""
    page.wait_for_selector('[hx-get="/directory/matches/panel"]', state="detached")
    page.wait_for_selector("html[data-pages-kept]", state="attached")
