"""Load what directory search needs before the first search asks for it.

The first search of a process would otherwise pay for loading simplemma's dictionaries (1.5–6 s) and, with the
optional language model on, for its first sentence and for embedding the tag vocabulary (another 1–3 s). `mccs serve
--workers 1` starts :func:`search_warm_up_in_background` once: a daemon thread at a low scheduling priority, so the
requests that arrive meanwhile are served first and, if one searches, it waits for the same load rather than doing
it twice (the loaders hold a lock). With ``--workers N`` gunicorn's arbiter calls :func:`search_warm_up` itself
before it forks the web workers, so they share one copy (mccs/server.py). The model's arrays are read from files
(ADR 0175): once the vocabulary is embedded, the warm-up unmaps the pages of them it read, which stay in the page
cache for the process that embeds a term next. ``MCCS_WARM_UP=off`` turns it off:
memory then grows only when a search needs it, in each process that searches.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.conf import settings
from django.db import connection

from mccs.directory.search import tag_vocabulary
from mccs.directory.synonyms import meaning_index
from mccs.matching.synonyms import model_release_pages
from mccs.matching.words import word

log = logging.getLogger(__name__)

LOW_PRIORITY = 10  # a nice value: Linux schedules each thread on its own, so only this thread yields


def search_warm_up() -> None:
    """The dictionaries, the tag vocabulary and, when the model is on, its index of that vocabulary."""
    started = time.monotonic()
    try:
        word("house")
        vocabulary = tag_vocabulary()
        index = meaning_index(vocabulary)
        if index is not None:
            model_release_pages()  # read again, from the page cache, by the process that embeds a term next
        log.info(
            "search warm-up: dictionaries, %d tag names%s loaded in %.1f s",
            len(vocabulary.names),
            " and the language model's index of them" if index is not None else "",
            time.monotonic() - started,
        )
    except Exception:  # a warm-up that fails leaves the first search to load what it needs, as without it
        log.exception("search warm-up failed")
    finally:
        connection.close()  # this thread's own connection; the requests' threads have theirs


def _run() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)
    except (AttributeError, OSError):
        pass
    search_warm_up()


def warm_up_wanted() -> bool:
    return bool(getattr(settings, "MCCS_WARM_UP", True))


def search_warm_up_in_background() -> threading.Thread | None:
    if not warm_up_wanted():
        return None
    thread = threading.Thread(target=_run, name="mccs-search-warm-up", daemon=True)
    thread.start()
    return thread
