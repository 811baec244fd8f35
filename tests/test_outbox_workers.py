"""Two background workers (`mccs worker`, real processes) sending one outbox at the same time send every message
exactly once, on SQLite and on PostgreSQL (where they claim with ``FOR UPDATE SKIP LOCKED``)."""

from __future__ import annotations

import collections
import re
import subprocess
import sys
import time

from tests.serving import ROOT, mccs, node_env
from tests.smtp import SMTPServer

EMAILS = 240

QUEUE = f"""
import django
django.setup()
from mccs.core.clock import now
from mccs.notifications.models import OutboxEmail
OutboxEmail.objects.bulk_create(
    OutboxEmail(to=[f"member{{i}}@example.org"], subject=f"message {{i}}", body="hello", next_attempt_at=now())
    for i in range({EMAILS})
)
"""


def test_two_workers_send_each_message_once(tmp_path, database_url):
    smtp = SMTPServer()
    smtp.handler.delay = 0.02  # slow enough that both workers are sending at the same time
    smtp.start()
    env = node_env(
        tmp_path / "data",
        database_url=database_url,
        MCCS_EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        MCCS_WORKER_POLL_SECONDS="0.05",
        MCCS_LOG_LEVEL="INFO",
    )
    assert mccs(env, "migrate").returncode == 0
    logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "mccs.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=open(log, "wb"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        # Both workers are polling before the first email is due, so neither can send it all alone.
        deadline = time.monotonic() + 120
        while not all("worker started" in log.read_text() for log in logs) and time.monotonic() < deadline:
            assert all(w.poll() is None for w in workers), [log.read_text() for log in logs]
            time.sleep(0.1)
        queued = subprocess.run(
            [sys.executable, "-c", QUEUE],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert queued.returncode == 0, queued.stderr
        deadline = time.monotonic() + 120
        while len(smtp.received) < EMAILS and time.monotonic() < deadline:
            assert all(w.poll() is None for w in workers), [log.read_text() for log in logs]
            time.sleep(0.1)
        time.sleep(1.0)  # a message sent twice would arrive now, after the last one
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        smtp.stop()

    subjects = collections.Counter(received.subject for received in smtp.received)
    assert set(subjects) == {f"message {i}" for i in range(EMAILS)}
    assert [s for s, n in subjects.items() if n > 1] == []
    assert len(smtp.received) == EMAILS

    # Both workers took part, and no email id was sent by both.
    sent_by = [set(re.findall(r"email (\d+) sent", log.read_text())) for log in logs]
    assert sent_by[0] and sent_by[1], "one worker sent everything: the test did not run them together"
    assert not sent_by[0] & sent_by[1]
    assert len(sent_by[0] | sent_by[1]) == EMAILS
