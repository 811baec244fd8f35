"""Cross-node transfers per second (a trunk and two branches on this machine) next to local ones, in one run.

Not a test: run it by hand (see bench/README.md). It starts three real `mccs serve` processes on loopback, each with
its own database (SQLite files, or PostgreSQL databases with --database postgres), forms the tree t ← b1, b2 with the
`mccs federation` commands, then measures, with C client threads each doing the same:

- local: alice pays carol on b1, carol accepts (two API calls, one node);
- cross-node: alice on b1 pays bob on b2 through t, bob accepts on b2 (two API calls, three nodes, four hops).

A transfer counts when the payer's node shows it completed (a change whose link was busy is queued and retried, so
a client waits for the payee to see the proposal, and for the payer to see the completion). The figure is
completed transfers per second.

    .venv/bin/python bench/federation_bench.py --transfers 60 --clients 1,4
    .venv/bin/python bench/federation_bench.py --database postgres --transfers 60 --clients 1,4
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.federation.cluster import postgres_drop, tree  # noqa: E402


def _until(predicate, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def run(pairs, per_client: int, clients: int) -> tuple[int, float]:
    """Each client pays and has the payee accept ``per_client`` times; answers (completed, seconds)."""
    done = [0] * clients
    failures: list[str] = []

    def client(index: int) -> None:
        payer, payee, path = pairs[index % len(pairs)]
        for _ in range(per_client):
            status, body = payer.pay(path, 1, description="bench")
            if status != 200:
                failures.append(f"pay {status}: {body}")
                continue
            transfer_id = body["data"]["id"]
            # A proposal whose link was busy is queued on its way: the payee sees it when it arrives.
            if not _until(lambda t=transfer_id: payee.transfer(t) is not None):
                failures.append(f"never reached the payee: {transfer_id}")
                continue
            status, body = payee.act(transfer_id, "accept")
            if status != 200:
                failures.append(f"accept {status}: {body}")
                continue
            if _until(lambda t=transfer_id: (payer.transfer(t) or {}).get("status") == "transferCompleted"):
                done[index] += 1
            else:
                failures.append(f"never completed: {transfer_id}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        print(f"  {len(failures)} failed, e.g. {failures[0]}", file=sys.stderr)
    return sum(done), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--transfers", type=int, default=60, help="completed transfers per measurement")
    parser.add_argument("--clients", default="1,4", help="concurrency levels, comma-separated")
    args = parser.parse_args()
    if args.database == "postgres":
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/postgres"
    else:
        os.environ.pop("DATABASE_URL", None)

    with tempfile.TemporaryDirectory(prefix="mccs-fed-bench-") as tmp:
        limits = ("1000000", "1000000")
        nodes = tree(Path(tmp), limits=limits)
        try:
            big = {"maxNegativeBalance": 1000000, "maxPositiveBalance": 1000000}
            levels = [int(c) for c in args.clients.split(",")]
            count = max(levels)
            b1 = [nodes["b1"].member(f"alice{i}", **big) for i in range(count)]
            local = [nodes["b1"].member(f"carol{i}", **big) for i in range(count)]
            b2 = [nodes["b2"].member(f"bob{i}", **big) for i in range(count)]
            results = []
            for clients in levels:
                per_client = max(1, args.transfers // clients)
                local_pairs = [(a, c, c.number) for a, c in zip(b1, local, strict=True)]
                cross_pairs = [(a, b, f"t/b2/{b.number}") for a, b in zip(b1, b2, strict=True)]
                done_local, t_local = run(local_pairs, per_client, clients)
                done_cross, t_cross = run(cross_pairs, per_client, clients)
                row = {
                    "clients": clients,
                    "local_per_s": round(done_local / t_local, 1),
                    "cross_node_per_s": round(done_cross / t_cross, 1),
                    "cross_over_local": round((done_cross / t_cross) / (done_local / t_local), 3),
                    "completed": {"local": done_local, "cross": done_cross},
                }
                results.append(row)
                print(json.dumps(row))
            audits = {name: node.audit().returncode for name, node in nodes.items()}
            print(json.dumps({"database": args.database, "nproc": os.cpu_count(), "load": os.getloadavg()}))
            print(json.dumps({"ledger_audit_exit_codes": audits}))
        finally:
            for node in nodes.values():
                node.stop()
                postgres_drop(node.env.get("DATABASE_URL"))


if __name__ == "__main__":
    main()
