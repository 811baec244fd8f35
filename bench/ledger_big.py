"""Big-ledger benchmark: a statement page, a balance, the streamed CSV export and `mccs ledger-audit` at scale.

    .venv/bin/python bench/ledger_big.py --db sqlite                      # 1,000,000 accounts, 10,000,000 postings
    .venv/bin/python bench/ledger_big.py --db postgres --scale 0.01       # 10,000 accounts, 100,000 postings
    .venv/bin/python bench/ledger_big.py --db postgres --reuse            # measure again on the last database

Builds its own database (``/tmp/mccs-bench-ledger.sqlite3``, or ``mccs_bench_ledger`` on the PostgreSQL server) with
SQL that generates the rows inside the database (``INSERT … SELECT`` over a number series; account numbers, which
need a Luhn digit, by ``executemany`` / ``COPY``). The double-entry triggers are set aside during the load (a
single ``UPDATE`` then sets every balance and last posting from the postings) and restored before measuring; the
audit at the end proves the result consistent. One account in ten thousand is "busy": a tenth of all transfers
go to one of them, so there are accounts with tens of thousands of lines as well as the usual ten or so.

Each measurement runs our code and then replays the SQL it sent (captured with ``connection.execute_wrapper``) on
a plain cursor, fetching every row: the ratio ours / raw is the cost of everything that is not the database. The
audit runs as a real ``mccs ledger-audit`` process whose peak resident memory is read with ``wait4``, beside a
process that only loads Django. Not a test: it asserts nothing; docs/benchmarks.md records what it printed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SQLITE_PATH = Path("/tmp/mccs-bench-ledger.sqlite3")
PG_DATABASE = "mccs_bench_ledger"
BATCH = 500_000
BIG_LIMIT = 10**13  # limits wide enough for any balance the generated history reaches


def setup_database(kind: str, pg_url: str, reuse: bool) -> None:
    if kind == "sqlite":
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    else:
        import psycopg

        if not reuse:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
                conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        os.environ["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + "/" + PG_DATABASE
    os.environ.setdefault("MCCS_DATA_DIR", "/tmp/mccs-bench-data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MCCS_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)


# --- filling -----------------------------------------------------------------------------------------------------


def _series(vendor: str, first: int, last: int) -> tuple[str, str]:
    """(WITH clause, FROM clause) giving rows ``i`` = first … last, in order."""
    if vendor == "sqlite":
        return (
            f"WITH RECURSIVE g(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM g WHERE i < {last}) ",
            "g",
        )
    # bigint: products such as i * 40503 overflow a 32-bit integer at 10,000,000 postings
    return "", f"generate_series({first}::bigint, {last}::bigint) AS g(i)"


def _uuid(vendor: str, expr: str) -> str:
    if vendor == "sqlite":
        return f"printf('%032x', {expr})"  # Django keeps UUIDs as 32 hex digits on SQLite
    return f"lpad(to_hex({expr}), 32, '0')::uuid"


def _triggers(vendor: str, *, on: bool) -> None:
    """Set the double-entry triggers aside for the bulk load (SQLite: drop and recreate them from the migration;
    PostgreSQL: ``session_replication_role = replica`` skips triggers and foreign-key checks for this session)."""
    from importlib import import_module

    from django.db import connection

    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"SET session_replication_role = {'origin' if on else 'replica'}")
            return
        migration = import_module("mccs.ledger.migrations.0005_double_entry_in_the_database")
        for sql in migration.SQLITE_FORWARD if on else migration.SQLITE_BACKWARD:
            cursor.execute(sql)


def fill(accounts: int, transfers: int) -> dict[str, float]:
    from django.db import connection, transaction

    from mccs.ledger.account_numbers import luhn_check_digit

    vendor = connection.vendor
    busy = max(1, accounts // 10_000)
    moment = datetime.datetime.now(datetime.UTC)
    first_day = moment - datetime.timedelta(days=730)
    step = max(1, int(730 * 86400 / transfers))  # seconds between transfers: two years of history
    figures: dict[str, float] = {}
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
        else:
            cursor.execute("SET synchronous_commit = off")
    _triggers(vendor, on=False)

    started = time.perf_counter()
    with_, from_ = _series(vendor, 1, accounts)
    false = "0" if vendor == "sqlite" else "false"
    # SQL without parameters (so that % is an operator): the start of the history as a literal
    since = f"'{first_day:%Y-%m-%d %H:%M:%S}'" if vendor == "sqlite" else f"'{first_day.isoformat()}'"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"{with_}INSERT INTO directory_entity (id, name, email, telephone, inc_type, company_number, website, "
            "description, address, city, region, postal_code, country, status, show_tags_matched_since_last_login, "
            "receive_daily_match_notification_email, created_at, updated_at) "
            f"SELECT {_uuid(vendor, 'i')}, 'Member ' || i, 'm' || i || '@bench.invalid', '', '', '', '', '', '', "
            f"'Leeds', '', '', '', 'tradingAccepted', {false}, {false}, {since}, {since} FROM {from_}"
        )
        rows = []
        for i in range(1, accounts + 1):
            partial = f"9{i:014d}"
            number = partial + luhn_check_digit(partial)
            rows.append((i, _entity_pk(vendor, i), number, 0, BIG_LIMIT, BIG_LIMIT, first_day))
        _bulk(
            cursor,
            "ledger_account",
            "id, entity_id, number, balance, max_positive_balance, max_negative_balance, created_at",
            rows,
        )
        if vendor == "postgresql":
            cursor.execute("SELECT setval('ledger_account_id_seq', %s)", [accounts])
    figures["accounts_seconds"] = time.perf_counter() - started

    # Transfer i: a payer spread over every account, a payee likewise — or, for one transfer in ten, one of the
    # busy accounts (the first ``busy`` ids). Amounts 0.01 … 50.00.
    n = accounts
    payer = f"(1 + (i * 2654435761) % {n})"
    spread = f"(1 + ({payer} + (i * 40503) % {n - 1}) % {n})"
    busy_payee = f"(1 + (i / 10) % {busy})"
    payee = f"(CASE WHEN i % 10 = 0 AND {payer} <> {busy_payee} THEN {busy_payee} ELSE {spread} END)"
    amount = "(1 + (i * 37) % 5000)"
    if vendor == "sqlite":
        at = f"strftime('%Y-%m-%d %H:%M:%f', {since}, '+' || (i * {step}) || ' seconds')"
    else:
        at = f"({since}::timestamptz + make_interval(secs => i * {step}))"
    started = time.perf_counter()
    for first in range(1, transfers + 1, BATCH):
        last = min(transfers, first + BATCH - 1)
        with_, from_ = _series(vendor, first, last)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"{with_}INSERT INTO ledger_transfer (id, kind, payer_id, payee_id, initiator_id, amount, description, "
                "state, cancellation_reason, created_at, completed_at) "
                f"SELECT {_uuid(vendor, 'i')}, 'transfer', {payer}, {payee}, {payer}, {amount}, 'Bench ' || i, "
                f"'completed', '', {at}, {at} FROM {from_}"
            )
            sides = "(SELECT 0 AS s UNION ALL SELECT 1)"
            cursor.execute(
                f"{with_}INSERT INTO ledger_posting (transfer_id, account_id, amount, created_at) "
                f"SELECT {_uuid(vendor, 'i')}, CASE s WHEN 0 THEN {payer} ELSE {payee} END, "
                f"CASE s WHEN 0 THEN -{amount} ELSE {amount} END, {at} FROM {from_} CROSS JOIN {sides} sides "
                "ORDER BY i, s"
            )
        print(
            f"    {last:,} transfers ({2 * last:,} postings) after {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    figures["transfers_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_account SET balance = s.total, last_posting_id = s.last FROM ("
            "SELECT account_id, SUM(amount) AS total, MAX(id) AS last FROM ledger_posting GROUP BY account_id"
            ") AS s WHERE s.account_id = ledger_account.id"
        )
    _triggers(vendor, on=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    figures["balances_seconds"] = time.perf_counter() - started
    return figures


def _entity_pk(vendor: str, i: int):
    import uuid

    return uuid.UUID(int=i).hex if vendor == "sqlite" else uuid.UUID(int=i)


def _bulk(cursor, table: str, columns: str, rows: list[tuple]) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(rows[0]))
        for i in range(0, len(rows), 50_000):
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows[i : i + 50_000])


# --- measuring ---------------------------------------------------------------------------------------------------


@contextmanager
def captured(into: list):
    """Record every (sql, params) our code sends, to replay it raw."""
    from django.db import connection

    def record(execute, sql, params, many, context):
        into.append((sql, params, many))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield


def replay(queries: list) -> float:
    """The same SQL on a plain cursor, every row fetched; seconds."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params, many in queries:
            if many:
                continue  # (no writes in what we measure)
            cursor.execute(sql, params)
            if cursor.description is not None:
                while cursor.fetchmany(5000):
                    pass
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed_requests(label: str, call, n: int) -> dict[str, float]:
    """n calls of ``call``, each beside the raw replay of its own SQL."""
    ours, raw, queries_per_call = [], [], 0
    for _ in range(n):
        queries: list = []
        with captured(queries):
            started = time.perf_counter()
            call()
            ours.append((time.perf_counter() - started) * 1000)
        raw.append(replay(queries) * 1000)
        queries_per_call = len(queries)
    row = {
        "p50": percentile(ours, 50),
        "p95": percentile(ours, 95),
        "raw_p50": percentile(raw, 50),
        "raw_p95": percentile(raw, 95),
    }
    print(
        f"  {label:<28} n={n:>3}  p50 {row['p50']:7.1f} ms  p95 {row['p95']:7.1f} ms   "
        f"raw SQL p50 {row['raw_p50']:6.1f} ms  p95 {row['raw_p95']:6.1f} ms   "
        f"ratio(p50) {row['p50'] / max(row['raw_p50'], 0.001):5.1f}  ({queries_per_call} queries)",
        flush=True,
    )
    return row


