"""The ``mccs`` command: run, operate and inspect a node. Django's own management commands stay reachable."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

Command = Callable[[argparse.Namespace], int]

COMMANDS: dict[str, tuple[Command, str]] = {}  # name -> (function, help line), in the order they are defined


def command(help_text: str, *, django: bool = True) -> Callable[[Command], Command]:
    """Make ``cmd_<name>`` the subcommand ``<name>`` (underscores become hyphens), with its help line. It runs with
    Django set up, unless ``django`` is false (``serve`` prepares the metrics folder first, then sets it up); an
    operation it refuses (ApplicationError, BackupError) ends it with the reason on stderr and status 2."""

    def register(func: Command) -> Command:
        name = func.__name__.removeprefix("cmd_").replace("_", "-")

        def run(ns: argparse.Namespace) -> int:
            if django:
                _setup_django()
            from mccs.backup import BackupError
            from mccs.core.errors import ApplicationError

            try:
                return func(ns)
            except (ApplicationError, BackupError) as exc:
                return _refuse(name, exc)

        COMMANDS[name] = (run, help_text)
        return func

    return register


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _refuse(command: str, reason: object) -> int:
    """Say on stderr why ``mccs COMMAND`` did nothing; the exit status of a refused command."""
    print(f"mccs {command}: {reason}", file=sys.stderr)
    return 2


def _manage(command: str, *args: str, **options: object) -> None:
    from django.core.management import call_command

    call_command(command, *args, **options)


def _metrics_directory() -> None:
    """Under several processes, request figures go to files that any process can add up (see mccs.web.metrics).
    Must be set before prometheus_client is imported; the directory is removed when this (the arbiter) exits."""
    import atexit
    import shutil
    import tempfile

    directory = tempfile.mkdtemp(prefix="mccs-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    arbiter = os.getpid()

    def remove_directory() -> None:
        if os.getpid() == arbiter:  # not in a forked worker
            shutil.rmtree(directory, ignore_errors=True)

    atexit.register(remove_directory)


@command("serve the web UI and the API (applies migrations, runs the background worker once)", django=False)
def cmd_serve(ns: argparse.Namespace) -> int:
    from mccs.server import keep_large_blocks_mapped

    keep_large_blocks_mapped()  # before any thread or fork: the workers inherit it (ADR 0180)
    if ns.workers > 1:
        _metrics_directory()
    _setup_django()
    from django.conf import settings
    from django.db import connections

    from config.wsgi import application

    if ns.workers < 1:
        return _refuse("serve", "--workers must be at least 1")
    _manage("migrate", "--no-input", verbosity=0)
    log = logging.getLogger("mccs.serve")
    log.info(
        "MCCS serving on http://%s:%s with %s process(es) of %s threads (database: %s)",
        ns.host,
        ns.port,
        ns.workers,
        ns.threads,
        settings.DATABASES["default"]["ENGINE"],
    )
    if ns.workers > 1:
        from mccs.server import serve_processes

        # The web workers are forked from this process: none may inherit a database connection.
        connections.close_all()
        serve_processes(
            application,
            host=ns.host,
            port=ns.port,
            workers=ns.workers,
            threads=ns.threads,
            with_worker=not ns.no_worker,
            trust_proxy=settings.MCCS_TRUST_X_FORWARDED_FOR,
        )
        return 0
    return _serve_one_process(ns, application)


def _serve_one_process(ns: argparse.Namespace, application) -> int:
    """`--workers 1`: waitress threads and the background worker in a thread, all in this one process."""
    from django.conf import settings
    from waitress import serve

    from mccs.directory.warm_up import search_warm_up_in_background
    from mccs.notifications.worker import Worker
    from mccs.server import waitress_proxy_options

    search_warm_up_in_background()
    worker = None
    if not ns.no_worker:
        worker = Worker()
        threading.Thread(target=worker.run, name="mccs-worker", daemon=True).start()

    def stop(signum, frame):
        if worker:
            worker.stop.set()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        serve(
            application,
            host=ns.host,
            port=ns.port,
            threads=ns.threads,
            ident="mccs",
            **waitress_proxy_options(trust_proxy=settings.MCCS_TRUST_X_FORWARDED_FOR),
        )
    finally:
        if worker:
            worker.stop.set()
    return 0


@command("run the background worker (email outbox, daily digest) on its own")
def cmd_worker(ns: argparse.Namespace) -> int:
    from mccs.notifications.worker import Worker

    worker = Worker()
    signal.signal(signal.SIGTERM, lambda s, f: worker.stop.set())
    if ns.parent_pid:
        # Started by `mccs serve`: stop when that server is gone, even if it was killed without a word.
        def watch_parent() -> None:
            while not worker.stop.wait(1):
                if os.getppid() != ns.parent_pid:
                    worker.stop.set()

        threading.Thread(target=watch_parent, name="mccs-parent-watch", daemon=True).start()
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.stop.set()
    return 0


@command("apply database migrations")
def cmd_migrate(ns: argparse.Namespace) -> int:
    _manage("migrate", "--no-input")
    return 0


@command("create an administrator, or reset that administrator's password")
def cmd_createadmin(ns: argparse.Namespace) -> int:
    from mccs.users.services import admin_create_or_reset

    _manage("migrate", "--no-input", verbosity=0)
    user, created = admin_create_or_reset(email=ns.email, password=ns.password)
    print(f"{'Created administrator' if created else 'Reset the password of administrator'} {user.email}")
    return 0


@command("load data, e.g. --demo for a small demo network")
def cmd_seed(ns: argparse.Namespace) -> int:
    if not ns.demo:
        return _refuse("seed", "say what to load, e.g. `mccs seed --demo`")
    from mccs.seed import seed_demo

    _manage("migrate", "--no-input", verbosity=0)
    print(seed_demo(only_if_empty=ns.if_empty))
    return 0


@command("check every ledger invariant; exits non-zero naming each violation")
def cmd_ledger_audit(ns: argparse.Namespace) -> int:
    from mccs.ledger.audit import ledger_violations

    violations = 0
    for violation in ledger_violations():  # printed as found: the audit streams, its memory stays flat
        print(f"VIOLATION: {violation}", flush=True)
        violations += 1
    if violations:
        print(f"{violations} ledger invariant violation(s) found.", file=sys.stderr)
        return 1
    print("Ledger audit clean: every invariant holds.")
    return 0


@command("send the daily match emails now")
def cmd_send_daily_digest(ns: argparse.Namespace) -> int:
    from mccs.directory.digest import digests_send

    count = digests_send(force=True)
    print(f"Queued {count} daily match email(s).")
    return 0


@command("place this node in a Credit Commons tree: init, add-branch, join, share, status, reconcile")
def cmd_federation(ns: argparse.Namespace) -> int:
    from mccs.core.errors import ApplicationError
    from mccs.federation import agreement, reconcile, services
    from mccs.federation.client import encode

    _manage("migrate", "--no-input", verbosity=0)
    action = ns.federation_command
    try:
        if action == "init":
            node = services.federation_init(name=ns.name)
            print(f"This node is {node.name} in its Credit Commons tree.")
            return 0
        if action == "add-branch":
            neighbour = services.branch_add(
                name=ns.name, url=ns.url, max_negative=ns.max_negative, max_positive=ns.max_positive
            )
            print(f"Node {neighbour.name} ({neighbour.url}) may now join as a leaf of this node.")
            return 0
        if action == "join":
            neighbour, result = services.trunk_join(
                name=ns.trunk_name,
                url=ns.trunk_url,
                rate=ns.rate,
                max_negative=ns.max_negative,
                max_positive=ns.max_positive,
            )
            print(f"This node is now a leaf of {neighbour.name} ({neighbour.url}); handshake: {result}")
            return 0 if result == "ok" else 1
        if action == "share":
            node = services.sharing_set(actor=None, on=ns.share == "on")
            state = "shares" if node.sharing else "does not share"
            print(f"Node {node.name} now {state} its public directory with its neighbours.")
            return 0
        if action == "status":
            status = agreement.federation_status()
            failed = [n for n in status["neighbours"] if n["handshake"] != "ok"]
            if ns.json:
                for item in status["neighbours"]:
                    item.pop("queued", None)
                    item.pop("rate", None)
                print(encode(status).decode())
            else:
                print(f"node: {status['node'] or '(not set: run mccs federation init)'}")
                for n in status["neighbours"]:
                    print(
                        f"  {n['name']:<16} {n['direction']:<9} {n['url']}  balance {n['balance']}  "
                        f"pending {n['pending']}  limits -{n['maxNegativeBalance']}/+{n['maxPositiveBalance']}  "
                        f"rate {n['rate']}  last hash {n['lastHash'] or '(none)'}  queued {n['queued']}  "
                        f"handshake {n['handshake']}"
                    )
                    agree = {True: "yes", False: "NO", None: "unknown"}[n["agree"]]
                    print(f"  {'':<16} both ends agree: {agree} ({n['agreement']})")
            return 1 if failed else 0
        if action == "reconcile":
            report = reconcile.reconcile(name=ns.name, dry_run=ns.dry_run)
            for line in report.lines:
                print(line)
            return 0 if report.settled else 1
    except ApplicationError as exc:
        return _refuse(f"federation {action}", exc.message)
    return _refuse("federation", "say what to do: init, add-branch, join, share, status or reconcile")


@command("write the whole database to one file, while the node keeps serving")
def cmd_backup(ns: argparse.Namespace) -> int:
    from mccs.backup import database_backup

    engine = database_backup(ns.file)
    print(f"Backed up the {engine} database to {ns.file}")
    return 0


@command("replace the whole database with a backup (servers stopped), then migrate")
def cmd_restore(ns: argparse.Namespace) -> int:
    from mccs.backup import database_restore

    if not ns.yes:
        print(
            "mccs restore replaces the whole database with the backup. Stop every `mccs serve` and `mccs worker` "
            "of this node, then run it again with --yes.",
            file=sys.stderr,
        )
        return 2
    engine = database_restore(ns.file)
    print(f"Restored the {engine} database from {ns.file} and applied pending migrations.")
    return 0


def openapi_document() -> str:
    """The API's OpenAPI document as committed in docs/openapi.json (stable key order, trailing newline)."""
    import json

    from mccs.api.api import api

    return (
        json.dumps(
            api.get_openapi_schema(path_prefix="/api/v1"), indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n"
    )


@command("write the API's OpenAPI document (default: docs/openapi.json)")
def cmd_export_openapi(ns: argparse.Namespace) -> int:
    document = openapi_document()
    if ns.output == "-":
        sys.stdout.write(document)
    else:
        with open(ns.output, "w", encoding="utf-8") as fh:
            fh.write(document)
        print(f"Wrote the OpenAPI document to {ns.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mccs",
        description="Mutual Credit Communication System node. "
        "Any other subcommand is passed to Django's manage.py (e.g. `mccs shell`).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        if name == "serve":
            p.add_argument("--host", default=os.environ.get("MCCS_HOST", "127.0.0.1"))
            p.add_argument("--port", type=int, default=int(os.environ.get("MCCS_PORT", "8000")))
            p.add_argument("--threads", type=int, default=int(os.environ.get("MCCS_THREADS", "8")))
            p.add_argument(
                "--workers",
                type=int,
                default=int(os.environ.get("MCCS_WORKERS") or os.cpu_count() or 1),
                help="server processes (default: the number of CPUs); 1 keeps everything in one process",
            )
            p.add_argument("--no-worker", action="store_true", help="do not run the background worker here")
        if name == "worker":
            p.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)
        if name == "createadmin":
            p.add_argument("--email", required=True)
            p.add_argument("--password", required=True)
        if name == "export-openapi":
            p.add_argument(
                "--output", "-o", default="docs/openapi.json", help="file to write, or - for stdout"
            )
        if name == "federation":
            fed = p.add_subparsers(dest="federation_command", metavar="ACTION")
            init = fed.add_parser("init", help="name this node in the tree")
            init.add_argument("--name", required=True)
            branch = fed.add_parser("add-branch", help="let a node join as a leaf of this node")
            branch.add_argument("--name", required=True)
            branch.add_argument(
                "--url", required=True, help="its Credit Commons base URL, e.g. http://host:port/cc"
            )
            branch.add_argument("--max-negative", help="how far its account here may go below zero")
            branch.add_argument("--max-positive", help="how far its account here may go above zero")
            join = fed.add_parser("join", help="make this node a leaf of a trunk that lists it as a branch")
            join.add_argument("--trunk-name", required=True)
            join.add_argument("--trunk-url", required=True)
            join.add_argument("--rate", default="1", help="one unit here is worth RATE units of the trunk")
            join.add_argument("--max-negative")
            join.add_argument("--max-positive")
            share = fed.add_parser(
                "share", help="share this node's public directory with its neighbours, or not"
            )
            which = share.add_mutually_exclusive_group(required=True)
            which.add_argument("--on", dest="share", action="store_const", const="on")
            which.add_argument("--off", dest="share", action="store_const", const="off")
            status = fed.add_parser("status", help="neighbours, balances, last hashes and live handshakes")
            status.add_argument("--json", action="store_true")
            rec = fed.add_parser(
                "reconcile", help="settle a link whose two ends disagree, and say what was done"
            )
            rec.add_argument("name", help="the neighbour at the other end of the link")
            rec.add_argument("--dry-run", action="store_true", help="only say what would be done")
        if name in ("backup", "restore"):
            p.add_argument("file", help="the backup file")
        if name == "restore":
            p.add_argument("--yes", action="store_true", help="yes, replace the whole database")
        if name == "seed":
            p.add_argument("--demo", action="store_true", help="load the demo network")
            p.add_argument("--if-empty", action="store_true", help="only when the database has no entities")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        _setup_django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["mccs", *argv])
        return 0
    ns = build_parser().parse_args(argv)
    if not getattr(ns, "func", None):
        build_parser().print_help()
        return 2
    return ns.func(ns)


if __name__ == "__main__":
    sys.exit(main())
