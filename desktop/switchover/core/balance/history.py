"""Recent balance readings per provider, persisted: the last full result (for the app and `switchover
balance` before a probe finishes) and a bounded series of amounts (for a spend rate from balance drops).

One small JSON file per provider under `data_dir()/balance/`, rewritten atomically under one inter-process
lock. Results never hold keys, so nothing secret lands here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchover.core import paths
from switchover.core.balance.results import BalanceResult
from switchover.core.fileio import atomic_write, read_json_document
from switchover.core.filelock import locked

HISTORY_SCHEMA = 1
KEEP_READINGS = 2000  # 8 days at one reading every 6 minutes
KEEP_S = 8 * 86400.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Point:
    at: float
    amount: float
    currency: str | None


class BalanceHistory:
    def __init__(self, directory: Path | None = None, keep: int = KEEP_READINGS, keep_s: float = KEEP_S):
        self.directory = directory or paths.data_dir() / "balance"
        self.keep = keep
        self.keep_s = keep_s

    def _file(self, provider: str) -> Path:
        return self.directory / (_UNSAFE.sub("_", provider) + ".json")

    def record(self, results: Iterable[BalanceResult]) -> None:
        """Keep each provider's newest result, and its amount when it has one."""
        latest: dict[str, list[BalanceResult]] = {}
        for result in results:
            latest.setdefault(result.provider, []).append(result)
        if not latest:
            return
        paths.ensure_private_dir(self.directory)
        with locked(self.directory / ".lock", what="the balance history"):
            for provider, new in latest.items():
                document = self._read_raw(provider)
                readings = list(document.get("readings", []))
                for result in new:
                    if result.has_amount and result.amount is not None:
                        readings.append([result.checked_at, result.amount, result.currency])
                newest = max(new, key=lambda r: r.checked_at)
                horizon = newest.checked_at - self.keep_s
                readings = sorted((r for r in readings if _valid(r) and r[0] >= horizon), key=lambda r: r[0])
                document = {
                    "schema_version": HISTORY_SCHEMA,
                    "provider": provider,
                    "last": newest.to_json(),
                    "readings": readings[-self.keep:],
                }
                atomic_write(self._file(provider), json.dumps(document, separators=(",", ":")).encode(), 0o600)

    def last(self, provider: str) -> BalanceResult | None:
        raw = self._read_raw(provider).get("last")
        if not isinstance(raw, dict):
            return None
        try:
            return BalanceResult.from_json(raw)
        except (KeyError, ValueError, TypeError):
            return None

    def points(self, provider: str, since: float | None = None) -> list[Point]:
        """Amounts over time, oldest first (a damaged file reads as empty: history never blocks)."""
        since = time.time() - self.keep_s if since is None else since
        return [Point(float(r[0]), float(r[1]), r[2] if isinstance(r[2], str) else None)
                for r in self._read_raw(provider).get("readings", []) if _valid(r) and float(r[0]) >= since]

    def _read_raw(self, provider: str) -> dict[str, Any]:
        data = read_json_document(self._file(provider), HISTORY_SCHEMA)
        if data is None:
            return {}
        if not isinstance(data.get("readings", []), list):
            data["readings"] = []
        return data


def _valid(entry: Any) -> bool:
    return (
        isinstance(entry, list) and len(entry) == 3
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in entry[:2])
        and (entry[2] is None or isinstance(entry[2], str))
    )
