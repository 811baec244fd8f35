"""Crash injection for recovery tests: stop the whole server as ``kill -9`` would, at a named point.

Off in production: it only acts when ``MCCS_CRASHPOINTS_FILE`` names a file (the federation crash tests set it on
every node they start). That file holds one point name per line, ``name`` or ``name:detail`` (for example
``drive.after_answer:completed``). When the server reaches a listed point it removes the line (each crash happens
once) and sends SIGKILL to its own process group — the server's master, its workers and its background worker
die together, mid-request, with nothing flushed or rolled back politely."""

from __future__ import annotations

import os
import signal


def _file() -> str:
    return os.environ.get("MCCS_CRASHPOINTS_FILE", "")


def crashpoint(name: str, detail: str = "") -> None:
    path = _file()
    if not path:
        return
    wanted = {name, f"{name}:{detail}"} if detail else {name}
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except FileNotFoundError:
        return
    hit = next((line for line in lines if line in wanted), None)
    if hit is None:
        return
    lines.remove(hit)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in lines))
    os.killpg(os.getpgrp(), signal.SIGKILL)
