"""Logging to a rotating file under the state dir, with every known secret scrubbed before it is written and
every control character shown as an escape (logs are read in terminals)."""

from __future__ import annotations

import logging
import logging.handlers

from switchover.core import paths
from switchover.core.secrets import redact
from switchover.core.terminal import terminal_safe

_handler: logging.Handler | None = None
_handler_dir: str | None = None


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message through `redact`, so no handler ever sees a key."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = terminal_safe(redact(record.getMessage()))
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = terminal_safe(redact(logging.Formatter().formatException(record.exc_info)))
            record.exc_info = None
        return True


def setup_logging(level: int = logging.INFO) -> None:
    """Idempotent per log directory (tests move the directory between runs in one process)."""
    global _handler, _handler_dir
    directory = paths.log_dir()
    if _handler is not None and _handler_dir == str(directory):
        return
    root = logging.getLogger("switchover")
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    paths.ensure_private_dir(directory)
    handler = logging.handlers.RotatingFileHandler(
        directory / "switchover.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.setLevel(level)
    root.addHandler(handler)
    _handler, _handler_dir = handler, str(directory)
