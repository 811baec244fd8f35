import logging
import sys


class CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the moment of logging, not the one present at start-up.

    Test runners swap and close stderr per test; a handler holding the start-up stream would then fail with
    "I/O operation on closed file"."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class ClientErrorFilter(logging.Filter):
    """A request refused with a 4xx is the client's mistake, not the node's: Django logs some of them (a body over
    the size limit, a multipart body without a boundary) at ERROR with a traceback, which drowns real errors and
    wakes whoever watches the log. They are kept, as one-line warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info = None
            record.exc_text = None
        return True
