"""Real nodes for federation tests: each one a `mccs serve` process on loopback with its own database (an SQLite
file, or its own PostgreSQL database when DATABASE_URL points at PostgreSQL), set up only through the `mccs` CLI
and the HTTP API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery"
ADMIN = "admin@example.org"


def http(method: str, url: str, body=None, headers=None, timeout: float = 15) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw, parse_float=Decimal) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw, parse_float=Decimal) if raw else None
        except ValueError:
            return exc.code, raw.decode(errors="replace")


class Member:
    def __init__(self, node: Node, email: str, token: str, entity_id: str, number: str):
        self.node, self.email, self.token, self.entity_id, self.number = node, email, token, entity_id, number

    def api(self, method: str, path: str, body=None):
        return http(method, f"{self.node.base}/api/v1{path}", body, {"Authorization": f"Bearer {self.token}"})

    def pay(self, receiver: str, amount, *, direction: str = "out", description: str = ""):
        return self.api(
            "POST",
            "/transfers",
            {
                "transfer": direction,
                "initiator": self.number,
                "receiver": receiver,
                "amount": amount,
                "description": description,
            },
        )

    def act(self, transfer_id: str, action: str, reason: str | None = None):
        body = {"action": action}
        if reason is not None:
            body["cancellationReason"] = reason
        return self.api("PATCH", f"/transfers/{transfer_id}", body)

    def transfers(self) -> list[dict]:
        status, body = self.api("GET", f"/transfers?querying_entity_id={self.entity_id}&page_size=100")
        assert status == 200, body
        return body["data"]

    def transfer(self, transfer_id: str) -> dict | None:
        return next((t for t in self.transfers() if t["id"] == transfer_id), None)

    def balance(self) -> Decimal:
        status, body = self.api("GET", f"/balance?querying_entity_id={self.entity_id}")
        assert status == 200, body
        return body["data"]["balance"]


class Node:
    def __init__(
        self, name: str, tmp: Path, *, smtp_port: int | None = None, database_url: str | None = None
    ):
        self.name = name
        self.dir = tmp / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cc = f"{self.base}/cc"
        self.process: subprocess.Popen | None = None
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("MCCS_", "DATABASE_URL", "DJANGO_"))
        }
        self.env.update(
            MCCS_DATA_DIR=str(self.dir / "data"),
            MCCS_BASE_URL=self.base,
            MCCS_LOG_LEVEL="WARNING",
            MCCS_SIGNUP_LIMIT_PER_HOUR="100000",  # members sign up from 127.0.0.1
            MCCS_WORKER_POLL_SECONDS="0.3",
            MCCS_FEDERATION_TIMEOUT_SECONDS="4",
            MCCS_DIRECTORY_REFRESH_SECONDS="1",  # the network directory refreshes quickly in tests
            # Nodes start by the dozen in these tests: each web worker loads the dictionaries when it first searches
            # rather than every node loading them (and the model) as it starts (tests/directory/test_search_warm_up.py).
            MCCS_WARM_UP="off",
            MCCS_EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}" if smtp_port else "locmem:",
            MCCS_CRASHPOINTS_FILE=str(self.dir / "crashpoints"),
        )
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self._admin_token: str | None = None

    # --- the CLI ---
    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "mccs.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def status(self) -> dict:
        result = self.cli("federation", "status", "--json", check=False)  # exit 1 when a handshake fails
        assert result.returncode in (0, 1) and result.stdout, (self.name, result.returncode, result.stderr)
        return json.loads(result.stdout, parse_float=Decimal)

    # --- the server ---
    def start(self) -> None:
        self.log = open(self.dir / "serve.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mccs.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.dir / "serve.log").read_text()
            try:
                if http("GET", f"{self.base}/api/v1/health", timeout=2)[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def crash_at(self, point: str) -> None:
        """The next time this node reaches ``point`` (mccs/core/crashpoints.py) it kills itself with SIGKILL."""
        (self.dir / "crashpoints").write_text(f"{point}\n")

    def crashed(self, timeout: float = 30) -> bool:
        """Wait for the node to die at its crash point; True if it did (it is then reaped, ready to start)."""
        assert self.process is not None
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        self.process = None
        return True

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)  # the whole process group, whatever serve runs
        self.process.wait()
        self.process = None

    # --- members ---
    def admin_token(self) -> str:
        if self._admin_token is None:
            status, body = http(
                "POST", f"{self.base}/api/v1/admin/login", {"email": ADMIN, "password": PASSWORD}
            )
            assert status == 200, body
            self._admin_token = body["data"]["token"]
        return self._admin_token

    def admin(self, method: str, path: str, body=None):
        return http(
            method, f"{self.base}/api/v1/admin{path}", body, {"Authorization": f"Bearer {self.admin_token()}"}
        )

    def member(self, local: str, **limits) -> Member:
        email = f"{local}@{self.name}.example.org"
        status, body = http(
            "POST",
            f"{self.base}/api/v1/signup",
            {"userEmail": email, "password": PASSWORD, "entityName": f"{local.title()} of {self.name}"},
        )
        assert status == 200, body
        token, entity_id = body["data"]["token"], body["data"]["entityID"]
        status, body = self.admin("PATCH", f"/entities/{entity_id}", {"status": "tradingAccepted", **limits})
        assert status == 200, body
        return Member(self, email, token, entity_id, body["data"]["accountNumber"])

    def audit(self) -> subprocess.CompletedProcess:
        return self.cli("ledger-audit", check=False)


def postgres_url(name: str) -> str | None:
    """A fresh PostgreSQL database for one node, when the suite runs on PostgreSQL."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        return None
    import psycopg

    database = f"mccs_fed_{os.getpid()}_{name}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        conn.execute(f'CREATE DATABASE "{database}"')
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


