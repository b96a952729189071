"""Adding up the gateway's counts: priced per request when the log has them, per day otherwise; grouped,
bounded, and turned into spend rates for balance forecasts."""

from __future__ import annotations

import datetime as dt

import pytest

from switchover.core.spend.prices import default_price_table
from switchover.core.spend.usage import (
    DayTokens,
    GroupBy,
    RequestTokens,
    Tokens,
    aggregate,
    days_back,
    price_days,
    spend_rates,
    totals_by_currency,
)

NOW = dt.datetime(2026, 11, 29, 18, 0, tzinfo=dt.UTC).timestamp()  # a Sunday
PRICES = default_price_table()
LOOKUP = {"deepseek": PRICES["deepseek"], "claude": PRICES["anthropic"]}.get


def at(day: str, hour: int) -> float:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC).timestamp()


def test_days_back() -> None:
    assert days_back(3, NOW) == ["2026-11-27", "2026-11-28", "2026-11-29"]


def test_exact_pricing_from_requests_and_estimate_from_day_totals() -> None:
    million = Tokens(input=1_000_000, output=1_000_000)
    requests = [RequestTokens(at("2026-11-27", 2), "codex", "deepseek", "deepseek-flash", million),  # Fri peak
                RequestTokens(at("2026-11-27", 12), "codex", "deepseek", "deepseek-flash", million)]  # off-peak
    days = [DayTokens("2026-11-27", "codex", "deepseek", "deepseek-flash", 2, 0, million + million),
            DayTokens("2026-11-26", "codex", "deepseek", "deepseek-flash", 1, 0, million),  # requests rotated out
            DayTokens("2026-11-26", "claude-code", "claude", "claude-sonnet-4-6", 3, 1, Tokens(1_000_000, 0)),
            DayTokens("2026-11-26", "claude-code", "local", "qwen3-coder", 5, 0, Tokens(7, 3))]
    priced = price_days(days, requests, LOOKUP)
    exact, estimate, claude, local = priced
    assert exact.exact and exact.cost == pytest.approx(1.5 + 0.75) and exact.currency == "USD"
    assert not estimate.exact and estimate.cost == pytest.approx(1.5)  # list (peak) price: an upper bound
    assert claude.exact and claude.cost == pytest.approx(3.0)  # no time-of-day billing: a day total is exact
    assert local.cost is None and local.currency is None
    by_provider = aggregate(priced, GroupBy.PROVIDER, days=7, now=NOW)
    assert [g.key for g in by_provider] == ["deepseek", "claude", "local"]
    deepseek = by_provider[0]
    assert deepseek.requests == 3 and deepseek.cost == {"USD": pytest.approx(3.75)} and deepseek.estimated
    assert deepseek.per_day == {"2026-11-27": {"USD": pytest.approx(2.25)}, "2026-11-26": {"USD": pytest.approx(1.5)}}
    assert by_provider[2].unpriced_tokens == 10 and by_provider[2].cost == {}
    by_tool = aggregate(priced, GroupBy.TOOL, days=7, now=NOW)
    assert {g.key: round(sum(g.cost.values()), 4) for g in by_tool} == {"codex": 3.75, "claude-code": 3.0}
    assert [g.key for g in aggregate(priced, GroupBy.DAY, days=7, now=NOW)] == ["2026-11-26", "2026-11-27"]
    assert aggregate(priced, GroupBy.PROVIDER, days=2, now=NOW) == []  # bounded to the days asked for
    assert totals_by_currency(by_provider) == {"USD": pytest.approx(6.75)}


def test_pricing_in_the_balance_currency() -> None:
    days = [DayTokens("2026-11-28", "codex", "deepseek", "deepseek-flash", 1, 0, Tokens(1_000_000, 0))]
    [cny] = price_days(days, [], LOOKUP, currency_for={"deepseek": "CNY"}.get)
    assert (cny.currency, cny.cost) == ("CNY", pytest.approx(2.0))
    [fallback] = price_days(days, [], LOOKUP, currency_for={"deepseek": "EUR"}.get)
    assert fallback.currency == "USD"  # not listed in EUR: the first listed currency, never converted


def test_spend_rates_over_seven_days_or_since_first_use() -> None:
    week = [DayTokens(day, "codex", "deepseek", "deepseek-flash", 1, 0, Tokens(1_000_000, 1_000_000))
            for day in days_back(10, NOW)]
    priced = price_days(week, [], LOOKUP)
    rates = spend_rates(priced, now=NOW)
    # Seven UTC days, the last one 18 hours old so far: 6.75 days of spending, said as "the last 7 days".
    assert rates["deepseek"].days == 7 and rates["deepseek"].source == "requests"
    assert rates["deepseek"].per_day == pytest.approx(1.5 * 7 / 6.75)
    fresh = price_days([DayTokens("2026-11-29", "codex", "deepseek", "deepseek-flash", 1, 0,
                                  Tokens(1_000_000, 1_000_000))], [], LOOKUP)
    assert spend_rates(fresh, now=NOW)["deepseek"].days == 1.0  # at least a day: no hourly extrapolation
