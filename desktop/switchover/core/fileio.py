"""Atomic, durable file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

from switchover.core.paths import make_private_dirs

TEMP_PREFIX = ".switchover-tmp-"

# What the user can do about each way a write fails; anything else shows the system's own words.
_PLAIN = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "your disk quota is used up",
    errno.EFBIG: "the file size limit (ulimit -f) is too small for it",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted (is the file immutable or owned by another user?)",
    errno.EROFS: "it is on a read-only file system",
    errno.EMFILE: "too many files are open",
    errno.ENAMETOOLONG: "the path is too long",
}


def describe_os_error(exc: OSError, action: str = "write") -> str:
    """One plain sentence for a failed file operation: `could not write /x: the disk is full`."""
    why = _PLAIN.get(exc.errno or 0) or exc.strerror or str(exc)
    where = f" {exc.filename}" if exc.filename else ""
    return f"could not {action}{where}: {why}"


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


def atomic_write(path: Path, data: bytes, mode: int | None = None, *, private: bool = False,
                 durable: bool = True) -> Path:
    """Write `data` to `path` via a temp file in the same directory, fsync, rename, fsync the directory.

    The existing file's permission bits are kept; `mode` applies only to a new file (default 0o600 would be
    surprising for configs the user created, so new files get 0o644 unless told otherwise). `private` (the
    data holds a plaintext key) makes the file 0600 whatever it was: a key never sits in a file others can
    read. Missing folders are created 0700. Returns the real path written (symlinks are followed).

    `durable=False` skips the fsyncs: readers still see the old file or the new one, but a power cut may lose
    the write. Only for files that are a convenience (the health history), never for the user's configs.
    """
    target = resolve_target(path)
    try:
        return _atomic_write(target, data, mode, private, durable)
    except OSError as exc:  # name the file the user knows, not our temp file (or none: a failed write())
        if exc.filename == str(target):
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc


def _atomic_write(target: Path, data: bytes, mode: int | None, private: bool, durable: bool = True) -> Path:
    directory = target.parent
    make_private_dirs(directory)
    try:
        keep_mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        keep_mode = None
    import tempfile  # writers only

    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
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
    if durable:
        fsync_dir(directory)
    return target


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> Path:
    return atomic_write(path, text.encode("utf-8"), mode=mode)


def read_json_document(path: Path, schema_version: int) -> dict[str, Any] | None:
    """A JSON object this program stored at `path` with `schema_version`; None when the file is missing,
    unreadable, damaged or of another version (stored convenience data never blocks anything)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema_version") != schema_version:
        return None
    return data
