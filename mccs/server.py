"""`mccs serve --workers N`: gunicorn's arbiter with N threaded workers, plus one background worker process.

The arbiter (this process) forks the web workers from an already loaded Django (copy-on-write, quick restarts) and
restarts any that dies. It also starts `mccs worker` as a child and starts it again if it dies, so the outbox and
the periodic jobs run exactly once per node however many web workers there are. SIGTERM is a graceful stop: the
listening socket closes, requests in flight finish (up to ``GRACEFUL_TIMEOUT`` seconds), then the background
worker is told to stop too. See docs/adr/0080-production-server.md.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import subprocess
import sys

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

log = logging.getLogger("mccs.serve")

GRACEFUL_TIMEOUT = 15
M_MMAP_THRESHOLD = -3  # mallopt's parameter for the mmap threshold (glibc's malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own default, in bytes; kept fixed instead of rising (ADR 0180)


class NodeArbiter(Arbiter):
    """gunicorn's arbiter, which also keeps one background worker process alive."""

    app: NodeServer

    def __init__(self, app: NodeServer) -> None:
        super().__init__(app)
        self.background: subprocess.Popen | None = None
        self.stopping = False

    def manage_workers(self) -> None:
        super().manage_workers()
        self.keep_background_worker()

    def keep_background_worker(self) -> None:
        if self.stopping or not self.app.with_worker:
            return
        if self.background is not None:
            # poll() also notices a worker that the arbiter's waitpid(-1) already reaped (it then reports 0).
            if self.background.poll() is None:
                return
            log.warning(
                "the background worker (pid %s) stopped with %s; starting it again",
                self.background.pid,
                self.background.returncode,
            )
        self.background = subprocess.Popen(
            [sys.executable, "-m", "mccs.cli", "worker", "--parent-pid", str(os.getpid())],
        )
        log.info("background worker started (pid %s)", self.background.pid)

    def stop(self, graceful: bool = True) -> None:
        self.stopping = True
        background, self.background = self.background, None
        if background is not None and background.poll() is None:
            background.terminate()  # it finishes the email it is sending, then exits
        super().stop(graceful)
        if background is not None:
            try:
                background.wait(timeout=GRACEFUL_TIMEOUT)
            except subprocess.TimeoutExpired:
                background.kill()
                background.wait()


class NodeServer(BaseApplication):
    def __init__(self, application, options: dict, *, with_worker: bool) -> None:
        self.application = application
        self.options = options
        self.with_worker = with_worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self):
        return self.application

    def run(self) -> None:
        NodeArbiter(self).run()


def keep_large_blocks_mapped() -> bool:
    """Keep glibc's mmap threshold fixed at its default (128 KiB), for this process and those it forks (ADR 0180).

    glibc allocates a block of at least the threshold with its own ``mmap`` and unmaps it when freed. But the
    first time such a block is freed it raises the threshold to the block's size (up to 32 MiB), so later blocks
    of that size come from the malloc arenas, which keep them when freed. Each sign-in hashes a password with
    Argon2 in a 19 MiB block: after the first one, every web thread that checks a password (each has its own
    arena) kept 19 MiB resident for the life of the process. With the threshold set, it is not raised again.
    Does nothing when the operator set ``MALLOC_MMAP_THRESHOLD_`` (glibc reads it at start) or the C library is
    not glibc. Returns whether the threshold was set."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def waitress_proxy_options(*, trust_proxy: bool) -> dict:
    """waitress removes X-Forwarded-* from every request unless told that a proxy is there. With the setting on,
    it trusts the one proxy in front: the client address is the last X-Forwarded-For entry (the one the proxy
    appended; waitress also keeps only that one for mccs.core.client_ip), the scheme is X-Forwarded-Proto."""
    if not trust_proxy:
        return {}
    return {
        "trusted_proxy": "*",
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
    }


def _listening(arbiter) -> None:
    """gunicorn's when_ready hook (the socket is bound, no web worker forked yet): load what directory search needs
    here, once, so every web worker starts with it and shares its pages (the dictionaries, the model's weights)
    instead of loading its own copy at its first search. Connections that arrive meanwhile wait in the backlog."""
    from mccs.directory.warm_up import search_warm_up, warm_up_wanted

    if warm_up_wanted():
        search_warm_up()  # closes its database connection: none may cross the fork


def serve_processes(
    application, *, host: str, port: int, workers: int, threads: int, with_worker: bool, trust_proxy: bool
) -> None:
    """Serve until SIGTERM/SIGINT. Django is loaded and migrated already; its connections must be closed."""
    options = {
        "bind": [bind_address(host, port)],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,
        "when_ready": _listening,
        "graceful_timeout": GRACEFUL_TIMEOUT,
        "timeout": 60,
        "keepalive": 5,
        "proc_name": "mccs",
        "errorlog": "-",
        "loglevel": os.environ.get("MCCS_LOG_LEVEL", "INFO").lower(),
        # The scheme headers (X-Forwarded-Proto) are believed only from the proxy the operator said is there;
        # gunicorn passes X-Forwarded-For on untouched, and mccs.core.client_ip reads it under the same setting.
        "forwarded_allow_ips": "*" if trust_proxy else "",
        # gunicorn's control socket would otherwise be one file per user shared by every server on the machine.
        "control_socket_disable": True,
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
    }
    NodeServer(application, options, with_worker=with_worker).run()
