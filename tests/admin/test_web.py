"""Admin web pages: staff only, every page renders, forms call the same services as the API."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.audit.models import AuditEntry
from mccs.directory.models import Category, Entity, EntityStatus, Tag
from mccs.ledger.audit import ledger_audit
from mccs.ledger.models import Account, Transfer

PAGES = [
    "/admin/",
    "/admin/entities",
    "/admin/users",
    "/admin/categories",
    "/admin/tags",
    "/admin/synonyms",
    "/admin/transfers",
    "/admin/logs",
]


@pytest.fixture
def staff(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("url", PAGES)
def test_members_are_refused(member, url):
    client = Client()
    client.force_login(member.user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_for_staff(staff, make_member, url):
    make_member(name="Queue Bakery", offers=["bread"])
    response = staff.get(url)
    assert response.status_code == 200
    assert b"<h1>" in response.content


def test_staff_sign_in_through_the_normal_login_reaches_admin(admin, db):
    client = Client()
    response = client.post("/login?next=/admin/", {"email": admin.email, "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_unknown_ids_are_404(staff):
    for url in ("/admin/entities/nope", "/admin/users/nope"):
        assert staff.get(url).status_code == 404
    assert staff.post("/admin/entities/nope/decide", {"decision": "accept"}).status_code == 404
    assert staff.post("/admin/categories/nope", {"action": "delete"}).status_code == 404


def test_queue_lists_waiting_entities_and_accepts_with_htmx(staff, make_member):
    pending = make_member(name="Waiting Bakery")
    trading = make_member(name="Wants To Trade", status=EntityStatus.TRADING_PENDING)
    make_member(name="Already In", status=EntityStatus.ACCEPTED)
    page = staff.get("/admin/").content.decode()
    assert "Waiting Bakery" in page and "Wants To Trade" in page and "Already In" not in page
    response = staff.post(
        f"/admin/entities/{pending.entity.pk}/decide", {"decision": "accept"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "is now: Listed, not trading yet." in response.content.decode()
    assert "<html" not in response.content.decode()  # a partial
    assert Entity.objects.get(pk=pending.entity.pk).status == "accepted"
    response = staff.post(f"/admin/entities/{trading.entity.pk}/decide", {"decision": "reject"})
    assert response.status_code == 302  # plain form post still works
    assert Entity.objects.get(pk=trading.entity.pk).status == "tradingRejected"
    entry = AuditEntry.objects.filter(action="entity.status_change").first()
    assert entry.changes == {"status": ["tradingPending", "tradingRejected"]}
    # Deciding again does nothing.
    staff.post(f"/admin/entities/{trading.entity.pk}/decide", {"decision": "accept"})
    assert Entity.objects.get(pk=trading.entity.pk).status == "tradingRejected"


def _entity_form(entity, **overrides):
    account = Account.objects.get(entity=entity)
    data = {
        "name": entity.name,
        "email": entity.email,
        "status": entity.status,
        "max_positive_balance": str(account.max_positive_balance / 100),
        "max_negative_balance": str(account.max_negative_balance / 100),
        "offers": "",
        "wants": "",
    }
    data.update(overrides)
    return data


def test_entity_page_edits_status_limits_and_categories(staff, member):
    Category.objects.create(name="food")
    response = staff.post(
        f"/admin/entities/{member.entity.pk}",
        _entity_form(
            member.entity,
            status="tradingAccepted",
            max_negative_balance="75.50",
            categories=["food"],
            city="Leeds",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entity = Entity.objects.get(pk=member.entity.pk)
    assert (
        entity.status == "tradingAccepted" and entity.member_started_at is not None and entity.city == "Leeds"
    )
    assert list(entity.categories.values_list("name", flat=True)) == ["food"]
    assert Account.objects.get(entity=entity).max_negative_balance == 7550
    assert {e.action for e in AuditEntry.objects.filter(entity_id=str(entity.pk), actor_is_admin=True)} == {
        "entity.update",
        "entity.status_change",
        "account.limits_change",
    }


def test_entity_page_shows_refusals_as_form_errors(staff, make_member):
    a = make_member(status=EntityStatus.TRADING_ACCEPTED)
    b = make_member(status=EntityStatus.TRADING_ACCEPTED)
    staff.post(
        "/admin/transfers",
        {"payer": a.entity.account.number, "payee": b.entity.account.number, "amount": "100"},
    )
    response = staff.post(f"/admin/entities/{a.entity.pk}", _entity_form(a.entity, max_negative_balance="10"))
    assert response.status_code == 400
    assert "maximum negative balance cannot be set" in response.content.decode()
    assert Account.objects.get(entity=a.entity).max_negative_balance == 50000


def test_entity_delete_refused_with_history_and_done_without(staff, make_member):
    a = make_member(status=EntityStatus.TRADING_ACCEPTED)
    b = make_member(status=EntityStatus.TRADING_ACCEPTED)
    c = make_member()
    staff.post(
        "/admin/transfers",
        {"payer": a.entity.account.number, "payee": b.entity.account.number, "amount": "1"},
    )
    response = staff.post(f"/admin/entities/{a.entity.pk}/delete", follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert Entity.objects.filter(pk=a.entity.pk).exists()
    staff.post(f"/admin/entities/{c.entity.pk}/delete")
    assert not Entity.objects.filter(pk=c.entity.pk).exists()


def test_user_page_edits_and_deletes(staff, member):
    response = staff.post(
        f"/admin/users/{member.user.pk}",
        {"email": member.email, "first_name": "Ada", "last_name": "", "telephone": ""},
    )
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.first_name == "Ada"
    assert staff.post(f"/admin/users/{member.user.pk}", {"email": "bad"}).status_code == 400
    staff.post(f"/admin/users/{member.user.pk}/delete")
    assert not type(member.user).objects.filter(pk=member.user.pk).exists()


def test_categories_and_tags_pages(staff, make_member):
    m = make_member(offers=["veg"])
    assert staff.post("/admin/categories", {"name": "Food Shops"}).status_code == 302
    cat = Category.objects.get(name="food-shops")
    assert staff.post("/admin/categories", {"name": "!!"}).status_code == 400
    staff.post(f"/admin/categories/{cat.pk}", {"action": "rename", "name": "shops"})
    assert Category.objects.get(pk=cat.pk).name == "shops"
    staff.post(f"/admin/categories/{cat.pk}", {"action": "delete"})
    assert not Category.objects.filter(pk=cat.pk).exists()
    tag = Tag.objects.get(name="veg")
    staff.post(f"/admin/tags/{tag.pk}", {"action": "rename", "name": "vegetables"})
    assert Entity.objects.get(pk=m.entity.pk).offers == ["vegetables"]
    assert "vegetables" in staff.get("/admin/tags?q=veg").content.decode()


def test_transfers_page_makes_overrides_and_cancels(staff, admin, make_member):
    a = make_member(status=EntityStatus.TRADING_ACCEPTED)
    b = make_member(status=EntityStatus.TRADING_ACCEPTED)
    na, nb = a.entity.account.number, b.entity.account.number
    refused = staff.post("/admin/transfers", {"payer": na, "payee": nb, "amount": "600"})
    assert refused.status_code == 400 and "limit" in refused.content.decode()
    assert (
        staff.post(
            "/admin/transfers", {"payer": na, "payee": nb, "amount": "600", "override_limits": "on"}
        ).status_code
        == 302
    )
    transfer = Transfer.objects.get()
    assert transfer.initiated_by == admin and transfer.kind == "adminTransfer"
    assert AuditEntry.objects.filter(action="account.limits_override").count() == 2
    pending = a.api.post_json("/transfers", {"transfer": "in", "initiator": na, "receiver": nb, "amount": 1})
    assert pending.status_code == 200, pending.content
    pid = pending.json()["data"]["id"]
    page = staff.get("/admin/transfers?status=initiated").content.decode()
    assert f"/admin/transfers/{pid}/cancel" in page, page[page.find("<table") :][:1500]
    staff.post(f"/admin/transfers/{pid}/cancel", {"reason": "Duplicate"})
    assert Transfer.objects.get(pk=pid).cancellation_reason == "Duplicate"
    assert ledger_audit() == []


def test_log_page_filters(staff, make_member):
    m = make_member(email="findme@example.org")
    make_member(email="other@example.org")
    page = staff.get("/admin/logs?email=findme").content.decode()
    assert "findme@example.org" in page and "other@example.org" not in page
    page = staff.get(f"/admin/logs?entity_id={m.entity.pk}").content.decode()
    assert "user.signup" in page
    assert staff.get("/admin/logs?date_from=not-a-date").status_code == 200  # the form shows the error
    # (The staff client's own sign-in is an admin.login entry now; nobody has logged out.)
    page = staff.get("/admin/logs?action=logout&category=admin").content.decode()
    assert "No entries match." in page


def test_entity_list_and_detail_show_balances(staff, make_member):
    a = make_member(name="Alpha Farm", status=EntityStatus.TRADING_ACCEPTED)
    b = make_member(name="Beta Shop", status=EntityStatus.TRADING_ACCEPTED)
    staff.post(
        "/admin/transfers",
        {"payer": a.entity.account.number, "payee": b.entity.account.number, "amount": "12.50"},
    )
    page = staff.get("/admin/entities?name=alpha").content.decode()
    assert "Alpha Farm" in page and "Beta Shop" not in page and "-12.50" in page
    page = staff.get(f"/admin/entities/{b.entity.pk}").content.decode()
    assert "12.50" in page and b.entity.account.number in page


def test_django_admin_site_is_view_only(db, admin, member):
    client = Client()
    client.force_login(admin)
    for url in (
        "/django-admin/audit/auditentry/",
        "/django-admin/directory/entity/",
        f"/django-admin/directory/entity/{member.entity.pk}/change/",
        "/django-admin/ledger/account/",
        "/django-admin/ledger/transfer/",
        "/django-admin/directory/tag/",
        "/django-admin/directory/synonym/",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        f"/django-admin/directory/entity/{member.entity.pk}/change/", {"status": "accepted"}
    )
    assert response.status_code == 403
    assert Entity.objects.get(pk=member.entity.pk).status == "pending"
    assert client.get("/django-admin/directory/entity/add/").status_code == 403


@pytest.mark.parametrize("url", ["/admin/categories", "/admin/tags"])
def test_the_add_forms_name_label_is_in_the_pages_language(staff, url):
    page = staff.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<label for="id_name">Nom</label>' in page
