"""`mccs serve` as a real process from a clean data directory: health within seconds, email within 10 seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.smtp import SMTPServer, free_port

ROOT = Path(__file__).resolve().parents[1]


def request(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def served(tmp_path, smtp):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MCCS_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        MCCS_DATA_DIR=str(tmp_path / "data"),
        MCCS_EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        MCCS_BASE_URL=f"http://127.0.0.1:{port}",
        MCCS_LOG_LEVEL="WARNING",
    )
    log = open(tmp_path / "serve.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mccs.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        yield process, base, tmp_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for_health(process, base: str, tmp_path, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            status, body = request(f"{base}/api/v1/health")
            if status == 200:
                assert body == {"status": "ok", "database": "sqlite"}
                return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"no health answer within {timeout}s:\n{(tmp_path / 'serve.log').read_text()}")


def test_serve_from_a_clean_data_directory_answers_health_and_sends_email_within_10s(served, smtp):
    process, base, tmp_path = served
    # A clean directory means migrating a new SQLite database first; "a few seconds" even on a slow machine.
    wait_for_health(process, base, tmp_path, timeout=20)
    assert (tmp_path / "data" / "mccs.sqlite3").exists()
    assert (tmp_path / "data" / "secret_key").exists()

    status, body = request(
        f"{base}/api/v1/signup",
        {"userEmail": "serve@example.org", "password": "correct-horse-battery", "entityName": "Served"},
    )
    assert status == 200, body
    received = smtp.wait_for(lambda r: "serve@example.org" in r.envelope_to, timeout=10)
    assert "Welcome" in received.subject

    # The web UI and its static files are served by the same process.
    with urllib.request.urlopen(f"{base}/", timeout=5) as response:
        assert b"/static/web/mccs.css" in response.read()
    with urllib.request.urlopen(f"{base}/static/web/mccs.css", timeout=5) as response:
        assert response.status == 200
