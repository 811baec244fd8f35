"""Pictures benchmark: the figures behind the charts on a big ledger (ADR 0063).

    .venv/bin/python bench/charts_bench.py --db sqlite
    .venv/bin/python bench/charts_bench.py --db postgres [--pg-url postgres://postgres@127.0.0.1:5432/postgres]

Builds its own database twice (a small and a big ledger: 1,000 accounts, transfers spread over two years, one busy
account in a tenth of them), with bulk inserts of completed transfers (the database's own triggers write the
postings and move the balances). Then, in the same run, times each selector against a plain query over the same
rows as a yardstick:

- ``balance_history`` (last 90 days, at most 200 points) of the busy account against the statement of the same 90
  days (``statement_for_account``, which reads every posting of the period);
- ``network_weeks`` (12 weeks, one grouped query) against counting the postings of those weeks;
- ``accounts_near_limits`` + ``limit_use_bands`` against counting the accounts.

Not a test: it asserts nothing; docs/benchmarks.md records what it printed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNTS = 1000


def setup_database(kind: str, pg_url: str, name: str) -> None:
    from django.db import connections

    connections.close_all()
    from django.conf import settings

    if kind == "sqlite":
        path = Path(f"/tmp/{name}.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        settings.DATABASES["default"]["NAME"] = str(path)
    else:
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        settings.DATABASES["default"]["NAME"] = name
    connections["default"].close()
    del connections["default"]
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)


def fill(transfers: int, rng: random.Random) -> dict:
    from django.db import connection, transaction

    from mccs.directory.models import Entity, EntityStatus
    from mccs.ledger.models import Account, Transfer

    limit = 10**12
    now = datetime.datetime.now(datetime.UTC)
    started = time.perf_counter()
    with transaction.atomic():
        entities = [
            Entity(
                id=uuid.uuid4(),
                name=f"Member {i}",
                email=f"m{i}@bench.invalid",
                status=EntityStatus.TRADING_ACCEPTED,
            )
            for i in range(ACCOUNTS)
        ]
        Entity.objects.bulk_create(entities, batch_size=5000)
        Account.objects.bulk_create(
            [
                Account(entity=e, number=f"{i:016d}", max_positive_balance=limit, max_negative_balance=limit)
                for i, e in enumerate(entities)
            ],
            batch_size=5000,
        )
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        busy = ids[0]
        span = datetime.timedelta(days=730)
        moments = sorted(now - span * rng.random() for _ in range(transfers))
        batch = []
        for at in moments:
            payer, payee = rng.sample(ids[1:], 2)
            if rng.random() < 0.1:
                payer, payee = (busy, payee) if rng.random() < 0.5 else (payer, busy)
            batch.append(
                Transfer(
                    kind="adminTransfer",
                    payer_id=payer,
                    payee_id=payee,
                    initiator_id=payer,
                    amount=rng.randint(1, 10_000),
                    state="completed",
                    created_at=at,
                    completed_at=at,
                )
            )
            if len(batch) >= 5000:
                Transfer.objects.bulk_create(batch)
                batch = []
        Transfer.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"busy": Account.objects.get(pk=busy), "fill_seconds": time.perf_counter() - started}


def median_ms(work, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def measure(busy, repeat: int) -> dict[str, tuple[float, float]]:
    from mccs.core import clock
    from mccs.ledger import statistics as figures
    from mccs.ledger.models import Account, Posting
    from mccs.ledger.selectors import statement_for_account

    since = clock.now() - datetime.timedelta(days=90)
    weeks_start = clock.now() - datetime.timedelta(weeks=12)
    return {
        "balance_history vs 90-day statement": (
            median_ms(lambda: figures.balance_history(account=busy), repeat),
            median_ms(lambda: statement_for_account(account=busy, date_from=since.date()), repeat),
        ),
        "network_weeks vs counting those postings": (
            median_ms(lambda: figures.network_weeks(weeks=12), repeat),
            median_ms(lambda: Posting.objects.filter(created_at__gte=weeks_start).count(), repeat),
        ),
        "near limits + bands vs counting accounts": (
            median_ms(lambda: (figures.accounts_near_limits(), figures.limit_use_bands()), repeat),
            median_ms(lambda: Account.objects.count(), repeat),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("MCCS_DATA_DIR", "/tmp/mccs-bench-data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MCCS_LOG_LEVEL", "WARNING")
    # The settings pick the database engine (and its options) from the URL; each ledger size gets its own database.
    os.environ["DATABASE_URL"] = (
        args.pg_url if args.db == "postgres" else "sqlite:////tmp/mccs_bench_charts.sqlite3"
    )
    import django

    django.setup()
    rng = random.Random(12)
    print(f"database: {args.db}; {ACCOUNTS} accounts; median of {args.repeat} runs, ms")
    print("| transfers | busy account's postings | figure | selector ms | yardstick ms | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in (int(s) for s in args.sizes.split(",")):
        setup_database(args.db, args.pg_url, f"mccs_bench_charts_{size}")
        filled = fill(size, rng)
        busy = filled["busy"]
        busy.refresh_from_db()
        postings = busy.postings.count()
        for name, (ours, yardstick) in measure(busy, args.repeat).items():
            print(
                f"| {size:,} | {postings:,} | {name} | {ours:.2f} | {yardstick:.2f} | {ours / yardstick:.2f} |"
            )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
