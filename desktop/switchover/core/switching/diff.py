"""Unified diffs of planned changes, with keys redacted: a dry run is safe to paste anywhere."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from switchover.core.secrets import redact


def _lines(data: bytes | None) -> list[str] | None:
    if data is None:
        return []
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def unified_diff(changes: Iterable[tuple[Path, bytes | None, bytes | None]], secrets: tuple[str, ...] = ()) -> str:
    """One diff for all files; `None` before = new file, `None` after = removed file."""
    parts: list[str] = []
    for path, before, after in changes:
        old, new = _lines(before), _lines(after)
        label_old = "/dev/null" if before is None else f"a{path}" if path.is_absolute() else f"a/{path}"
        label_new = "/dev/null" if after is None else f"b{path}" if path.is_absolute() else f"b/{path}"
        if old is None or new is None:
            parts.append(f"Binary or non-UTF-8 file {path} differs\n")
            continue
        for line in difflib.unified_diff(old, new, label_old, label_new):
            parts.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return redact("".join(parts), secrets)
