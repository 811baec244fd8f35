"""The web pages: sign-up, log in/out, lost password, change password, profile and entity details."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from mccs.directory.models import Entity
from mccs.users.models import User
from tests.accounts.conftest import sent_reset_token
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-secret"


@pytest.fixture
def browser():
    return Client()


@pytest.fixture
def signed_in(browser, member):
    assert browser.post("/login", {"email": member.email, "password": PASSWORD}).status_code == 302
    return browser


def test_home_explains_and_links_to_sign_up_and_log_in(browser):
    response = browser.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mutual Credit" in html and 'href="/signup"' in html and 'href="/login"' in html
    assert 'name="viewport"' in html and "/static/web/mccs.css" in html and "htmx" in html


def test_home_redirects_to_the_dashboard_when_signed_in(signed_in):
    assert signed_in.get("/")["Location"] == "/dashboard"


def test_stylesheet_is_served_by_the_app(browser):
    response = browser.get("/static/web/mccs.css")
    assert response.status_code == 200
    assert b":root" in b"".join(response.streaming_content)


def test_dashboard_needs_login_and_shows_both_panels(browser, member):
    assert browser.get("/dashboard")["Location"] == "/login?next=/dashboard"
    browser.post("/login", {"email": member.email, "password": PASSWORD})
    response = browser.get("/dashboard")
    assert response.status_code == 200
    templates = {t.name for t in response.templates}
    assert {"web/ledger/_dashboard_panel.html", "web/directory/_dashboard_panel.html"} <= templates
    html = response.content.decode()
    for link in ("/dashboard", "/transfers", "/directory", "/profile"):
        assert f'href="{link}"' in html
    assert "hx-headers" in html and "X-CSRFToken" in html


def test_sign_up_creates_member_signs_in_and_sends_welcome(browser):
    response = browser.post(
        "/signup",
        {
            "email": "Grace@Example.org",
            "password": NEW,
            "first_name": "Grace",
            "last_name": "Hopper",
            "entity_name": "Compilers Ltd",
            "offers": "Compilers, debugging",
            "wants": "moth traps",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard"
    user = User.objects.get(email="grace@example.org")
    entity = Entity.objects.get(users=user)
    assert entity.name == "Compilers Ltd" and entity.offers == ["compilers", "debugging"]
    assert entity.wants == ["moth-traps"]
    assert browser.get("/dashboard").status_code == 200
    from tests.conftest import deliver_outbox

    deliver_outbox()
    assert [m.to for m in mail.outbox] == [["grace@example.org"]]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"password": "short"}, "too short"),
        ({"password": "iloveyou"}, "too common"),
        ({"email": "nope"}, "valid email"),
        ({"entity_name": ""}, "required"),
        ({"entity_name": "n" * 101}, "at most 100"),
        ({"offers": ", ".join(f"t{i}" for i in range(11))}, "At most 10"),
    ],
)
def test_sign_up_shows_errors(browser, change, expected):
    data = {"email": "g@example.org", "password": NEW, "entity_name": "Compilers", **change}
    response = browser.post("/signup", data)
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not User.objects.exists()


def test_sign_up_with_a_taken_email_is_refused(browser, member):
    response = browser.post("/signup", {"email": member.email.upper(), "password": NEW, "entity_name": "X"})
    assert "already exists" in response.content.decode()


def test_log_in_and_out(browser, member):
    response = browser.post("/login", {"email": member.email, "password": "wrong-password-1"})
    assert response.status_code == 200 and "incorrect" in response.content.decode()
    response = browser.post(
        "/login?next=/profile", {"email": member.email, "password": PASSWORD, "next": "/profile"}
    )
    assert response["Location"] == "/profile"
    assert browser.get("/logout").status_code == 405  # logging out changes state: POST only
    response = browser.post("/logout")
    assert response["Location"] == "/login"
    assert browser.get("/dashboard").status_code == 302


def test_login_never_redirects_off_site(browser, member):
    response = browser.post(
        "/login", {"email": member.email, "password": PASSWORD, "next": "https://evil.example"}
    )
    assert response["Location"] == "/dashboard"


def test_forms_are_csrf_protected(member):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login?next=/profile", {"email": member.email, "password": PASSWORD})
    # Not signed in: sent back to the sign-in form (which now sets the CSRF cookie) with a plain explanation.
    assert response.status_code == 302 and response["Location"] == "/login?next=/profile"
    assert "_auth_user_id" not in strict.session
    assert "The sign-in form had expired" in strict.get(response["Location"]).content.decode()
    strict.force_login(member.user)
    assert strict.post("/profile", {"first_name": "Mallory"}).status_code == 403


def test_lost_password_by_email_link(browser, member):
    response = browser.post("/password-reset", {"email": member.email})
    assert response["Location"] == "/login"
    token = sent_reset_token(member.email)
    page = browser.get(f"/password-reset/{token}")
    assert page.status_code == 200 and "New password" in page.content.decode()
    mismatch = browser.post(f"/password-reset/{token}", {"password": NEW, "password_again": "other-secret"})
    assert "not the same" in mismatch.content.decode()
    done = browser.post(f"/password-reset/{token}", {"password": NEW, "password_again": NEW})
    assert done["Location"] == "/login"
    assert member.api.get_json("/user").status_code == 401  # the API token died with the old password
    assert browser.get(f"/password-reset/{token}").status_code == 400  # single use
    assert browser.post("/login", {"email": member.email, "password": NEW}).status_code == 302


def test_lost_password_answers_the_same_for_unknown_addresses(browser, member):
    known = browser.post("/password-reset", {"email": member.email}, follow=True)
    unknown = browser.post("/password-reset", {"email": "nobody@example.org"}, follow=True)
    assert known.content.decode().count("If an account exists") == 1
    assert unknown.content.decode().count("If an account exists") == 1


def test_web_reset_link_also_works_with_the_api(browser, member):
    browser.post("/password-reset", {"email": member.email})
    token = sent_reset_token(member.email)
    assert ApiClient().post_json(f"/password-reset/{token}", {"password": NEW}).status_code == 200


def test_bad_reset_link_shows_a_message(browser):
    response = browser.get("/password-reset/nonsense")
    assert response.status_code == 400 and "Request a new link" in response.content.decode()


def test_change_password(signed_in, member):
    wrong = signed_in.post(
        "/password-change", {"current_password": "nope", "password": NEW, "password_again": NEW}
    )
    assert "not correct" in wrong.content.decode()
    weak = signed_in.post(
        "/password-change",
        {"current_password": PASSWORD, "password": "12345678", "password_again": "12345678"},
    )
    assert "too common" in weak.content.decode()
    ok = signed_in.post(
        "/password-change", {"current_password": PASSWORD, "password": NEW, "password_again": NEW}
    )
    assert ok["Location"] == "/profile"
    assert signed_in.get("/profile").status_code == 200  # still signed in here
    assert member.api.get_json("/user").status_code == 401  # API tokens revoked
    assert Client().post("/login", {"email": member.email, "password": NEW}).status_code == 302


def test_change_password_ends_other_sessions(member):
    first, second = Client(), Client()
    for browser in (first, second):
        browser.post("/login", {"email": member.email, "password": PASSWORD})
    first.post("/password-change", {"current_password": PASSWORD, "password": NEW, "password_again": NEW})
    assert first.get("/profile").status_code == 200
    assert second.get("/profile").status_code == 302


def test_edit_user_details(signed_in, member):
    response = signed_in.post(
        "/profile", {"first_name": "Grace", "last_name": "Hopper", "telephone": "+1 555"}
    )
    assert response["Location"] == "/profile"
    member.user.refresh_from_db()
    assert (member.user.first_name, member.user.telephone) == ("Grace", "+1 555")
    too_long = signed_in.post("/profile", {"first_name": "x" * 101})
    assert too_long.status_code == 200 and "at most 100" in too_long.content.decode()


def test_edit_entity_details_offers_and_wants(signed_in, member):
    page = signed_in.get("/profile/entity")
    assert page.status_code == 200 and member.entity.name in page.content.decode()
    response = signed_in.post(
        "/profile/entity",
        {
            "name": "Hopper Ltd",
            "email": "",
            "inc_type": "ltd",
            "website": "hopper.example",
            "offers": "COBOL training\nbug hunting",
            "wants": "nanoseconds",
            "declared_turnover": "5000",
            "receive_daily_match_notification_email": "on",
        },
    )
    assert response["Location"] == "/profile/entity", response.content.decode()[:2000]
    entity = Entity.objects.get(pk=member.entity.pk)
    assert (
        entity.name == "Hopper Ltd"
        and entity.inc_type == "ltd"
        and entity.website == "https://hopper.example"
    )
    assert entity.offers == ["cobol-training", "bug-hunting"] and entity.wants == ["nanoseconds"]
    assert entity.declared_turnover == 5000 and entity.receive_daily_match_notification_email is True
    assert "cobol-training, bug-hunting" in signed_in.get("/profile/entity").content.decode()


def test_entity_form_shows_service_errors(signed_in, member):
    response = signed_in.post(
        "/profile/entity", {"name": "X", "website": "not a site", "offers": "", "wants": ""}
    )
    assert response.status_code == 200 and "not a valid web address" in response.content.decode()


@pytest.mark.parametrize("path", ["/profile", "/profile/entity", "/password-change", "/dashboard"])
def test_member_pages_need_login(browser, path):
    response = browser.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_administrators_can_sign_in_on_the_web(browser, admin):
    assert browser.post("/login", {"email": admin.email, "password": PASSWORD})["Location"] == "/admin/"
    assert browser.get("/dashboard")["Location"] == "/admin/"  # administrators have no member dashboard
    html = browser.get("/admin/").content.decode()
    assert 'href="/admin/"' in html and "Approval queue" in html
