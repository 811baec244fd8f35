"""Resident memory of each server process after a workload: 600 accepts through the API on PostgreSQL, or browsing
the web UI and the API as the demo members on SQLite (issue 13 item 6: each process at most 150 MB).

Not a test: run it by hand (see bench/README.md). It starts a real `mccs serve --workers N --no-worker` on
loopback and reads `VmRSS` (and `VmHWM`, the peak) of the arbiter and of every web worker from /proc/<pid>/status
before and after the workload.

    .venv/bin/python bench/memory_bench.py --database postgres --accepts 600 --workers 2
    .venv/bin/python bench/memory_bench.py --database sqlite --rounds 5 --members 8 --workers 2
    .venv/bin/python bench/memory_bench.py --database sqlite --rounds 3 --workers 2 --search mechanic --search plumber
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ledger_bench  # noqa: E402  (the same preparation, server start and client as the accept benchmark)

ROOT = ledger_bench.ROOT


def status_kb(pid: int, field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    return int(match.group(1)) if match else 0


def pss_kb(pid: int) -> int:
    match = re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.MULTILINE)
    return int(match.group(1)) if match else 0


def server_processes(arbiter: int) -> dict[str, int]:
    """The arbiter and its web workers (gunicorn forks them: their parent is the arbiter), by role and pid."""
    children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    return {"arbiter": arbiter, **{f"worker {i + 1}": int(pid) for i, pid in enumerate(children)}}


def memory(arbiter: int) -> dict[str, dict]:
    return {
        role: {
            "pid": pid,
            "rss_mb": round(status_kb(pid, "VmRSS") / 1024, 1),
            "peak_mb": round(status_kb(pid, "VmHWM") / 1024, 1),
            # Proportional set size: pages shared with other processes (what the arbiter loaded before forking)
            # count a share each, so the figures add up to the memory the server really holds.
            "pss_mb": round(pss_kb(pid) / 1024, 1),
        }
        for role, pid in server_processes(arbiter).items()
    }


class Browser:
    """One keep-alive connection with a cookie jar: enough to sign in through the login form and browse."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closes a keep-alive connection that sat idle (5 s) while other members browsed.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text

    def sign_in(self, email: str, password: str) -> None:
        _, page = self.request("GET", "/login")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email, "password": password})
        status, _ = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded", "Referer": "/login"}
        )
        if status != 302:
            raise SystemExit(f"signing in as {email} answered {status}")


def browse(port: int, rounds: int, members: int, searches: list[str]) -> dict[int, int]:
    """The first ``members`` demo members sign in and visit the pages a member uses, ``rounds`` times over, with a
    directory search for each of ``searches`` too."""
    from mccs.directory.models import Entity
    from mccs.seed import DEMO_MEMBERS, DEMO_PASSWORD

    entity_ids = [str(pk) for pk in Entity.objects.values_list("pk", flat=True)]
    pages = [
        "/dashboard",
        "/transfers",
        "/transfers/new",
        "/get-paid",
        "/profile",
        "/directory",
        "/directory?q=bread",
        "/directory?q=vegetalbes",
        "/directory/categories",
        "/directory/matches",
        *[f"/directory/entities/{pk}" for pk in entity_ids],
        "/api/v1/entities?page_size=10",
        "/api/v1/categories",
        *[f"/directory?q={urllib.parse.quote(term)}" for term in searches],
    ]
    statuses: dict[int, int] = {}
    browsers = []
    for member in DEMO_MEMBERS[:members]:
        browser = Browser(port)
        browser.sign_in(member[0], DEMO_PASSWORD)
        browsers.append(browser)
    for _ in range(rounds):
        for browser in browsers:
            for page in pages:
                status, _ = browser.request("GET", page)
                statuses[status] = statuses.get(status, 0) + 1
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--accepts", type=int, default=600, help="accepts through the API (postgres)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="browsing rounds over every page (sqlite)")
    parser.add_argument("--members", type=int, default=8, help="demo members who browse (sqlite)")
    parser.add_argument(
        "--search",
        action="append",
        default=[],
        help="also search the directory for this term in every round (sqlite); a term that matches no tag by its "
        "letters, such as 'mechanic', makes the worker embed it with the language model",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--server-threads", type=int, default=8)
    ns = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="mccs-membench-")
    if ns.database == "postgres":
        ledger_bench.create_database()
        env, prepared = ledger_bench.prepare(ns.database, data_dir, 1, ns.accepts)
    else:
        env = ledger_bench.bench_env(ns.database, data_dir)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from mccs.seed import seed_demo

        seed_demo(only_if_empty=False)
    from django.db import connection

    connection.close()
    port = ledger_bench.free_port()
    proc = ledger_bench.serve(env, port, ns.server_threads, ns.workers)
    results: dict = {
        "machine": ledger_bench.machine(),
        "load_average": os.getloadavg(),
        "database": ns.database,
        "server_workers": ns.workers,
        "server_threads": ns.server_threads,
    }
    try:
        time.sleep(1)
        results["before"] = memory(proc.pid)
        start = time.perf_counter()
        if ns.database == "postgres":
            _, statuses = ledger_bench.accept_all(port, prepared[0], ns.clients)
            results["workload"] = f"{ns.accepts} accepts through the API from {ns.clients} clients"
        else:
            statuses = browse(port, ns.rounds, ns.members, ns.search)
            results["workload"] = f"{ns.rounds} rounds of browsing every page by {ns.members} demo members"
            if ns.search:
                results["workload"] += f", with searches for {', '.join(ns.search)}"
        results["seconds"] = round(time.perf_counter() - start, 1)
        results["statuses"] = statuses
        results["after"] = memory(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results["max_rss_mb"] = max(p["rss_mb"] for p in results["after"].values())
    results["max_pss_mb"] = max(p["pss_mb"] for p in results["after"].values())
    results["total_pss_mb"] = round(sum(p["pss_mb"] for p in results["after"].values()), 1)
    results["synonyms"] = os.environ.get("MCCS_SYNONYMS", "on")
    results["warm_up"] = os.environ.get("MCCS_WARM_UP", "on")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"memory-{ns.database}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(f"written to {path}")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
