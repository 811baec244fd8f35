"""Directory benchmark: tag search latency (exact, wildcard, fuzzy) and the daily digest at 100,000 entities.

    .venv/bin/python bench/directory_search.py --db sqlite
    .venv/bin/python bench/directory_search.py --db postgres [--pg-url postgres://postgres@127.0.0.1:5432/postgres]
    .venv/bin/python bench/directory_search.py --db sqlite --remote 100000   # plus the network directory's copy

With ``--remote N``, N entities of other nodes are added to the network directory's copy (ADR 0120), with offers
and wants spread over the same vocabulary, so every search merges local and remote results.

Builds its own database (a file in /tmp, or a database ``mccs_bench_directory`` on the PostgreSQL server), fills it
with bulk inserts (not through sign-up), then times ``GET /api/v1/entities?offers=…`` through Django's test client
(the whole endpoint: parsing, matching, SQL, serialisation) and ``digests_send(force=True)``. Not a test: it
asserts nothing; docs/benchmarks.md records what it printed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADJECTIVES = """organic local fresh vegan artisan handmade vintage used electric mobile custom fair-trade eco
    wholesale budget luxury small large home office garden kids pet bike car industrial digital commercial
    traditional modern rustic seasonal imported free-range gluten-free recycled refurbished express evening weekend
    emergency community family professional solar natural heritage bespoke""".split()
NOUNS = """vegetables bread cakes catering plumbing carpentry printing design accounting bookkeeping cleaning
    repair tutoring photography massage yoga coffee tea flowers honey eggs cheese milk beer wine pizza noodles
    transport deliveries storage removals gardening painting decorating roofing welding tailoring haircuts
    translation consulting marketing software hosting furniture clothing toys books music lessons""".split()
LISTED = ["accepted", "tradingPending", "tradingAccepted", "tradingRejected"]
STATUSES = LISTED * 2 + ["tradingAccepted"] * 4 + ["pending", "rejected"]


def swap_typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def setup_database(kind: str, pg_url: str, reuse: bool, name: str = "") -> None:
    """``name``: a suffix for the database, so that people sharing a machine do not fill each other's."""
    suffix_name = f"_{name}" if name else ""
    if kind == "sqlite":
        path = Path(f"/tmp/mccs-bench-directory{suffix_name.replace('_', '-')}.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            if not reuse:
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        import psycopg

        if not reuse:
            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS mccs_bench_directory{suffix_name}")
                conn.execute(f"CREATE DATABASE mccs_bench_directory{suffix_name}")
        os.environ["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + f"/mccs_bench_directory{suffix_name}"
    os.environ.setdefault("MCCS_DATA_DIR", "/tmp/mccs-bench-data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("MCCS_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)


def _sql_parts(vendor: str, first: int, last: int) -> tuple[str, str, str]:
    """(WITH clause, FROM clause giving rows i = first … last, UUID expression of an integer) for this database."""
    if vendor == "sqlite":
        return (
            f"WITH RECURSIVE g(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM g WHERE i < {last}) ",
            "g",
            "printf('%032x', {})",  # Django keeps UUIDs as 32 hex digits on SQLite
        )
    # bigint: the spreading products (i * 7919, …) overflow a 32-bit integer beyond 271,000 entities
    return "", f"generate_series({first}::bigint, {last}::bigint) AS g(i)", "lpad(to_hex({}), 32, '0')::uuid"


def _copy_triggers(vendor: str, *, on: bool) -> None:
    """Set aside the triggers that copy "listed" and the sort name onto entity tags while the bulk load writes
    those copies itself (SQLite: drop and recreate them from the migration; PostgreSQL: skip triggers for this
    session)."""
    from importlib import import_module

    from django.db import connection

    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"SET session_replication_role = {'origin' if on else 'replica'}")
            return
        migration = import_module("mccs.directory.migrations.0006_entitytag_listed_sort_name")
        for sql in migration.SQLITE_FORWARD if on else migration.SQLITE_BACKWARD:
            cursor.execute(sql)


def _scratch_tables() -> None:
    """The small temporary tables the generating SQL joins (words, statuses, tag slots), for this connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_word")
        cursor.execute("DROP TABLE IF EXISTS bench_status")
        cursor.execute("DROP TABLE IF EXISTS bench_slot")
        cursor.execute("CREATE TEMPORARY TABLE bench_word (k integer, adjective text, noun text)")
        cursor.executemany(
            "INSERT INTO bench_word VALUES (%s, %s, %s)",
            [(k, ADJECTIVES[k % len(ADJECTIVES)].title(), NOUNS[k % len(NOUNS)].title()) for k in range(50)],
        )
        cursor.execute("CREATE TEMPORARY TABLE bench_status (k integer, status text)")
        cursor.executemany("INSERT INTO bench_status VALUES (%s, %s)", list(enumerate(STATUSES)))
        cursor.execute("CREATE TEMPORARY TABLE bench_slot (j integer, kind text, salt integer)")
        cursor.executemany(
            "INSERT INTO bench_slot VALUES (%s, %s, %s)",
            [(j, kind, salt) for j in range(6) for kind, salt in (("offer", 0), ("want", 977))],
        )


TAG_ID_BASE = 10**9  # tag k has the UUID of TAG_ID_BASE + k; entity i the UUID of i
BATCH = 100_000


def fill(n_entities: int, opt_in_share: float, rng: random.Random) -> dict[str, object]:
    """Generate the directory inside the database (INSERT … SELECT over a number series): fast enough for
    1,000,000 entities. Entity i gets a name, a status (86% listed), 2-6 distinct offers and 2-6 distinct wants
    spread over the vocabulary, 1% of them added in the last day."""
    from django.db import connection, transaction

    from mccs.directory.models import Tag

    vendor = connection.vendor
    long_ago = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    today = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)
    vocabulary = NOUNS + [f"{a}-{n}" for a in ADJECTIVES for n in NOUNS]
    t = len(vocabulary)
    started = time.perf_counter()

    def literal(moment: datetime.datetime) -> str:
        # typed on PostgreSQL: in a CASE two untyped literals would be text, which a timestamptz column refuses
        return (
            f"'{moment:%Y-%m-%d %H:%M:%S}'" if vendor == "sqlite" else f"'{moment.isoformat()}'::timestamptz"
        )

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous = OFF" if vendor == "sqlite" else "SET synchronous_commit = off")
    _copy_triggers(vendor, on=False)
    with transaction.atomic():
        Tag.objects.bulk_create(
            [Tag(id=uuid.UUID(int=TAG_ID_BASE + k), name=name) for k, name in enumerate(vocabulary)],
            batch_size=5000,
        )
    _scratch_tables()
    false, true = ("0", "1") if vendor == "sqlite" else ("false", "true")
    listed = ", ".join(f"'{status}'" for status in LISTED)
    per_mille = int(opt_in_share * 1000)
    for first in range(1, n_entities + 1, BATCH):
        last = min(n_entities, first + BATCH - 1)
        with_, from_, as_uuid = _sql_parts(vendor, first, last)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"{with_}INSERT INTO directory_entity (id, name, email, telephone, inc_type, company_number, "
                "website, description, address, city, region, postal_code, country, status, "
                "show_tags_matched_since_last_login, receive_daily_match_notification_email, created_at, "
                f"updated_at) SELECT {as_uuid.format('i')}, a.adjective || ' ' || n.noun || ' ' || i, "
                "'e' || i || '@bench.invalid', '', '', '', '', '', '', 'Leeds', '', '', '', s.status, "
                f"{false}, CASE WHEN (i * 7919) % 1000 < {per_mille} THEN {true} ELSE {false} END, "
                f"{literal(long_ago)}, {literal(long_ago)} "
                f"FROM {from_} JOIN bench_word a ON a.k = (i * 31) % 48 JOIN bench_word n ON n.k = (i * 17) % 50 "
                f"JOIN bench_status s ON s.k = (i * 13) % {len(STATUSES)}"
            )
            # Slot j of kind k is used when j < 2 + (i + salt) % 5; slots pick tags 397 apart, so they differ.
            cursor.execute(
                f"{with_}INSERT INTO directory_entitytag (entity_id, tag_id, kind, added_at, listed, sort_name) "
                f"SELECT {as_uuid.format('i')}, "
                f"{as_uuid.format(f'{TAG_ID_BASE} + ((i * 2654435761 + salt) % {t} + j * 397) % {t}')}, kind, "
                f"CASE WHEN (i * 101 + j * 7 + salt) % 100 = 0 THEN {literal(today)} ELSE {literal(long_ago)} END, "
                f"e.status IN ({listed}), lower(e.name) "
                f"FROM {from_} JOIN bench_slot ON j < 2 + ((i * 7 + salt) % 5) "
                f"JOIN directory_entity e ON e.id = {as_uuid.format('i')} ORDER BY i, salt, j"
            )
        print(f"    {last:,} entities after {time.perf_counter() - started:.0f} s", flush=True)
    _copy_triggers(vendor, on=True)
    with connection.cursor() as cursor:
        # What autovacuum does on a live node: sets the visibility map, so the covering indexes are index-only.
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    from mccs.directory.models import EntityTag

    return {
        "tags": t,
        "entity_tags": EntityTag.objects.count(),
        "fill_seconds": time.perf_counter() - started,
        "vocabulary": vocabulary,
    }


REMOTE_ID_BASE = 2 * 10**9  # remote entity i has the UUID of REMOTE_ID_BASE + i


def fill_remote(n_remote: int, t: int) -> float:
    """The network directory's copy: n_remote entities of node t/b2 as a neighbour shared them, each with 2-6
    offers and 2-6 wants over the same vocabulary of t tags (rows written as ``remote_copy_apply`` writes them)."""
    from django.db import connection, transaction

    vendor = connection.vendor
    started = time.perf_counter()
    _scratch_tables()
    now_literal = (
        "'2025-01-01 00:00:00'" if vendor == "sqlite" else "'2025-01-01T00:00:00+00:00'::timestamptz"
    )
    empty = "'[]'" if vendor == "sqlite" else "'[]'::jsonb"
    for first in range(1, n_remote + 1, BATCH):
        last = min(n_remote, first + BATCH - 1)
        with_, from_, as_uuid = _sql_parts(vendor, first, last)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"{with_}INSERT INTO directory_remoteentity (id, via, node, account_path, name, status, city, region, "
                "country, offers, wants, categories, category_key, sort_name, digest, copied_at) "
                f"SELECT {as_uuid.format(f'{REMOTE_ID_BASE} + i')}, 't', 't/b2', 't/b2/' || i, "
                "'Remote ' || a.adjective || ' ' || n.noun || ' ' || i, 'tradingAccepted', 'York', '', '', "
                f"{empty}, {empty}, {empty}, '|', lower('Remote ' || a.adjective || ' ' || n.noun || ' ' || i), "
                f"'x', {now_literal} "
                f"FROM {from_} JOIN bench_word a ON a.k = (i * 37) % 48 JOIN bench_word n ON n.k = (i * 19) % 50"
            )
            cursor.execute(
                f"{with_}INSERT INTO directory_remoteentitytag (entity_id, tag_id, kind, added_at, sort_name) "
                f"SELECT {as_uuid.format(f'{REMOTE_ID_BASE} + i')}, "
                f"{as_uuid.format(f'{TAG_ID_BASE} + ((i * 2246822519 + salt) % {t} + j * 397) % {t}')}, kind, "
                f"{now_literal}, lower(e.name) "
                f"FROM {from_} JOIN bench_slot ON j < 2 + ((i * 11 + salt) % 5) "
                f"JOIN directory_remoteentity e ON e.id = {as_uuid.format(f'{REMOTE_ID_BASE} + i')} "
                "ORDER BY i, salt, j"
            )
        print(f"    {last:,} remote entities after {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vendor == "postgresql" else "ANALYZE")
    return time.perf_counter() - started


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def time_searches(label: str, terms: list[str]) -> dict[str, float]:
    """Each search through the whole endpoint, then the SQL it sent replayed on a plain cursor (every row fetched):
    the raw database doing the same work, for the ratio."""
    from django.db import connection
    from django.test import Client

    client = Client()
    timings, raw, results, queries_per_search, bounded = [], [], [], 0, 0
    for term in terms:
        queries: list = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            started = time.perf_counter()
            response = client.get("/api/v1/entities", {"offers": term, "page_size": 10})
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
        meta = response.json()["meta"]
        results.append(meta["numberOfResults"])
        bounded += not meta.get("numberOfResultsExact", True)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql, params in queries:
                cursor.execute(sql, params)
                if cursor.description is not None:
                    cursor.fetchall()
        raw.append((time.perf_counter() - started) * 1000)
        queries_per_search = len(queries)
    row = {
        "p50": percentile(timings, 50),
        "p95": percentile(timings, 95),
        "max": max(timings),
        "raw_p50": percentile(raw, 50),
        "raw_p95": percentile(raw, 95),
        "median_results": statistics.median(results),
    }
    print(
        f"  {label:<9} n={len(terms):>3}  p50 {row['p50']:6.1f} ms  p95 {row['p95']:6.1f} ms  "
        f"max {row['max']:6.1f} ms  (median {row['median_results']:.0f} matching entities; {bounded} totals "
        "'more than')  "
        f"raw SQL p50 {row['raw_p50']:6.1f} / p95 {row['raw_p95']:6.1f} ms ({queries_per_search} queries)",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument(
        "--pg-random-page-cost",
        type=float,
        default=None,
        help="set random_page_cost on the benchmark database (1.1 is usual for SSDs)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the database of the previous run (faster)")
    parser.add_argument(
        "--name",
        default="",
        help="suffix of the benchmark database's name (letters and digits): one per person",
    )
    parser.add_argument("--no-digest", action="store_true", help="time the searches only")
    parser.add_argument("--opt-in", type=float, default=0.02, help="share of entities receiving the digest")
    parser.add_argument(
        "--remote", type=int, default=0, help="entities of other nodes in the network directory's copy"
    )
    parser.add_argument("--digest-profile", help="write a cProfile of the digest run to this file")
    ns = parser.parse_args()
    rng = random.Random(42)

    if ns.name and not (ns.name.isascii() and ns.name.isalnum()):
        parser.error("--name takes letters and digits only")
    setup_database(ns.db, ns.pg_url, ns.reuse, ns.name.lower())
    from django.db import connection

    if ns.db == "postgres" and ns.pg_random_page_cost:
        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER DATABASE {connection.settings_dict['NAME']} SET random_page_cost = {float(ns.pg_random_page_cost)}"
            )
        connection.close()
        print(f"  random_page_cost = {ns.pg_random_page_cost} on the benchmark database")

    load = os.getloadavg()
    print(
        f"MCCS directory benchmark on {connection.vendor} {connection.Database.sqlite_version if ns.db == 'sqlite' else ''}"
        f"— {platform.processor() or platform.machine()}, nproc {os.cpu_count()}, load average "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, Python {platform.python_version()}",
        flush=True,
    )
    from mccs.directory.models import Entity, EntityTag, Tag

    if ns.reuse and Entity.objects.exists():
        from mccs.notifications.models import OutboxEmail

        Entity.objects.update(last_match_digest_at=None)
        OutboxEmail.objects.filter(dedupe_key__startswith="match-digest:").delete()
        if connection.vendor == "postgresql":
            # The previous run's 85,714 digests are dead rows now: without this, each --reuse run inserts into a
            # bloated table while autovacuum works beside it, and runs of the same code differed by a quarter.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) notifications_outboxemail, directory_entity")
        data = {
            "tags": Tag.objects.count(),
            "entity_tags": EntityTag.objects.count(),
            "fill_seconds": 0.0,
            "vocabulary": NOUNS + [f"{a}-{n}" for a in ADJECTIVES for n in NOUNS],
        }
        ns.entities = Entity.objects.count()
    else:
        data = fill(ns.entities, ns.opt_in, rng)
    print(
        f"  filled {ns.entities} entities, {data['tags']} distinct tags, {data['entity_tags']} offers/wants "
        f"in {data['fill_seconds']:.1f} s"
    )
    from mccs.directory.models import RemoteEntity, RemoteEntityTag

    if ns.remote and not RemoteEntity.objects.exists():
        seconds = fill_remote(ns.remote, int(data["tags"]))  # type: ignore[call-overload]
        print(
            f"  filled {RemoteEntity.objects.count()} remote entities, {RemoteEntityTag.objects.count()} remote "
            f"offers/wants in {seconds:.1f} s"
        )
    vocabulary: list[str] = data["vocabulary"]  # type: ignore[assignment]
    compound = [t for t in vocabulary if "-" in t]
    exact = [rng.choice(compound) for _ in range(ns.queries)]
    wildcard = [rng.choice(NOUNS) for _ in range(ns.queries)]  # "vegetables" finds "organic-vegetables", …
    fuzzy = [swap_typo(rng.choice([n for n in NOUNS if len(n) >= 6]), rng) for _ in range(ns.queries)]

    time_searches("warm-up", exact[:5] + fuzzy[:5])
    rows = {
        "exact": time_searches("exact", exact),
        "wildcard": time_searches("wildcard", wildcard),
        "fuzzy": time_searches("fuzzy", fuzzy),
    }

    worst = max(row["p95"] for row in rows.values())
    print(f"  worst p95 {worst:.1f} ms (aim: 20 ms at 100,000 entities, 50 ms at 1,000,000)")
    if ns.no_digest:
        return
    from mccs.directory.digest import digests_send

    opted = Entity.objects.filter(receive_daily_match_notification_email=True, status__in=LISTED).count()
    reads: list = []

    def record(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            reads.append((sql, params))
        return execute(sql, params, many, context)

    profiler = None
    if ns.digest_profile:
        import cProfile

        profiler = cProfile.Profile()
    with connection.execute_wrapper(record):
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        queued = digests_send(force=True)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(ns.digest_profile)
        seconds = time.perf_counter() - started
    # The raw reference: the run's reads (the offers and wants, the due entities, windows, recipients) replayed on
    # a plain cursor; its writes (windows moved, emails queued) cannot be repeated.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in reads:
            cursor.execute(sql, params)
            while cursor.fetchmany(10_000):
                pass
    raw = time.perf_counter() - started
    print(
        f"  digest    {opted} opted-in listed entities checked, {queued} emails queued in {seconds:.1f} s "
        f"({seconds / max(opted, 1) * 1000:.2f} ms per entity); its {len(reads)} reads replayed raw: {raw:.1f} s",
        flush=True,
    )


if __name__ == "__main__":
    main()
