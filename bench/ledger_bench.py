"""Accepted (or proposed) transfers per second through the HTTP API, against the same SQL replayed with pgbench.

Not a test: run it by hand (see bench/README.md). It creates its own database, starts a real `mccs serve` on
loopback, prepares pending transfers, then accepts them from N client threads at a few concurrency levels, with a
bounded number of requests per level. On PostgreSQL it then replays the accept's SQL with pgbench on the same data.
With ``--operation propose`` the clients propose transfers instead (``POST /transfers``), and pgbench replays a
proposal's SQL (bench/ledger_propose.pgbench).

    .venv/bin/python bench/ledger_bench.py --database postgres --accepts 300 --levels 1,4,8
    .venv/bin/python bench/ledger_bench.py --database sqlite --accepts 300 --levels 1,4,8
    .venv/bin/python bench/ledger_bench.py --database postgres --operation propose --accepts 1500 --levels 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = "mccs_bench"
MEMBERS = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> dict:
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    pg = subprocess.run(
        ["psql", f"{PG_SERVER}/postgres", "-tAc", "SHOW server_version"], capture_output=True, text=True
    ).stdout.strip()
    import django

    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "os": platform.platform(),
    }


def prepare(
    database: str, data_dir: str, pools: int, per_pool: int, operation: str = "accept"
) -> tuple[dict, list[list[tuple[str, str]]]]:
    """Members accepted for trading, and `pools` lists of work: pending transfers with the receiver's token to
    accept, or (``operation`` "propose") the initiator's and receiver's account numbers with the initiator's
    token."""
    env = bench_env(database, data_dir)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from mccs.core.amount import Amount
    from mccs.directory.models import Entity, EntityStatus
    from mccs.ledger.onboarding import member_sign_up
    from mccs.ledger.services import transfer_propose

    members = []
    for i in range(MEMBERS):
        result = member_sign_up(
            email=f"bench{i}@example.org",
            password="bench-password-123",
            user_fields={},
            entity_fields={"name": f"Bench {i}"},
        )
        Entity.objects.filter(pk=result.entity.pk).update(status=EntityStatus.TRADING_ACCEPTED)
        members.append((result.user, result.entity.account.number, result.token))
    out = []
    for pool in range(pools):
        items: list = []
        for n in range(per_pool):
            a, b = members[(pool * 7 + n) % MEMBERS], members[(pool * 7 + n * 3 + 1) % MEMBERS]
            if a is b:
                b = members[(members.index(a) + 1) % MEMBERS]
            if operation == "propose":
                items.append((a[1], b[1], a[2]))
                continue
            transfer = transfer_propose(
                actor=a[0],
                initiator=a[1],
                receiver=b[1],
                direction="out",
                amount=Amount(1),
                description="bench",
            )
            items.append((str(transfer.pk), b[2]))
        out.append(items)
    return env, out


def bench_env(database: str, data_dir: str) -> dict:
    url = f"{PG_SERVER}/{BENCH_DB}" if database == "postgres" else f"sqlite:///{data_dir}/bench.sqlite3"
    return {
        "DATABASE_URL": url,
        "MCCS_DATA_DIR": data_dir,
        "MCCS_EMAIL_URL": "console:",
        "MCCS_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def serve(env: dict, port: int, threads: int, workers: int) -> subprocess.Popen:
    # The console script when installed, else the same entry point through the interpreter.
    script = ROOT / ".venv/bin/mccs"
    mccs = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import sys; from mccs.cli import main; sys.exit(main())"]
    )
    proc = subprocess.Popen(
        [
            *mccs,
            "serve",
            "--no-worker",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--threads",
            str(threads),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("mccs serve did not become healthy")


def _request(item: tuple) -> tuple[str, str, dict, str]:
    """(method, path, body, token) of one item of work: an accept (transfer id, receiver's token) or a proposal
    (initiator's and receiver's account numbers, initiator's token)."""
    if len(item) == 2:
        transfer_id, token = item
        return "PATCH", f"/api/v1/transfers/{transfer_id}", {"action": "accept"}, token
    initiator, receiver, token = item
    body = {
        "transfer": "out",
        "initiator": initiator,
        "receiver": receiver,
        "amount": 0.01,
        "description": "bench",
    }
    return "POST", "/api/v1/transfers", body, token


def accept_all(port: int, items: list[tuple], clients: int) -> tuple[float, dict]:
    """Every item sent from ``clients`` threads, each on a keep-alive connection: the rate of 200 answers."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    shares = [items[i::clients] for i in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def run(share):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        for item in share:
            method, path, body, token = _request(item)
            conn.request(
                method,
                path,
                body=json.dumps(body),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return statuses.get(200, 0) / elapsed, statuses


def create_database() -> None:
    subprocess.run(
        [
            "psql",
            f"{PG_SERVER}/postgres",
            "-qc",
            f"DROP DATABASE IF EXISTS {BENCH_DB}",
            "-c",
            f"CREATE DATABASE {BENCH_DB}",
        ],
        check=True,
        capture_output=True,
    )


def pgbench(clients: int, transactions: int, operation: str = "accept") -> float:
    script = Path(__file__).with_name(f"ledger_{operation}.pgbench")
    result = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(clients),
            "-j",
            str(min(clients, os.cpu_count() or 1)),
            "-t",
            str(transactions),
            "-f",
            str(script),
            f"{PG_SERVER}/{BENCH_DB}",
        ],
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+)", result.stdout)
    if not match:
        raise SystemExit(f"pgbench failed:\n{result.stdout}\n{result.stderr}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--accepts", type=int, default=300, help="accepted transfers per concurrency level")
    parser.add_argument("--levels", default="1,4,8", help="client concurrency levels")
    parser.add_argument("--server-threads", type=int, default=8, help="threads per server process")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="server processes (mccs serve --workers)"
    )
    parser.add_argument(
        "--operation",
        choices=["accept", "propose"],
        default="accept",
        help="what the clients do: accept pending transfers, or propose new ones",
    )
    ns = parser.parse_args()
    rate_key = "api_accepts_per_s" if ns.operation == "accept" else "api_proposals_per_s"
    levels = [int(x) for x in ns.levels.split(",")]
    data_dir = tempfile.mkdtemp(prefix="mccs-bench-")
    if ns.database == "postgres":
        create_database()
    pools = len(levels) * (2 if ns.database == "postgres" else 1)
    print(
        f"preparing {MEMBERS} members and {pools} x {ns.accepts} transfers to {ns.operation} on {ns.database}…",
        flush=True,
    )
    env, prepared = prepare(ns.database, data_dir, pools, ns.accepts, ns.operation)
    from django.db import connection

    connection.close()
    port = free_port()
    proc = serve(env, port, ns.server_threads, ns.workers)
    results = {
        "machine": machine(),
        "database": ns.database,
        "operation": ns.operation,
        "server_workers": ns.workers,
        "server_threads": ns.server_threads,
        "levels": [],
    }
    try:
        for index, clients in enumerate(levels):
            rate, statuses = accept_all(port, prepared[index], clients)
            row = {"clients": clients, rate_key: round(rate, 1), "statuses": statuses}
            results["levels"].append(row)
            print(json.dumps(row), flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if ns.database == "postgres":
        for row in results["levels"]:
            raw = pgbench(row["clients"], ns.accepts // row["clients"], ns.operation)
            row["pgbench_tps"] = round(raw, 1)
            row["api_share_of_raw"] = round(row[rate_key] / raw, 3)
            print(json.dumps(row), flush=True)
        from mccs.ledger.audit import ledger_audit

        violations = ledger_audit()
        results["ledger_audit"] = violations or "clean"
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"ledger-{ns.operation}-{ns.database}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(f"written to {path}")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
