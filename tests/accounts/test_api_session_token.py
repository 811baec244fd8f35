"""POST /api/v1/session/token: a signed-in web page's script exchanges its session (plus CSRF) for a short token."""

from __future__ import annotations

from django.test import Client

from mccs.directory.models import EntityStatus
from tests.conftest import PASSWORD, ApiClient


def signed_in_browser(email: str) -> tuple[Client, str]:
    """A browser-like client (CSRF enforced) signed in through the web form; returns it and its CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    browser.get("/login")
    csrf = browser.cookies["csrftoken"].value
    response = browser.post("/login", {"email": email, "password": PASSWORD, "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302, response.content
    return browser, browser.cookies["csrftoken"].value


def test_session_token_works_on_the_api_and_dies_with_logout(make_member, settings):
    settings.MCCS_SESSION_TOKEN_TTL_SECONDS = 300
    ann = make_member("ann@example.org", status=EntityStatus.TRADING_ACCEPTED)
    browser, csrf = signed_in_browser(ann.email)

    response = browser.post(
        "/api/v1/session/token", "{}", content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["expiresIn"] == 300
    script = ApiClient(data["token"])
    balance = script.get_json(f"/balance?querying_entity_id={ann.entity.pk}")
    assert balance.status_code == 200, balance.content

    browser.post("/logout", {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    after = script.get_json(f"/balance?querying_entity_id={ann.entity.pk}")
    assert after.status_code == 401
    assert (
        ann.api.get_json(f"/balance?querying_entity_id={ann.entity.pk}").status_code == 200
    )  # other tokens live


def test_session_token_refused_without_csrf_or_session(make_member, admin):
    ann = make_member("ann@example.org")
    browser, _ = signed_in_browser(ann.email)
    no_csrf = browser.post("/api/v1/session/token", "{}", content_type="application/json")
    assert no_csrf.status_code == 403
    assert "security token" in no_csrf.json()["errors"][0]["message"]

    stranger = Client(enforce_csrf_checks=True)
    stranger.get("/login")
    csrf = stranger.cookies["csrftoken"].value
    anonymous = stranger.post(
        "/api/v1/session/token", "{}", content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["message"]

    staff, staff_csrf = signed_in_browser("admin@example.org")
    refused = staff.post(
        "/api/v1/session/token", "{}", content_type="application/json", HTTP_X_CSRFTOKEN=staff_csrf
    )
    assert refused.status_code == 403


def test_session_token_expires(make_member, settings, clock):
    ann = make_member("ann@example.org")
    browser, csrf = signed_in_browser(ann.email)
    token = browser.post(
        "/api/v1/session/token", "{}", content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    ).json()["data"]["token"]
    clock.advance(seconds=settings.MCCS_SESSION_TOKEN_TTL_SECONDS + 1)
    assert ApiClient(token).get_json(f"/balance?querying_entity_id={ann.entity.pk}").status_code == 401
