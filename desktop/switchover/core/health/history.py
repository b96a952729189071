"""Recent check results per endpoint, persisted so uptime and latency survive a restart.

One small append-only file per endpoint under `data_dir()/health/` (`provider__protocol.jsonl`: a header line,
then one result per line), written under one inter-process lock. A sweep appends one line per endpoint and
rewrites the index once; a file is compacted to the newest `keep` results only when it has grown half as
long again. (Rewriting every history on every sweep cost 0.9 s at 1000 endpoints, and the gateway records
each request's outcome.) Results never hold keys (reasons are scrubbed before a result exists), so nothing
secret lands here.

An index (`index.json`) keeps each endpoint's newest result, so `switchover status` and the app read one file
instead of every history. It is checked against each file's size and modification time when read, so a file
changed without it (another writer, an older version) is read once and indexed again.

The history is a convenience: writes skip fsync (a reader sees whole lines, a power cut may lose a sweep), a
damaged line is skipped, and files of the earlier format (`*.json`, one document) are still read and are
converted on their next write.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchover.core import paths
from switchover.core.fileio import atomic_write, read_json_document
from switchover.core.filelock import LockBusyError, locked
from switchover.core.health.results import HealthResult

HISTORY_SCHEMA = 2  # append-only lines; 1 was one JSON document per endpoint (still read)
LEGACY_SCHEMA = 1
INDEX_FILE = "index.json"  # endpoint files are named provider__protocol.jsonl, so this name never collides
DEFAULT_KEEP = 500
DAY_S = 24 * 3600.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class HistorySummary:
    """Uptime and latency over a window; `None` figures mean "no checks in the window"."""

    endpoint: str
    checks: int
    uptime_pct: float | None
    median_latency_ms: float | None
    last: HealthResult | None


class HealthHistory:
    def __init__(self, directory: Path | None = None, keep: int = DEFAULT_KEEP):
        self.directory = directory or paths.data_dir() / "health"
        self.keep = keep

    def _file(self, endpoint: str) -> Path:
        return self.directory / (_UNSAFE.sub("_", endpoint.replace("/", "__")) + ".jsonl")

    def _legacy_file(self, endpoint: str) -> Path:
        return self._file(endpoint).with_suffix(".json")

    def _lock(self) -> Path:
        return self.directory / ".lock"

    def record(self, results: Iterable[HealthResult]) -> None:
        """Append results (any endpoints); each endpoint keeps (at least) its newest `keep`."""
        grouped: dict[str, list[HealthResult]] = {}
        for result in results:
            grouped.setdefault(result.endpoint_key, []).append(result)
        if not grouped:
            return
        paths.ensure_private_dir(self.directory)
        with locked(self._lock(), what="the health history"):
            index = self._read_index()
            for endpoint, new in grouped.items():
                index[endpoint] = self._append(endpoint, [_to_entry(r) for r in new], index.get(endpoint))
            self._write_index(index)

    def _append(self, endpoint: str, new: list[dict[str, Any]], known: dict[str, Any] | None) -> dict[str, Any]:
        """Add `new` to the endpoint's file; returns its index entry."""
        file = self._file(endpoint)
        lines = known.get("lines") if known is not None and _matches_file(known, file) else None
        last = known.get("last") if isinstance(lines, int) and known is not None else None
        if not isinstance(lines, int):  # not indexed as it is now (or a legacy file): read it once
            entries = self._read_raw(endpoint)
            return self._rewrite(endpoint, entries + new)
        if lines + len(new) > self.keep + self.keep // 2:
            return self._rewrite(endpoint, self._read_raw(endpoint) + new)
        fd = os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "ab") as handle:
            handle.write(b"".join(_line(entry) for entry in new))
        newest = max([*([last] if isinstance(last, dict) else []), *new], key=_checked_at)
        return _index_entry(file, newest, lines + len(new))

    def _rewrite(self, endpoint: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """Write the newest `keep` entries as a fresh file (and retire a legacy one)."""
        entries.sort(key=_checked_at)
        kept = entries[-self.keep:]
        header = {"schema_version": HISTORY_SCHEMA, "endpoint": endpoint}
        file = self._file(endpoint)
        atomic_write(file, _line(header) + b"".join(_line(e) for e in kept), 0o600, durable=False)
        with contextlib.suppress(FileNotFoundError):
            self._legacy_file(endpoint).unlink()
        return _index_entry(file, kept[-1], len(kept))

    def results(self, endpoint: str) -> list[HealthResult]:
        """Oldest first, at most `keep`. A damaged line or file reads as nothing (history is a convenience,
        never a blocker)."""
        out: list[HealthResult] = []
        for entry in self._read_raw(endpoint)[-self.keep:]:
            try:
                out.append(HealthResult.from_json(entry))
            except (KeyError, ValueError, TypeError):
                continue
        return out

    def endpoints(self) -> list[str]:
        """Every endpoint with a history, in file-name order."""
        return list(self.latest())

    def latest(self) -> dict[str, HealthResult]:
        """The newest recorded result of every endpoint (file-name order), from the index: one file read, plus
        a stat per history (and a parse only of histories the index does not describe as they are now)."""
        if not self.directory.is_dir():
            return {}
        index = self._read_index()
        by_file = {str(entry.get("file")): (endpoint, entry) for endpoint, entry in index.items()}
        fresh: dict[str, dict[str, Any]] = {}
        changed = False
        for file in sorted(self.directory.iterdir()):
            if file.suffix not in (".jsonl", ".json") or file.name == INDEX_FILE:
                continue
            try:
                stat = file.stat()
            except OSError:
                continue
            known = by_file.get(file.name)
            if known is not None and _matches(known[1], stat):
                if known[0] not in fresh or file.suffix == ".jsonl":  # the current file wins over a legacy one
                    fresh[known[0]] = known[1]
                continue
            changed = True
            read = _index_of(file)
            if read is not None and (read[0] not in fresh or file.suffix == ".jsonl"):
                fresh[read[0]] = read[1]
        if changed or fresh.keys() != index.keys():
            # Best effort: the next reader indexes what this one could not save.
            with contextlib.suppress(OSError, LockBusyError), locked(self._lock(), timeout=0, what="the history"):
                self._write_index(fresh)
        out: dict[str, HealthResult] = {}
        for endpoint, entry in fresh.items():
            with contextlib.suppress(KeyError, ValueError, TypeError):
                out[endpoint] = HealthResult.from_json(entry["last"])
        return out

    def summary(self, endpoint: str, window_s: float = DAY_S, now: float | None = None) -> HistorySummary:
        now = time.time() if now is None else now
        recent = [r for r in self.results(endpoint) if now - r.checked_at <= window_s]
        if not recent:
            return HistorySummary(endpoint, 0, None, None, None)
        healthy = [r for r in recent if r.healthy]
        latencies = [r.latency_ms for r in healthy if r.latency_ms is not None]
        return HistorySummary(
            endpoint=endpoint,
            checks=len(recent),
            uptime_pct=100.0 * len(healthy) / len(recent),
            median_latency_ms=statistics.median(latencies) if latencies else None,
            last=recent[-1],
        )

    def _read_raw(self, endpoint: str) -> list[dict[str, Any]]:
        """Every stored entry, oldest first (the current file, else a legacy one)."""
        file = self._file(endpoint)
        if file.exists():
            return _read_lines(file)
        return _read_legacy(self._legacy_file(endpoint))

    def _read_index(self) -> dict[str, dict[str, Any]]:
        try:
            document = json.loads((self.directory / INDEX_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        endpoints = document.get("endpoints") if isinstance(document, dict) else None
        if not isinstance(endpoints, dict):
            return {}
        return {str(k): v for k, v in endpoints.items() if isinstance(v, dict) and isinstance(v.get("last"), dict)}

    def _write_index(self, index: dict[str, dict[str, Any]]) -> None:
        document = {"schema_version": HISTORY_SCHEMA, "endpoints": index}
        atomic_write(self.directory / INDEX_FILE, json.dumps(document, separators=(",", ":")).encode(), 0o600,
                     durable=False)


def _line(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, separators=(",", ":")).encode() + b"\n"


def _checked_at(entry: dict[str, Any]) -> float:
    try:
        return float(entry.get("checked_at", 0.0))
    except (TypeError, ValueError):
        return 0.0


def _read_lines(file: Path) -> list[dict[str, Any]]:
    """The entries of an append-only history, sorted by check time; damaged lines are skipped."""
    try:
        raw = file.read_bytes()
    except OSError:
        return []
    entries = []
    for number, line in enumerate(raw.splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if number == 0 and isinstance(entry, dict) and "schema_version" in entry:
            if entry.get("schema_version") != HISTORY_SCHEMA:
                return []
            continue
        if isinstance(entry, dict) and "status" in entry:
            entries.append(entry)
    entries.sort(key=_checked_at)
    return entries


def _read_legacy(file: Path) -> list[dict[str, Any]]:
    data = read_json_document(file, LEGACY_SCHEMA)
    entries = data.get("results") if data is not None else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _endpoint_of(file: Path) -> str | None:
    try:
        if file.suffix == ".jsonl":
            with file.open("rb") as handle:
                header = json.loads(handle.readline())
        else:
            header = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    endpoint = header.get("endpoint") if isinstance(header, dict) else None
    return endpoint if isinstance(endpoint, str) else None


def _index_of(file: Path) -> tuple[str, dict[str, Any]] | None:
    """(endpoint, index entry) of one history file, read whole; None when it is damaged or empty."""
    endpoint = _endpoint_of(file)
    entries = _read_lines(file) if file.suffix == ".jsonl" else _read_legacy(file)
    if endpoint is None or not entries:
        return None
    return endpoint, _index_entry(file, entries[-1], len(entries) if file.suffix == ".jsonl" else None)


def _index_entry(file: Path, last: dict[str, Any], lines: int | None) -> dict[str, Any]:
    stat = os.stat(file)
    return {"file": file.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "last": last, "lines": lines}


def _matches(entry: dict[str, Any], stat: os.stat_result) -> bool:
    return entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns


def _matches_file(entry: dict[str, Any], file: Path) -> bool:
    try:
        return entry.get("file") == file.name and _matches(entry, file.stat())
    except OSError:
        return False


def _to_entry(result: HealthResult) -> dict[str, Any]:
    entry = result.to_json()
    entry["models"] = []  # the model list can be long and is refreshed on every auth check
    return entry
