"""A neighbour without the MCCS link view (the PHP reference node answers 404 for it): whether both ends agree is
judged by the handshake, which the reference authenticates with the last hash, and status says that the transactions
were not compared. The neighbour is a small HTTP server on loopback that answers as the reference does."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mccs.audit.models import AuditEntry
from mccs.federation import reconcile, services
from mccs.federation.models import Neighbour
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LAST_HASH = "5f1a0e7c2b9d4e6f8a3b1c0d2e4f6a8b"


class Reference(BaseHTTPRequestHandler):
    def _answer(self, status: int, body) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/handshake":
            if self.headers.get("CC-Auth") == LAST_HASH:
                return self._answer(200, {"data": []})
            return self._answer(403, {"errors": [{"class": "HashMismatchFailure", "remoteNode": "here"}]})
        return self._answer(404, {"errors": [{"class": "CCFailure", "message": "Not found"}]})

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer(404, {"errors": [{"class": "CCFailure", "message": "Not found"}]})

    def log_message(self, *args):
        pass


@pytest.fixture
def reference():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Reference)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    services.federation_init(name="here")
    services.branch_add(name="php", url=f"http://127.0.0.1:{server.server_port}", max_negative="10")
    Neighbour.objects.filter(name="php").update(last_hash=LAST_HASH)
    yield Neighbour.objects.get(name="php")
    server.shutdown()


def test_a_neighbour_without_the_link_view_is_judged_by_its_handshake(admin_api, reference):
    [php] = admin_api.get_json("/admin/federation?handshake=true").json()["data"]["neighbours"]
    assert php["handshake"] == "ok" and php["agree"] is True, php
    assert "cannot show its transactions, so they were not compared" in php["agreement"]
    report = reconcile.reconcile(name="php")
    assert report.settled, report.lines
    assert "handshake accepted our last hash, so the hashes agree" in report.lines[0]

    Neighbour.objects.filter(name="php").update(last_hash="0" * 32)
    [php] = admin_api.get_json("/admin/federation?handshake=true").json()["data"]["neighbours"]
    assert php["agree"] is False and php["agreement"] == "The last hashes differ: the handshake was refused."
    report = reconcile.reconcile(name="php")
    assert not report.settled
    assert "cannot be reconciled from here" in report.lines[0]
    assert Neighbour.objects.get(name="php").last_hash == "0" * 32  # nothing was changed


def test_a_neighbour_that_cannot_be_reached_is_neither_agreeing_nor_disagreeing(admin_api, db):
    services.federation_init(name="here")
    services.branch_add(name="leaf", url="http://127.0.0.1:9/cc")
    [leaf] = admin_api.get_json("/admin/federation?handshake=true").json()["data"]["neighbours"]
    assert leaf["agree"] is None and leaf["agreement"].startswith("leaf cannot be asked"), leaf
    [leaf] = admin_api.get_json("/admin/federation").json()["data"]["neighbours"]
    assert leaf["agree"] is None and leaf["agreement"] == ""
    report = reconcile.reconcile(name="leaf")
    assert not report.settled and "cannot be reached" in report.lines[0]


def test_an_administrator_reconciles_from_the_admin_page(client, admin, member, reference):
    client.login(username=admin.email, password=PASSWORD)
    page = client.get("/admin/federation?handshake=1").content.decode()
    assert "Both ends agree" in page and "Reconcile this link" in page
    done = client.post("/admin/federation/neighbours/php/reconcile", follow=True)
    assert done.status_code == 200
    text = done.content.decode()
    assert "handshake accepted our last hash, so the hashes agree" in text
    assert "The link with php is reconciled." in text
    assert AuditEntry.objects.filter(action="federation.reconcile", object_id="php").count() == 1

    client.logout()
    client.login(username=member.email, password=PASSWORD)
    assert client.post("/admin/federation/neighbours/php/reconcile").status_code == 403
    assert AuditEntry.objects.filter(action="federation.reconcile").count() == 1


def test_a_neighbour_without_the_directory_extension_is_simply_not_searched(api, reference, make_member):
    """The network directory (ADR 0120) asks every neighbour for its shared directory; the reference answers 404,
    which means "nothing shared here": no error, no copy, and searches go on."""
    from mccs.directory.models import EntityStatus, RemoteEntity, RemoteSource
    from mccs.federation import directory_feed

    make_member(name="Local Miller", status=EntityStatus.ACCEPTED, offers=["flour"])
    directory_feed.directory_refresh()
    directory_feed.directory_refresh()
    assert not RemoteEntity.objects.exists()
    assert RemoteSource.objects.get(via="php").error == "no directory"
    response = api.get_json("/entities?offers=flour")
    assert response.status_code == 200
    assert [e["name"] for e in response.json()["data"]] == ["Local Miller"]
