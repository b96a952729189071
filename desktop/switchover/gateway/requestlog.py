"""The gateway's request log: one redacted line per request, bounded, plus token totals per day.

What a line holds: when, the tool and route, the upstream that answered (and every hop tried before it), the
model asked for and served, the status, latency, time to first byte and token counts. Never a key, a token,
a prompt or an answer: reasons are scrubbed sentences, hops name providers. The newest `keep` lines are kept
in `requests.jsonl`; `usage.json` keeps token counts per (UTC day, tool, provider, model) so spend can be
added up later without the log. Writes happen on a background thread, batched, never on the event loop.
"""

from __future__ import annotations

import calendar
import json
import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from switchover.core import paths, safejson
from switchover.core.fileio import atomic_write
from switchover.core.filelock import locked
from switchover.gateway.flusher import BatchWriter
from switchover.gateway.translate.usage import Usage

log = logging.getLogger(__name__)

LOG_SCHEMA = 1


@dataclass(frozen=True)
class Hop:
    """One upstream tried for a request."""

    upstream: str  # provider/protocol
    model: str
    status: str  # HealthStatus value, or "ok"
    http_status: int | None = None
    latency_ms: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class RequestRecord:
    at: float  # wall time the request arrived
    tool: str
    api: str  # messages | count_tokens | chat | responses | models
    stream: bool
    requested_model: str | None
    status: int  # HTTP status the tool got
    outcome: str  # ok | a HealthStatus value | client_error | client_closed | refused | broken_stream
    latency_ms: float
    ttfb_ms: float | None = None
    upstream: str | None = None  # provider/protocol that answered
    provider: str | None = None
    model: str | None = None  # the model the upstream was asked for
    translated: bool = False
    hops: tuple[Hop, ...] = ()
    usage: Usage | None = None  # None: the upstream reported none (or the request failed)
    error: str = ""

    @property
    def failovers(self) -> int:
        return max(0, len(self.hops) - 1)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hops"] = [asdict(h) for h in self.hops]
        data["latency_ms"] = round(self.latency_ms, 2)
        if self.ttfb_ms is not None:
            data["ttfb_ms"] = round(self.ttfb_ms, 2)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestRecord:
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else None
        return cls(
            at=float(data["at"]),
            tool=str(data["tool"]),
            api=str(data["api"]),
            stream=bool(data.get("stream")),
            requested_model=_opt_str(data.get("requested_model")),
            status=int(data["status"]),
            outcome=str(data["outcome"]),
            latency_ms=float(data["latency_ms"]),
            ttfb_ms=_opt_float(data.get("ttfb_ms")),
            upstream=_opt_str(data.get("upstream")),
            provider=_opt_str(data.get("provider")),
            model=_opt_str(data.get("model")),
            translated=bool(data.get("translated")),
            hops=tuple(Hop(str(h["upstream"]), str(h["model"]), str(h["status"]), _opt_int(h.get("http_status")),
                           _opt_float(h.get("latency_ms")), str(h.get("reason", ""))) for h in data.get("hops", ())),
            usage=Usage(**{k: _opt_int(usage.get(k)) or 0 for k in _USAGE_FIELDS}) if usage else None,
            error=str(data.get("error", "")),
        )


_USAGE_FIELDS = ("input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens",
                 "reasoning_tokens")


def _opt_str(value: Any) -> str | None:
    return str(value) if value is not None else None


def _opt_float(value: Any) -> float | None:
    return float(value) if value is not None else None


def _opt_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def log_dir() -> Path:
    return paths.data_dir() / "gateway"


def day_of(wall: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(wall))


# ---------------------------------------------------------------- reading (CLI, app)


