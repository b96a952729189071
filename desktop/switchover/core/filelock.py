"""An advisory inter-process lock, so the app, the CLI and a watcher never write the same state at once."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from switchover.core.errors import SwitchoverError
from switchover.core.paths import make_private_dirs


class LockBusyError(SwitchoverError):
    pass


@contextlib.contextmanager
def locked(path: Path, timeout: float = 10.0, what: str = "Switchover's state") -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed); wait up to `timeout` seconds, then fail clearly."""
    make_private_dirs(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                _try_lock(fd)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusyError(
                        f"Another Switchover process is changing {what} (lock {path}); try again in a moment."
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> None:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise BlockingIOError from exc

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