def peak_rss_mb(args: list[str]) -> tuple[float, float, int, str]:
    """Run a process; (seconds, peak resident MB, exit status, last line of output).

    The process is started by a small Python that only forks it and reports its children's peak: a child forked
    from this benchmark directly would count this process's own pages (hundreds of MB by now) in its peak."""
    reporter = (
        "import resource, subprocess, sys; status = subprocess.call(sys.argv[1:]); "
        "print('peak-kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True); sys.exit(status)"
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-S", "-c", reporter, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )
    assert process.stdout is not None
    last, peak_kb = "", 0
    for line in process.stdout:
        text = line.decode().strip()
        if text.startswith("peak-kb "):
            peak_kb = int(text.split()[1])
        else:
            last = text or last
    process.wait()
    return time.perf_counter() - started, peak_kb / 1024, process.returncode, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = 1,000,000 accounts, 10,000,000 postings"
    )
    parser.add_argument("--reuse", action="store_true", help="measure the database of the previous run again")
    parser.add_argument("--requests", type=int, default=30, help="requests per page/balance measurement")
    ns = parser.parse_args()
    accounts = max(20_000 if ns.scale >= 0.02 else 100, int(1_000_000 * ns.scale))
    transfers = int(5_000_000 * ns.scale)

    setup_database(ns.db, ns.pg_url, ns.reuse)
    from django.db import connection

    from mccs.ledger.models import Account, Posting

    load = os.getloadavg()
    print(
        f"MCCS big-ledger benchmark on {connection.vendor} — {platform.processor() or platform.machine()}, "
        f"nproc {os.cpu_count()}, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, "
        f"Python {platform.python_version()}",
        flush=True,
    )
    if not (ns.reuse and Account.objects.exists()):
        figures = fill(accounts, transfers)
        print(
            f"  filled in {sum(figures.values()):.0f} s (entities+accounts {figures['accounts_seconds']:.0f} s, "
            f"transfers+postings {figures['transfers_seconds']:.0f} s, balances+analyse "
            f"{figures['balances_seconds']:.0f} s)",
            flush=True,
        )
    n_accounts = Account.objects.count()
    n_postings = Posting.objects.count()
    busy = Account.objects.get(pk=1)
    typical = Account.objects.get(pk=n_accounts // 2 + 7)
    busy_lines = Posting.objects.filter(account=busy).count()
    typical_lines = Posting.objects.filter(account=typical).count()
    print(
        f"  {n_accounts:,} accounts, {n_postings:,} postings; busy account {busy_lines:,} lines, "
        f"typical account {typical_lines:,} lines",
        flush=True,
    )

    from django.test import Client

    from mccs.directory.models import Entity
    from mccs.users.models import AuthToken, User
    from mccs.users.tokens import token_issue

    clients, tokens = {}, {}
    for label, acc in (("busy", busy), ("typical", typical)):
        user = User.objects.filter(email=f"{label}@bench.invalid").first()
        if user is None:
            user = User.objects.create_user(f"{label}@bench.invalid", "bench-password-1")
            Entity.objects.get(pk=acc.entity_id).users.add(user)
        client = Client()
        client.force_login(user)
        clients[label] = client
        tokens[label] = token_issue(user=user, scope=AuthToken.Scope.MEMBER)

    def get(label: str, path: str, **params):
        def call():
            response = clients[label].get(path, params)
            assert response.status_code == 200, (response.status_code, path)
            return response

        return call

    def balance(label: str, acc):
        def call():
            response = clients[label].get(
                "/api/v1/balance",
                {"querying_entity_id": str(acc.entity_id)},
                HTTP_AUTHORIZATION=f"Bearer {tokens[label]}",
            )
            assert response.status_code == 200, response.content

        return call

    middle = max(2, busy_lines // 100)  # half-way through the busy account's history (50 lines a page)
    for label in clients:  # warm-up: templates, the first session read
        get(label, "/transfers")()
    rows = {
        "balance (API), busy": timed_requests("balance (API), busy", balance("busy", busy), ns.requests),
        "statement page 1, busy": timed_requests(
            "statement page 1, busy", get("busy", "/transfers"), ns.requests
        ),
        f"statement page {middle}, busy": timed_requests(
            f"statement page {middle}, busy", get("busy", "/transfers", page=middle), ns.requests
        ),
        "statement page 1, typical": timed_requests(
            "statement page 1, typical", get("typical", "/transfers"), ns.requests
        ),
    }

    def csv_download(label: str):
        def call():
            response = clients[label].get("/transfers", {"format": "csv"})
            assert response.status_code == 200 and response.streaming
            size = 0
            for part in response.streaming_content:
                size += len(part)
            response.close()
            return size

        return call

    for label, lines in (("busy", busy_lines), ("typical", typical_lines)):
        queries: list = []
        with captured(queries):
            started = time.perf_counter()
            size = csv_download(label)()
            ours = time.perf_counter() - started
        raw = replay(queries)
        print(
            f"  CSV export, {label:<8} {lines:>8,} lines, {size / 1e6:6.1f} MB in {ours:6.2f} s "
            f"({lines / max(ours, 1e-9):8,.0f} lines/s); raw SQL {raw:6.2f} s; ratio {ours / max(raw, 1e-9):5.1f}; "
            f"{len(queries)} queries",
            flush=True,
        )
    tracemalloc.start()
    csv_download("busy")()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  CSV export, busy: peak Python allocation while streaming {peak / 1e6:.1f} MB", flush=True)

    mccs = str(ROOT / ".venv/bin/mccs")
    base_seconds, base_rss, _, _ = peak_rss_mb([mccs, "shell", "-c", "import mccs.ledger.audit"])
    seconds, rss, status, last = peak_rss_mb([mccs, "ledger-audit"])
    print(
        f"  mccs ledger-audit: {seconds:.1f} s, peak RSS {rss:.0f} MB (a process that only loads Django: "
        f"{base_rss:.0f} MB), exit {status}: {last}",
        flush=True,
    )
    from mccs.ledger.audit import ledger_violations

    queries = []
    with captured(queries):
        started = time.perf_counter()
        found = sum(1 for _ in ledger_violations())
        ours = time.perf_counter() - started
    raw = replay(queries)
    print(
        f"  ledger audit in-process: {ours:.1f} s, {found} violations; raw SQL {raw:.1f} s; "
        f"ratio {ours / max(raw, 1e-9):.2f}; {len(queries)} queries",
        flush=True,
    )
    summary = {k: round(v["p95"], 1) for k, v in rows.items()}
    print(
        f"  p95 summary (ms): {summary}; median of p50 {statistics.median(v['p50'] for v in rows.values()):.1f}"
    )


if __name__ == "__main__":
    main()