def read_records(directory: Path | None = None, limit: int | None = None) -> list[RequestRecord]:
    """Oldest first; damaged lines are skipped (the log is a convenience, never a blocker)."""
    path = (directory or log_dir()) / "requests.jsonl"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    records: list[RequestRecord] = []
    for line in lines[-limit:] if limit else lines:
        try:
            data = safejson.loads(line)
            if isinstance(data, dict) and data.get("v") == LOG_SCHEMA:
                records.append(RequestRecord.from_json(data))
        except (ValueError, KeyError, TypeError):
            continue
    return records


def read_usage(directory: Path | None = None) -> list[dict[str, Any]]:
    """Rows {day, tool, provider, model, requests, errors, input_tokens, ...} (UTC days)."""
    path = (directory or log_dir()) / "usage.json"
    try:
        data = safejson.loads(path.read_bytes())
    except (OSError, ValueError):
        return []
    rows = data.get("rows") if isinstance(data, dict) and data.get("schema_version") == LOG_SCHEMA else None
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


# ---------------------------------------------------------------- writing (the gateway)

_COUNTERS = ("requests", "errors", *_USAGE_FIELDS)


def _usage_key(record: RequestRecord) -> tuple[str, str, str, str]:
    return (day_of(record.at), record.tool, record.provider or "", record.model or "")


def merge_usage(rows: list[dict[str, Any]], records: Iterable[RequestRecord]) -> list[dict[str, Any]]:
    """Add records' counts into per-day rows (pure, so the aggregation is testable on its own)."""
    table: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        try:
            key = (str(row["day"]), str(row["tool"]), str(row["provider"]), str(row["model"]))
        except KeyError:
            continue
        table[key] = {**row}
    for record in records:
        if record.api == "models" or record.outcome == "refused":
            continue
        key = _usage_key(record)
        row = table.setdefault(key, {"day": key[0], "tool": key[1], "provider": key[2], "model": key[3],
                                     **dict.fromkeys(_COUNTERS, 0)})
        row["requests"] = int(row.get("requests", 0)) + 1
        row["errors"] = int(row.get("errors", 0)) + (0 if record.outcome == "ok" else 1)
        if record.usage is not None:
            for name in _USAGE_FIELDS:
                value = getattr(record.usage, name)
                if value:
                    row[name] = int(row.get(name, 0)) + value
    return sorted(table.values(), key=lambda r: (r["day"], r["tool"], r["provider"], r["model"]))


