"""Which files we wrote that hold a plaintext key, for `switchover exposure` (and the UI's warning)."""

from __future__ import annotations

import json
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
