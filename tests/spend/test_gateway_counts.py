"""Spend from the gateway's real request log (written by its own RequestLog): read, priced, grouped; and
`switchover usage` over it, run for real."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from typing import Any

import pytest

from switchover.core.balance.history import BalanceHistory
from switchover.core.balance.results import BalanceResult, BalanceStatus
from switchover.core.catalog import default_catalog
from switchover.core.spend.usage import GroupBy
from switchover.core.store import edit_store, load_store
from switchover.gateway.requestlog import RequestLog, RequestRecord
from switchover.gateway.translate.usage import Usage
from switchover.services.spend import load_report, read_counts, spend_rates_for

NOW = time.time()
TODAY = dt.datetime.fromtimestamp(NOW, dt.UTC).date()


def at_hour(days_ago: int, hour: int) -> float:
    day = TODAY - dt.timedelta(days=days_ago)
    return dt.datetime(day.year, day.month, day.day, hour, 30, tzinfo=dt.UTC).timestamp()


def record(when: float, tool: str, provider: str, model: str, usage: Usage | None, outcome: str = "ok",
           api: str = "messages") -> RequestRecord:
    return RequestRecord(at=when, tool=tool, api=api, stream=True, requested_model="switchover-main", status=200,
                         outcome=outcome, latency_ms=120.0, upstream=f"{provider}/anthropic", provider=provider,
                         model=model, usage=usage)


@pytest.fixture
def providers() -> None:
    with edit_store() as store:
        store.add(default_catalog().get("deepseek").to_provider("deepseek"))
        store.add(default_catalog().get("zai").to_provider("zai"))


def _write(records: list[RequestRecord], keep: int = 2000) -> None:
    RequestLog(keep=keep).write(records)


def test_log_is_read_priced_and_grouped(providers: None) -> None:
    million = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cached_input_tokens=500_000)
    weekday = next(d for d in range(1, 8) if (TODAY - dt.timedelta(days=d)).isoweekday() <= 5)
    _write([
        record(at_hour(weekday, 2), "codex", "deepseek", "deepseek-flash", million),  # peak
        record(at_hour(weekday, 12), "codex", "deepseek", "deepseek-flash", million),  # off-peak: half
        record(at_hour(weekday, 12), "claude-code", "zai", "glm-4.6", Usage(2_000_000, 100_000, 1_000_000)),
        record(at_hour(weekday, 13), "claude-code", "zai", "glm-4.6", None, outcome="overloaded"),
        record(at_hour(weekday, 13), "claude-code", "zai", "glm-4.6", None, api="models"),  # not a request
    ])
    days, requests = read_counts(days=7, now=NOW)
    assert sorted((d.tool, d.provider, d.requests, d.errors) for d in days) == [
        ("claude-code", "zai", 2, 1), ("codex", "deepseek", 2, 0)]
    assert len(requests) == 4
    report = load_report(load_store(), days=7, now=NOW)
    by_provider = {g.key: g for g in report.groups[GroupBy.PROVIDER]}
    peak = 0.5 * 0.30 + 0.5 * 0.006 + 1.20
    assert by_provider["deepseek"].cost == {"USD": pytest.approx(peak * 1.5)}  # priced by the hour: exact
    assert not by_provider["deepseek"].estimated
    assert by_provider["zai"].cost == {"USD": pytest.approx(0.6 + 0.11 + 0.22)}
    assert by_provider["zai"].errors == 1
    assert {g.key for g in report.groups[GroupBy.TOOL]} == {"codex", "claude-code"}
    assert report.label(GroupBy.TOOL, "claude-code") == "Claude Code"
    rates = spend_rates_for(list(load_store().providers.values()), now=NOW)
    assert rates["deepseek"].currency == "USD" and rates["deepseek"].per_day > 0


def test_rotated_requests_fall_back_to_day_totals_at_list_price(providers: None) -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=0)
    _write([record(at_hour(2, 12), "codex", "deepseek", "deepseek-flash", usage) for _ in range(4)], keep=2)
    days, requests = read_counts(days=7, now=NOW)
    assert days[0].requests == 4 and len(requests) < 4  # the request log kept fewer than the day counted
    report = load_report(load_store(), days=7, now=NOW)
    [deepseek] = report.groups[GroupBy.PROVIDER]
    assert deepseek.estimated and deepseek.cost == {"USD": pytest.approx(4 * 0.30)}  # the peak (list) price


def test_cli_usage_json_and_table_with_forecast(cli: Any, providers: None) -> None:
    usage = Usage(input_tokens=2_000_000, output_tokens=200_000, cached_input_tokens=1_000_000)
    _write([record(at_hour(d, 12), "codex", "deepseek", "deepseek-v4-pro", usage) for d in range(0, 9)]
           + [record(at_hour(1, 12), "opencode", "local", "qwen3-coder", Usage(5_000, 500))])
    BalanceHistory().record([BalanceResult("deepseek", BalanceStatus.OK, "", amount=9.0, currency="CNY")])
    run = cli(["usage", "--json", "--by", "provider"])
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["by"] == "provider" and len(data["days"]) == 7
    groups = {g["key"]: g for g in data["groups"]}
    assert groups["deepseek"]["requests"] == 7 and "CNY" in groups["deepseek"]["cost"]  # the balance's currency
    assert data["unpriced"] == {"local/qwen3-coder": 5_500}
    assert data["forecasts"]["deepseek"].startswith("At the last 7 days' rate, DeepSeek runs out in about ")
    table = cli(["usage", "--by", "tool", "--days", "30"])
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["TOOL", "REQUESTS", "INPUT", "CACHED", "OUTPUT", "SPEND"]
    assert re.split(r"\s{2,}", lines[1])[:2] == ["Codex CLI", "9"]
    assert any(line.startswith("Last 30 days: ") for line in lines)
    assert any("No price for local/qwen3-coder" in line for line in lines)
    assert cli(["usage", "--days", "0"]).returncode == 2


def test_cli_usage_when_nothing_was_counted(cli: Any) -> None:
    run = cli(["usage"])
    assert run.returncode == 0 and "Nothing counted in the last 7 days" in run.stdout and "--via-gateway" in run.stdout
