"""Recent check results per endpoint, persisted so uptime and latency survive a restart.

One small JSON file per endpoint under `data_dir()/health/`, rewritten atomically under one inter-process
lock. Results never hold keys (reasons are scrubbed before a result exists), so nothing secret lands here.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchover.core import paths
from switchover.core.fileio import atomic_write
from switchover.core.filelock import locked
from switchover.core.health.results import HealthResult

HISTORY_SCHEMA = 1
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
        return self.directory / (_UNSAFE.sub("_", endpoint.replace("/", "__")) + ".json")

    def _lock(self) -> Path:
        return self.directory / ".lock"

    def record(self, results: Iterable[HealthResult]) -> None:
        """Append results (any endpoints), keeping the newest `keep` per endpoint."""
        grouped: dict[str, list[HealthResult]] = {}
        for result in results:
            grouped.setdefault(result.endpoint_key, []).append(result)
        if not grouped:
            return
        paths.ensure_private_dir(self.directory)
        with locked(self._lock(), what="the health history"):
            for endpoint, new in grouped.items():
                entries = self._read_raw(endpoint) + [_to_entry(r) for r in new]
                entries.sort(key=lambda e: float(e.get("checked_at", 0.0)))
                document = {"schema_version": HISTORY_SCHEMA, "endpoint": endpoint, "results": entries[-self.keep:]}
                atomic_write(self._file(endpoint), json.dumps(document, separators=(",", ":")).encode(), 0o600)

    def results(self, endpoint: str) -> list[HealthResult]:
        """Oldest first. A damaged file reads as empty (history is a convenience, never a blocker)."""
        out: list[HealthResult] = []
        for entry in self._read_raw(endpoint):
            try:
                out.append(HealthResult.from_json(entry))
            except (KeyError, ValueError, TypeError):
                continue
        return out

    def endpoints(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        found = []
        for file in sorted(self.directory.glob("*.json")):
            try:
                found.append(str(json.loads(file.read_text(encoding="utf-8"))["endpoint"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return found

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
        try:
            data = json.loads(self._file(endpoint).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(data, dict) or data.get("schema_version") != HISTORY_SCHEMA:
            return []
        entries = data.get("results")
        return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _to_entry(result: HealthResult) -> dict[str, Any]:
    entry = result.to_json()
    entry["models"] = []  # the model list can be long and is refreshed on every auth check
    return entry