USAGE_DAYS_KEPT = 400  # per-day rows this long (a year's daily view); older days are folded into their month
USAGE_MAX_ROWS = 20_000  # usage.json stays below a few MB whatever the number of tools, providers and models


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def compact_usage(rows: list[dict[str, Any]], today: str, keep_days: int = USAGE_DAYS_KEPT,
                  max_rows: int = USAGE_MAX_ROWS) -> list[dict[str, Any]]:
    """Bound the usage rows by age and by count, losing no totals while it can: rows of days more than
    `keep_days` before `today` are merged into one row per month (day "YYYY-MM-01", "period": "month"); while
    there are still more than `max_rows`, the oldest days are folded into months too; the oldest months go
    last, only when months alone exceed `max_rows`."""
    horizon = _day_minus(today, keep_days)
    while True:
        folded = _fold_months(rows, horizon)
        if len(folded) <= max_rows:
            return folded
        days = sorted({str(r["day"]) for r in folded if r.get("period") != "month"})
        if not days:  # months alone are too many: drop the oldest
            return sorted(folded, key=_row_order)[len(folded) - max_rows:]
        # fold the oldest quarter of the days (all of them when one is left)
        horizon = days[max(1, len(days) // 4)] if len(days) > 1 else "9999-12-31"


def _day_minus(day: str, days: int) -> str:
    return day_of(calendar.timegm(time.strptime(day, "%Y-%m-%d")) - days * 86400.0)


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _row_order(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (str(row["day"]), str(row["tool"]), str(row["provider"]), str(row["model"]))


def _fold_months(rows: list[dict[str, Any]], horizon: str) -> list[dict[str, Any]]:
    """Rows of days before `horizon` merged per (month, tool, provider, model)."""
    out: dict[tuple[str, str, str, str, bool], dict[str, Any]] = {}
    for row in rows:
        day = str(row.get("day", ""))
        month_row = row.get("period") == "month" or day < horizon
        key = (day[:7] + "-01" if month_row else day, str(row.get("tool", "")), str(row.get("provider", "")),
               str(row.get("model", "")), month_row)  # a month's row and its first day's row stay apart
        merged = out.get(key)
        if merged is None:
            merged = out[key] = {**row, "day": key[0]}
            if month_row:
                merged["period"] = "month"
            continue
        for name in _COUNTERS:
            merged[name] = _count(merged.get(name)) + _count(row.get(name))
    return sorted(out.values(), key=_row_order)


class RequestLog:
    """In memory: the newest `memory` records (status output). On disk: written in batches by a background
    writer (`BatchWriter`), so the event loop never touches the disk."""

    def __init__(self, directory: Path | None = None, keep: int = 2000, memory: int = 500, persist: bool = True,
                 flush_s: float = 0.5):
        self.directory = directory or log_dir()
        self.keep = keep
        self.recent: deque[RequestRecord] = deque(maxlen=memory)
        self.last_by_tool: dict[str, RequestRecord] = {}
        self._persist = persist
        self._writer: BatchWriter[RequestRecord] = BatchWriter(self.write, name="switchover-gateway-log",
                                                               flush_s=flush_s)
        self._lines_on_disk: int | None = None
        self._usage_rows: list[dict[str, Any]] | None = None
        self._usage_stamp: tuple[int, int, int] | None = None

    def add(self, record: RequestRecord) -> None:
        """Called on the event loop: O(1), no I/O."""
        self.recent.append(record)
        if record.upstream is not None:
            self.last_by_tool[record.tool] = record
        if self._persist:
            self._writer.add(record)

    @property
    def dropped(self) -> int:
        """Records never written because the disk could not keep up."""
        return self._writer.dropped

    def close(self, timeout: float = 5.0) -> None:
        """Flush what is queued and stop the writer."""
        self._writer.close(timeout)

    def write(self, batch: list[RequestRecord]) -> None:
        paths.ensure_private_dir(self.directory)
        with locked(self.directory / ".lock", what="the gateway log"):
            self._append(batch)
            self._add_usage(batch)

    def _append(self, batch: list[RequestRecord]) -> None:
        path = self.directory / "requests.jsonl"
        lines = [json.dumps({"v": LOG_SCHEMA, **r.to_json()}, separators=(",", ":")) for r in batch]
        if self._lines_on_disk is None:
            try:
                self._lines_on_disk = path.read_bytes().count(b"\n")
            except OSError:
                self._lines_on_disk = 0
        if self._lines_on_disk + len(lines) > self.keep * 3 // 2:
            try:
                old = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                old = []
            kept = (old + lines)[-self.keep:]
            atomic_write(path, ("\n".join(kept) + "\n").encode(), 0o600)
            self._lines_on_disk = len(kept)
            return
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        path.chmod(0o600)
        self._lines_on_disk += len(lines)

    def _add_usage(self, batch: list[RequestRecord]) -> None:
        """Merge the batch into usage.json. The rows are kept between batches and the file re-read only when
        someone else changed it (another gateway run, a restore): parsing a year of rows per batch would
        hold the GIL long enough to delay streamed chunks."""
        path = self.directory / "usage.json"
        stamp = _stamp(path)
        if self._usage_rows is None or stamp != self._usage_stamp:
            self._usage_rows = read_usage(self.directory)
        rows = compact_usage(merge_usage(self._usage_rows, batch), day_of(time.time()))
        document = {"schema_version": LOG_SCHEMA, "rows": rows}
        atomic_write(path, json.dumps(document, separators=(",", ":")).encode(), 0o600)
        self._usage_rows, self._usage_stamp = rows, _stamp(path)
