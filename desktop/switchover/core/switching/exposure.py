"""Which files we wrote that hold a plaintext key, for `switchover exposure` (and the UI's warning)."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchover.core.fileio import atomic_write


@dataclass(frozen=True)
class ExposedFile:
    path: str
    tool: str
    provider: str
    since: str

    @property
    def exists(self) -> bool:
        return Path(self.path).exists()

    @property
    def mode(self) -> int | None:
        """The file's permission bits now (None when it is gone or cannot be read)."""
        try:
            return stat.S_IMODE(os.stat(self.path).st_mode)
        except OSError:
            return None

    @property
    def private(self) -> bool:
        """Readable and writable by the user only (a key in a file others can read is exposed twice)."""
        mode = self.mode
        return mode is not None and not mode & 0o077

    @property
    def mode_text(self) -> str:
        return "-" if self.mode is None else f"{self.mode:04o}"


class ExposureRecord:
    def __init__(self, file: Path):
        self.file = file

    def load(self) -> dict[str, dict[str, Any]]:
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        files = raw.get("files", {}) if isinstance(raw, dict) else {}
        return {k: v for k, v in files.items() if isinstance(v, dict)}

    def save(self, files: dict[str, dict[str, Any]]) -> None:
        data = json.dumps({"files": files}, indent=2, sort_keys=True).encode("utf-8")
        atomic_write(self.file, data, mode=0o600)

    def entries(self) -> list[ExposedFile]:
        return [
            ExposedFile(path, str(v.get("tool", "")), str(v.get("provider", "")), str(v.get("since", "")))
            for path, v in sorted(self.load().items())
        ]
