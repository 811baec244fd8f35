"""Run a real `mccs` node as child processes for tests: its own data directory and, on PostgreSQL, its own database."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct-horse-battery"


class PostgresDatabase:
    """A fresh database on the server that DATABASE_URL names, dropped afterwards."""

    def __init__(self, server_url: str) -> None:
        base = server_url.rsplit("/", 1)[0]
        self.name = f"mccs_node_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.admin_url = f"{base}/postgres"
        self.url = f"{base}/{self.name}"

    def _run(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> str:
        self._run(f'CREATE DATABASE "{self.name}"')
        return self.url

    def drop(self) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def node_env(data_dir: Path, *, database_url: str | None = None, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCCS_", "DATABASE_URL", "DJANGO_"))}
    env.update(MCCS_DATA_DIR=str(data_dir), MCCS_LOG_LEVEL="WARNING", MCCS_EMAIL_URL="console:")
    # Tests sign up many members from 127.0.0.1; the limit itself is tested in tests/accounts/test_signup_limits.py.
    env.update(MCCS_SIGNUP_LIMIT_PER_HOUR="100000")
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def mccs(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mccs.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Node:
    """`mccs serve` on a free loopback port, with JSON helpers that survive a dropped connection."""

    def __init__(self, env: dict, log_path: Path, *args: str) -> None:
        self.env = env
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mccs.cli", "serve", "--port", str(self.port), *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str, body=None, token=None, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            if token:
                all_headers["Authorization"] = f"Bearer {token}"
            conn.request(
                method, path, body=json.dumps(body) if body is not None else None, headers=all_headers
            )
            response = conn.getresponse()
            raw = response.read()
            try:
                return response.status, json.loads(raw or b"{}")
            except ValueError:
                return response.status, raw.decode(errors="replace")
        finally:
            conn.close()

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_text()
            try:
                if self.request("GET", "/api/v1/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"no health answer within {timeout}s:\n{self.log_text()}")

    def children(self) -> list[int]:
        """Direct child processes of the server (web workers and the background worker)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found

    def background_workers(self) -> list[int]:
        return [pid for pid in self.children() if b"worker" in _cmdline(pid).split(b"\0")]

    def web_workers(self) -> list[int]:
        return [pid for pid in self.children() if b"serve" in _cmdline(pid).split(b"\0")]

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def members_for_trading(node: Node, count: int, admin_email: str) -> list[dict]:
    """Members signed up through the API and accepted for trading by the administrator, also through the API."""
    status, body = node.request("POST", "/api/v1/admin/login", {"email": admin_email, "password": PASSWORD})
    assert status == 200, body
    admin_token = body["data"]["token"]
    members = []
    for i in range(count):
        email = f"member{i}-{uuid.uuid4().hex[:6]}@example.org"
        status, body = node.request(
            "POST",
            "/api/v1/signup",
            {"userEmail": email, "password": PASSWORD, "entityName": f"Member {i}"},
        )
        assert status == 200, body
        token, entity_id = body["data"]["token"], body["data"]["entityID"]
        status, body = node.request(
            "PATCH", f"/api/v1/admin/entities/{entity_id}", {"status": "tradingAccepted"}, token=admin_token
        )
        assert status == 200, body
        status, body = node.request("GET", "/api/v1/user/entities", token=token)
        assert status == 200, body
        members.append({"token": token, "entity": entity_id, "account": body["data"][0]["accountNumber"]})
    return members
