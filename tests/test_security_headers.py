"""Web hardening (issue 8, item 7; ADR 0051), through HTTP responses: a Content-Security-Policy without inline
scripts and a Permissions-Policy on every response, HSTS and the proxy's X-Forwarded-Proto only for an https node,
and administrators' web sessions that end after 12 hours while members keep 14 days.

Whether the pages still work under the policy is checked in a real browser: tests/browser/test_every_page_browser.py
fails on any CSP violation on any page, and test_csp_browser.py covers the API docs and htmx."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time

import pytest
from django.test import Client

from tests.conftest import PASSWORD
from tests.serving import ROOT, Node, mccs, node_env

PAGES = ["/", "/login", "/signup", "/directory", "/api/v1/docs", "/api/v1/health", "/no-such-page"]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_response_has_a_content_security_policy_without_inline_scripts(path):
    response = Client().get(path)
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', nothing from elsewhere
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in response["Content-Security-Policy"]
    permissions = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert permissions[feature] == "()", feature


# A script element that runs (not a JSON data block), an event-handler attribute, a javascript: link, a style
# attribute or element: each would be refused by the policy above.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
    r"|\son[a-z]+\s*=|\bhx-on[:-]|javascript:|\sstyle\s*=|<style",
    re.IGNORECASE,
)


def test_signed_in_pages_carry_no_inline_script_or_style(client, make_member, admin):
    from mccs.directory.models import EntityStatus

    member = make_member(status=EntityStatus.TRADING_ACCEPTED)
    client.force_login(member.user)
    for path in ("/dashboard", "/transfers", "/transfers/new", "/get-paid?amount=5", "/profile", "/offline"):
        html = client.get(path).content.decode()
        assert not INLINE.findall(html), path
    client.force_login(admin)
    for path in ("/admin/", "/admin/entities", "/admin/users", "/admin/transfers", "/admin/logs"):
        html = client.get(path).content.decode()
        assert not INLINE.findall(html), path
    # The API docs keep Swagger UI's settings in a JSON data block, which the policy allows, and no inline code.
    html = client.get("/api/v1/docs").content.decode()
    assert 'type="application/json"' in html and not INLINE.findall(html)


@pytest.mark.django_db
def test_htmx_is_told_not_to_inject_its_indicator_style(client):
    html = client.get("/login").content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert meta, "no htmx-config meta tag"
    assert json.loads(meta.group(1))["includeIndicatorStyles"] is False


# --- Sessions -------------------------------------------------------------------------------------------------


def sign_in(client: Client, email: str) -> None:
    response = client.post("/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.content


def test_a_member_session_lasts_fourteen_days_and_an_administrator_session_twelve_hours(make_member, admin):
    member = make_member()
    client = Client()
    sign_in(client, member.email)
    assert client.cookies["sessionid"]["max-age"] == 14 * 24 * 3600
    client = Client()
    sign_in(client, admin.email)
    assert 12 * 3600 - 60 <= client.cookies["sessionid"]["max-age"] <= 12 * 3600


def test_an_administrator_session_ends_when_its_lifetime_is_over_however_active(make_member, admin, settings):
    settings.MCCS_ADMIN_SESSION_SECONDS = 2
    member = make_member()
    admin_client, member_client = Client(), Client()
    sign_in(admin_client, admin.email)
    sign_in(member_client, member.email)
    assert admin_client.get("/admin/").status_code == 200
    time.sleep(1.2)
    assert admin_client.get("/admin/users").status_code == 200  # activity does not extend it
    time.sleep(1.2)
    response = admin_client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/login")
    assert member_client.get("/dashboard").status_code == 200  # members keep theirs


def test_the_django_admin_sign_in_gets_the_short_session_too(admin):
    client = Client()
    response = client.post("/django-admin/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert client.cookies["sessionid"]["max-age"] <= 12 * 3600


# --- HTTPS: HSTS and X-Forwarded-Proto ------------------------------------------------------------------------

PROBE = """
import django, json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
django.setup()
from django.test import Client
response = Client().get("/static/web/mccs.css", **json.loads(os.environ["PROBE_HEADERS"]))
print(json.dumps({"hsts": response.headers.get("Strict-Transport-Security")}))
"""


def probe(tmp_path, *, base_url: str, trust: bool, headers: dict) -> dict:
    """One request through a freshly configured node (its settings read from the environment, as `mccs` does)."""
    extra = {"MCCS_BASE_URL": base_url, "PROBE_HEADERS": json.dumps(headers)}
    if trust:
        extra["MCCS_TRUST_X_FORWARDED_FOR"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=node_env(tmp_path, **extra),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


HTTPS_FROM_PROXY = {"HTTP_X_FORWARDED_PROTO": "https"}


def test_an_https_node_behind_its_proxy_sends_hsts_on_https_requests(tmp_path):
    found = probe(tmp_path, base_url="https://credit.example.org", trust=True, headers=HTTPS_FROM_PROXY)
    assert found["hsts"] == "max-age=31536000"
    # A request that reached the node over plain http (a health check on the private address) gets none.
    assert probe(tmp_path, base_url="https://credit.example.org", trust=True, headers={})["hsts"] is None


def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy_of_an_https_node(tmp_path):
    untrusted = probe(tmp_path, base_url="https://credit.example.org", trust=False, headers=HTTPS_FROM_PROXY)
    assert untrusted["hsts"] is None
    plain = probe(tmp_path, base_url="http://127.0.0.1:8000", trust=True, headers=HTTPS_FROM_PROXY)
    assert plain["hsts"] is None


def test_the_real_server_sends_hsts_behind_the_proxy(tmp_path):
    env = node_env(
        tmp_path / "data", MCCS_BASE_URL="https://credit.example.org", MCCS_TRUST_X_FORWARDED_FOR="1"
    )
    assert mccs(env, "migrate").returncode == 0
    node = Node(env, tmp_path / "serve.log", "--workers", "1", "--no-worker")
    try:
        node.wait_healthy()

        def headers(forwarded_proto: str) -> http.client.HTTPMessage:
            conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
            try:
                conn.request(
                    "GET",
                    "/login",
                    headers={"X-Forwarded-Proto": forwarded_proto, "X-Forwarded-For": "192.0.2.1"},
                )
                response = conn.getresponse()
                response.read()
                assert response.status == 200
                return response.headers
            finally:
                conn.close()

        secure = headers("https")
        assert secure["Strict-Transport-Security"] == "max-age=31536000"
        assert "script-src 'self'" in secure["Content-Security-Policy"]
        assert secure["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers("http")
    finally:
        node.stop()
