"""Atomic, durable file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from switchover.core.paths import make_private_dirs

TEMP_PREFIX = ".switchover-tmp-"


def resolve_target(path: Path) -> Path:
    """Follow a symlinked config to the real file so we replace the file and keep the user's link."""
    return Path(os.path.realpath(path))


def fsync_dir(directory: Path) -> None:
    """Make a rename durable; a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int | None = None, *, private: bool = False) -> Path:
    """Write `data` to `path` via a temp file in the same directory, fsync, rename, fsync the directory.

    The existing file's permission bits are kept; `mode` applies only to a new file (default 0o600 would be
    surprising for configs the user created, so new files get 0o644 unless told otherwise). `private` (the
    data holds a plaintext key) makes the file 0600 whatever it was: a key never sits in a file others can
    read. Missing folders are created 0700. Returns the real path written (symlinks are followed).
    """
    target = resolve_target(path)
    directory = target.parent
    make_private_dirs(directory)
    try:
        keep_mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        keep_mode = None
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        final_mode = keep_mode if keep_mode is not None else (mode if mode is not None else 0o644)
        if private:
            final_mode = 0o600
        os.chmod(tmp, final_mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    fsync_dir(directory)
    return target


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> Path:
    return atomic_write(path, text.encode("utf-8"), mode=mode)
