"""`mccs serve --workers 2` for real: a web worker killed with SIGKILL during concurrent transfers loses nothing and
doubles nothing; the background worker runs once, in its own process, and comes back when it dies; SIGTERM stops
everything cleanly."""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
import uuid

from tests.serving import PASSWORD, Node, alive, mccs, members_for_trading, node_env
from tests.smtp import SMTPServer

ADMIN = "admin@example.org"
THREADS = 4
TRANSFERS_PER_THREAD = 25
KILLS = 2


def call(node: Node, method: str, path: str, body, token: str, key: str, dropped: list) -> tuple[int, dict]:
    """One request, sent again with the same Idempotency-Key whenever the connection drops before an answer."""
    for _ in range(60):
        try:
            return node.request(method, path, body, token=token, headers={"Idempotency-Key": key})
        except (OSError, http.client.HTTPException) as exc:
            dropped.append(f"{method} {path}: {type(exc).__name__}")
            time.sleep(0.2)
    raise AssertionError(f"{method} {path} never answered")


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def all_transfers(node: Node, member: dict) -> list[dict]:
    found, page = [], 1
    while True:
        status, body = node.request(
            "GET",
            f"/api/v1/transfers?querying_entity_id={member['entity']}&page={page}&page_size=100",
            token=member["token"],
        )
        assert status == 200, body
        found += body["data"]
        if page >= body["meta"]["totalPages"]:
            return found
        page += 1


def test_a_killed_web_worker_loses_and_doubles_no_transfer(tmp_path, database_url):
    env = node_env(tmp_path / "data", database_url=database_url)
    created = mccs(env, "createadmin", "--email", ADMIN, "--password", PASSWORD)
    assert created.returncode == 0, created.stderr
    node = Node(env, tmp_path / "serve.log", "--workers", "2")
    try:
        node.wait_healthy()
        wait_for(lambda: len(node.web_workers()) == 2, 30, "two web workers")
        members = members_for_trading(node, THREADS, ADMIN)

        accepted: list[list[str]] = [[] for _ in range(THREADS)]
        dropped: list[str] = []
        errors: list[str] = []
        done = threading.Event()

        def trade(index: int) -> None:
            payer, receiver = members[index], members[(index + 1) % THREADS]
            try:
                for n in range(TRANSFERS_PER_THREAD):
                    body = {
                        "transfer": "out",
                        "initiator": payer["account"],
                        "receiver": receiver["account"],
                        "amount": 1.25,
                        "description": f"thread {index} transfer {n}",
                    }
                    status, answer = call(
                        node, "POST", "/api/v1/transfers", body, payer["token"], str(uuid.uuid4()), dropped
                    )
                    if status != 200:
                        errors.append(f"propose {status} {answer}")
                        return
                    transfer_id = answer["data"]["id"]
                    status, answer = call(
                        node,
                        "PATCH",
                        f"/api/v1/transfers/{transfer_id}",
                        {"action": "accept"},
                        receiver["token"],
                        str(uuid.uuid4()),
                        dropped,
                    )
                    if status != 200 or answer["data"]["status"] != "transferCompleted":
                        errors.append(f"accept {status} {answer}")
                        return
                    accepted[index].append(transfer_id)
            except Exception as exc:  # reported below; a thread must not die silently
                errors.append(repr(exc))

        threads = [threading.Thread(target=trade, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        killed = []
        total = THREADS * TRANSFERS_PER_THREAD
        for k in range(KILLS):
            # Kill while the clients are in the middle of their work, once early and once later.
            wait_for(
                lambda k=k: sum(map(len, accepted)) >= total * (k + 1) // (KILLS + 2) or errors,
                120,
                "transfers before the kill",
            )
            victim = node.web_workers()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            wait_for(
                lambda v=victim: not alive(v) and len(node.web_workers()) == 2, 60, "a replacement worker"
            )
        for thread in threads:
            thread.join(timeout=300)
        done.set()
        assert not errors, errors
        assert all(len(ids) == TRANSFERS_PER_THREAD for ids in accepted)

        # The server still answers, with two fresh workers in place of the killed ones.
        assert node.request("GET", "/api/v1/health")[0] == 200
        assert not set(killed) & set(node.web_workers())

        # Every transfer the clients were told about exists exactly once and is completed; there are no others.
        seen: dict[str, int] = {}
        for index, member in enumerate(members):
            transfers = all_transfers(node, member)
            for transfer in transfers:
                seen[transfer["id"]] = seen.get(transfer["id"], 0) + 1
                assert transfer["status"] == "transferCompleted", transfer
            assert len(transfers) == 2 * TRANSFERS_PER_THREAD, (index, len(transfers))
        expected = {transfer_id for ids in accepted for transfer_id in ids}
        assert set(seen) == expected
        assert set(seen.values()) == {2}  # once for the payer, once for the receiver
        for member in members:  # each paid 25 × 1.25 and received as much
            status, body = node.request(
                "GET", f"/api/v1/balance?querying_entity_id={member['entity']}", token=member["token"]
            )
            assert status == 200 and body["data"]["balance"] == 0, body
        print(f"killed {killed}; connections dropped and retried: {len(dropped)} {dropped[:5]}")

        background = node.background_workers()
        assert len(background) == 1
    finally:
        code = node.stop()
    assert code == 0, node.log_text()
    assert not any(alive(pid) for pid in background)
    audit = mccs(env, "ledger-audit")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "Ledger audit clean" in audit.stdout


def test_the_background_worker_runs_once_in_its_own_process_and_comes_back(tmp_path):
    smtp = SMTPServer()
    smtp.start()
    env = node_env(tmp_path / "data", MCCS_EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}")
    node = Node(env, tmp_path / "serve.log", "--workers", "2")
    try:
        node.wait_healthy()
        wait_for(lambda: len(node.background_workers()) == 1, 30, "the background worker")
        first = node.background_workers()[0]
        assert first not in node.web_workers()
        os.kill(first, signal.SIGKILL)
        seen: list[int] = []

        def replaced() -> bool:
            # One look at the process list per check: it changes while the dead worker is reaped and replaced.
            seen[:] = node.background_workers()
            return len(seen) == 1 and seen[0] != first

        wait_for(replaced, 30, "a new background worker")
        replacement = seen[0]
        status, body = node.request(
            "POST",
            "/api/v1/signup",
            {"userEmail": "after@example.org", "password": PASSWORD, "entityName": "After"},
        )
        assert status == 200, body
        received = smtp.wait_for(lambda r: "after@example.org" in r.envelope_to, timeout=10)
        assert "Welcome" in received.subject
        web = node.web_workers()
        assert len(web) == 2
    finally:
        code = node.stop()
        smtp.stop()
    # SIGTERM stops the web workers and the background worker, and the server says it stopped cleanly.
    assert code == 0, node.log_text()
    assert not any(alive(pid) for pid in [replacement, *web])


def test_workers_1_keeps_everything_in_one_process(tmp_path):
    env = node_env(tmp_path / "data")
    node = Node(env, tmp_path / "serve.log", "--workers", "1")
    try:
        node.wait_healthy()
        assert node.children() == []
    finally:
        assert node.stop() == 0
