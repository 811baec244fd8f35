"""`GET /metrics`: off by default, a bearer token when on, and figures for the whole node under several processes."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from tests.serving import PASSWORD, Node, mccs, members_for_trading, node_env

TOKEN = "scrape-me-0123456789"


def sample(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total, found = 0.0, False
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", line)
        if not match:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
            found = True
    assert found, f"no sample {name} {labels} in:\n{text}"
    return total


@pytest.mark.django_db
def test_metrics_are_off_unless_a_token_is_set_and_then_need_it():
    client = Client()
    assert client.get("/metrics").status_code == 404
    with override_settings(MCCS_METRICS_TOKEN=TOKEN):
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
        assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
        # The X-Forwarded-For of a local proxy or a loopback address proves nothing: only the token opens it.
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
        client.get("/api/v1/health")
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        text = response.content.decode()
        assert sample(text, "mccs_http_requests_total", interface="api", method="GET", status="200") >= 1
        assert sample(text, "mccs_transfers", state="completed") == 0
        assert sample(text, "mccs_outbox_pending") >= 0


def test_metrics_add_up_every_process_of_a_node(tmp_path):
    env = node_env(tmp_path / "data", MCCS_METRICS_TOKEN=TOKEN)
    assert mccs(env, "createadmin", "--email", "admin@example.org", "--password", PASSWORD).returncode == 0
    node = Node(env, tmp_path / "serve.log", "--workers", "2")
    try:
        node.wait_healthy()
        alice, bob = members_for_trading(node, 2, "admin@example.org")
        for amount in (3, 4):
            status, body = node.request(
                "POST",
                "/api/v1/transfers",
                {
                    "transfer": "out",
                    "initiator": alice["account"],
                    "receiver": bob["account"],
                    "amount": amount,
                },
                token=alice["token"],
            )
            assert status == 200, body
        status, body = node.request(
            "PATCH", f"/api/v1/transfers/{body['data']['id']}", {"action": "accept"}, token=bob["token"]
        )
        assert status == 200, body
        for _ in range(40):
            assert node.request("GET", "/api/v1/health")[0] == 200
        assert node.request("GET", "/api/v1/no-such-thing")[0] == 404

        # Each scrape lands on either process; every one reports the requests that both answered.
        for _ in range(6):
            status, text = node.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert status == 200, text
            health = sample(text, "mccs_http_requests_total", interface="api", method="GET", status="200")
            assert health >= 40 + 2 + 1  # the health checks, the entity look-ups, the wait before them
            assert sample(text, "mccs_http_requests_total", interface="api", status="404") >= 1
            assert sample(text, "mccs_http_request_duration_seconds_count", interface="api") >= 48
            assert sample(text, "mccs_transfers", state="completed") == 1
            assert sample(text, "mccs_transfers", state="pending") == 1
            assert sample(text, "mccs_outbox_pending") + sample(text, "mccs_outbox_sent_total") >= 2
        assert node.request("GET", "/metrics")[0] == 401
    finally:
        assert node.stop() == 0
