"""The switch journal: one JSON file per switch or undo, written before the first file is touched.

A record per file holds the hashes of the bytes before and after and where the backup is, so an
interrupted switch can be rolled back exactly, and `undo` can restore byte-identical files later.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from switchover.core import paths
from switchover.core.fileio import atomic_write

IN_PROGRESS = "in progress"
DONE = "done"
ROLLED_BACK = "rolled back"
INTERRUPTED = "interrupted, rolled back"


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_switch_id() -> str:
    """Sortable by time; the random tail keeps two switches in one microsecond apart."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


@dataclass
class FileRecord:
    tool: str
    path: str  # the real file (symlinks resolved)
    before_sha256: str | None  # None: the file did not exist
    after_sha256: str | None  # None: the operation removes the file (undo of a creation)
    backup: str | None = None  # relative to the data dir; None when there was nothing to back up
    holds_secret: bool = False
    exposure_before: dict[str, Any] | None = None  # the exposure record of this file before the switch
    # sha256 of the target's `settled_form` of what was written (None: the tool never rewrites the file)
    after_settled_sha256: str | None = None
    kind: str | None = None  # the file's format, when the switch edited it key by key (`core.formats`)
    # The keys the switch changed, as `core.switching.semantic.owned_changes` lists them (hashes, no values),
    # so undo can take back just those when something else changed the file since; None: byte-exact only.
    changes: list[dict[str, Any]] | None = None
    created_dirs: list[str] = field(default_factory=list)  # folders the switch created for it, deepest first


@dataclass
class RouteRecord:
    """A gateway route the switch re-pointed. Routes live in Switchover's own store, not in a tool's file, so
    they are journaled by value: the tool, and its route's choice before and after ({"provider", "model",
    "small_model"}; None: no choice, the route serves its chain)."""

    tool: str
    before: dict[str, str | None] | None
    after: dict[str, str | None] | None


class RouteKeeper(Protocol):
    """Where routes are kept (the gateway's part of the store), for undo: `revert` puts back each record's
    `before` where the route still holds its `after`, and returns what it left alone and why."""

    def revert(self, records: Sequence[RouteRecord]) -> list[str]: ...


@dataclass
class JournalEntry:
    id: str
    kind: str  # "switch" | "undo"
    state: str
    started: str
    provider: str
    model: str
    small_model: str | None = None
    tools: list[str] = field(default_factory=list)
    files: list[FileRecord] = field(default_factory=list)
    finished: str | None = None
    undoes: str | None = None  # for undo entries: the switch they reverse
    error: str | None = None
    problems: list[str] = field(default_factory=list)  # files a recovery could not restore (user edits)
    routes: list[RouteRecord] = field(default_factory=list)  # gateway routes the switch re-pointed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> JournalEntry:
        files = [FileRecord(**f) for f in raw.get("files", [])]
        routes = [RouteRecord(**r) for r in raw.get("routes", [])]
        fields = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__ and k not in ("files", "routes")}
        return cls(files=files, routes=routes, **fields)


class Journal:
    def __init__(self, directory: Path):
        self.directory = directory

    def path_of(self, switch_id: str) -> Path:
        return self.directory / f"{switch_id}.json"

    def write(self, entry: JournalEntry) -> None:
        paths.make_private_dirs(self.directory)
        data = json.dumps(entry.to_json(), indent=2, ensure_ascii=False).encode("utf-8")
        atomic_write(self.path_of(entry.id), data, mode=0o600)

    def entries(self) -> list[JournalEntry]:
        """All entries, oldest first; unreadable ones are skipped (they cannot be acted on safely)."""
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                out.append(JournalEntry.from_json(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError):
                continue
        return out

    def files(self) -> list[Path]:
        """Every entry file (trust checks look at each one before recovery or undo acts)."""
        return sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []

    def newest(self, limit: int | None = None) -> Iterator[JournalEntry]:
        """Entries newest first, read lazily (a switch only looks at the last one or two)."""
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.json"), reverse=True)[:limit]:
            try:
                yield JournalEntry.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue

    def prune(self, keep: int) -> None:
        if not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.json"), reverse=True)[keep:]:
            path.unlink(missing_ok=True)

    def remove(self, switch_id: str) -> None:
        self.path_of(switch_id).unlink(missing_ok=True)