def postgres_drop(url: str | None) -> None:
    if not url:
        return
    import psycopg

    base = os.environ["DATABASE_URL"]
    database = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def tree(
    tmp: Path, *, rate: str = "1", smtp_port: int | None = None, limits=("1000", "1000")
) -> dict[str, Node]:
    """A trunk `t` with two branches `b1` and `b2` (b2 joins with ``rate``), all serving."""
    nodes = {
        name: Node(name, tmp, smtp_port=smtp_port, database_url=postgres_url(name))
        for name in ("t", "b1", "b2")
    }
    for name, node in nodes.items():
        node.cli("createadmin", "--email", ADMIN, "--password", PASSWORD)
        node.cli("federation", "init", "--name", name)
    t = nodes["t"]
    for branch in ("b1", "b2"):
        t.cli(
            "federation", "add-branch", "--name", branch, "--url", nodes[branch].cc,
            "--max-negative", limits[0], "--max-positive", limits[1],
        )  # fmt: skip
    for node in nodes.values():
        node.start()
    for branch in ("b1", "b2"):
        nodes[branch].cli(
            "federation", "join", "--trunk-name", "t", "--trunk-url", t.cc, "--rate", rate if branch == "b2" else "1",
            "--max-negative", limits[0], "--max-positive", limits[1],
        )  # fmt: skip
    return nodes


def wait_until(predicate, timeout: float = 60, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


def settled(nodes: dict[str, Node]) -> dict[str, dict]:
    """Every link's two ends hold the same last hash and mirror each other's balance and pending amount, and every
    ledger passes its audit (a trunk ``t`` with branches ``b1`` and ``b2``)."""
    statuses = {name: node.status() for name, node in nodes.items()}
    for branch in ("b1", "b2"):
        up = next(n for n in statuses[branch]["neighbours"] if n["name"] == "t")
        down = next(n for n in statuses["t"]["neighbours"] if n["name"] == branch)
        assert up["handshake"] == "ok", up
        assert down["handshake"] == "ok", down
        assert up["lastHash"] == down["lastHash"], (branch, up, down)
        # Mirror: the trunk's account at the branch is the negative of the branch's account at the trunk.
        assert up["balance"] == -down["balance"], (branch, up, down)
        assert up["pending"] == -down["pending"], (branch, up, down)
    for node in nodes.values():
        audit = node.audit()
        assert audit.returncode == 0, audit.stdout
    return statuses
