"""usage.json (the gateway's per-day token counts) stays bounded: old days fold into months, a cap on rows."""

from __future__ import annotations

import json
import time
from pathlib import Path

from switchover.gateway.requestlog import RequestLog, RequestRecord, compact_usage, read_usage
from switchover.gateway.translate.usage import Usage


def row(day: str, tool: str = "claude-code", provider: str = "alpha", model: str = "m", requests: int = 1,
        tokens: int = 10) -> dict[str, object]:
    return {"day": day, "tool": tool, "provider": provider, "model": model, "requests": requests, "errors": 0,
            "input_tokens": tokens, "output_tokens": tokens, "cached_input_tokens": 0,
            "cache_write_input_tokens": 0, "reasoning_tokens": 0}


def totals(rows: list[dict[str, object]]) -> tuple[int, int]:
    return sum(int(r["requests"]) for r in rows), sum(int(r["input_tokens"]) for r in rows)  # type: ignore[call-overload]


def test_days_older_than_the_horizon_fold_into_months_and_totals_are_kept() -> None:
    rows = [row("2024-01-03"), row("2024-01-20", requests=2, tokens=5), row("2024-02-01"),
            row("2024-01-05", provider="bravo"), row("2026-11-28"), row("2026-11-29", requests=3)]
    compacted = compact_usage(rows, today="2026-11-29", keep_days=400)
    assert totals(compacted) == totals(rows)
    months = [(r["day"], r["provider"], r["requests"]) for r in compacted if r.get("period") == "month"]
    assert months == [("2024-01-01", "alpha", 3), ("2024-01-01", "bravo", 1), ("2024-02-01", "alpha", 1)]
    assert [r["day"] for r in compacted if r.get("period") != "month"] == ["2026-11-28", "2026-11-29"]
    assert compact_usage(compacted, today="2026-11-29") == compacted  # stable: compacting again changes nothing


def test_the_row_cap_folds_the_oldest_days_first_then_drops_the_oldest_months() -> None:
    days = [time.strftime("%Y-%m-%d", time.gmtime(time.time() - i * 86400)) for i in range(300)]
    rows = [row(day, tool=f"tool-{t}") for day in days for t in range(10)]  # 3000 rows, all recent
    compacted = compact_usage(rows, today=days[0], max_rows=1000)
    assert len(compacted) <= 1000 and totals(compacted) == totals(rows)
    recent = [r for r in compacted if r.get("period") != "month"]
    assert recent and min(r["day"] for r in recent) > max(r["day"] for r in compacted if r.get("period") == "month")
    assert days[0] in {r["day"] for r in recent}  # today's detail is the last thing folded
    tiny = compact_usage(rows, today=days[0], max_rows=25)
    assert len(tiny) == 25 and all(r.get("period") == "month" for r in tiny)
    every_month = compact_usage(rows, today=days[0], keep_days=-1, max_rows=10**6)  # all days folded
    assert len(every_month) > 25 and tiny == every_month[-25:]  # the newest months are what is left


def test_the_gateway_log_writes_a_compacted_usage_file(tmp_path: Path) -> None:
    (tmp_path / "usage.json").write_text(json.dumps({"schema_version": 1, "rows": [
        row("2019-05-06", requests=7), row("2019-05-30", requests=1), row("2019-06-01"), {"broken": True}]}))
    log = RequestLog(tmp_path, persist=False)
    log.write([RequestRecord(at=time.time(), tool="claude-code", api="messages", stream=False,
                             requested_model="m", status=200, outcome="ok", latency_ms=1.0, provider="alpha",
                             model="m", usage=Usage(input_tokens=4, output_tokens=2))])
    rows = read_usage(tmp_path)
    assert [(r["day"], r["requests"], r.get("period")) for r in rows[:2]] == [
        ("2019-05-01", 8, "month"), ("2019-06-01", 1, "month")]
    assert rows[-1]["day"] == time.strftime("%Y-%m-%d", time.gmtime()) and rows[-1]["input_tokens"] == 4
