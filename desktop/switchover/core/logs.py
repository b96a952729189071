"""Logging to a rotating file under the state dir, with every known secret scrubbed before it is written and
every control character shown as an escape (logs are read in terminals)."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

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


def _quiet_rotating_file(path: Path) -> logging.Handler:
    import logging.handlers

    class QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
        """A log that cannot be written (disk full, `ulimit -f`, a read-only folder) is given up quietly:
        logging is never a reason for a command to print a traceback or fail."""

        def handleError(self, record: logging.LogRecord) -> None:  # noqa: ARG002 - the handler's signature
            with contextlib.suppress(Exception):
                self.close()

    return QuietRotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8", delay=True)


class _LogFile(logging.Handler):
    """The rotating log file, opened (and `logging.handlers` imported) only when something is logged: most
    commands log nothing, and `switchover key` runs every time a tool wants its key."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            self._file = _quiet_rotating_file(self.path)
            self._file.setFormatter(self.formatter or logging.Formatter())
        self._file.handle(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


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
    try:
        paths.ensure_private_dir(directory)
    except OSError:  # no log folder (read-only home, permissions): run without a log file
        return
    handler = _LogFile(directory / "switchover.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.setLevel(level)
    root.addHandler(handler)
    _handler, _handler_dir = handler, str(directory)
