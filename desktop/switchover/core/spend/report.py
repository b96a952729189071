"""One report of spend, built from the gateway's counts, the price table and the last known balances:
what `switchover usage` prints and the app's Usage page draws. Pure (no I/O), so both show the same."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from switchover.core.balance.forecast import SpendRate, forecast_sentence
from switchover.core.balance.results import BalanceResult, format_money
from switchover.core.spend.prices import PriceList, prices_for
from switchover.core.spend.usage import (
    MAX_DAYS,
    DayTokens,
    Group,
    GroupBy,
    PricedDay,
    RequestTokens,
    aggregate,
    days_back,
    price_days,
    spend_rates,
)
from switchover.core.store import Store


@dataclass
class UsageReport:
    days: list[str]  # the UTC days covered, oldest first
    groups: dict[GroupBy, list[Group]]
    totals: dict[str, float]  # per currency
    tokens: int  # every token counted in the window
    unpriced: dict[str, int] = field(default_factory=dict)  # "provider/model" -> tokens without a price
    rates: dict[str, SpendRate] = field(default_factory=dict)
    forecasts: dict[str, str] = field(default_factory=dict)  # provider -> sentence
    balances: dict[str, BalanceResult] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # provider -> display name
    generated_at: float = 0.0
    tool_labels: dict[str, str] = field(default_factory=dict)  # tool id -> its name ("Claude Code")

    def label(self, by: GroupBy, key: str) -> str:
        if by is GroupBy.PROVIDER:
            return self.labels.get(key, key)
        if by is GroupBy.TOOL:
            return self.tool_labels.get(key, key)
        return key

    @property
    def empty(self) -> bool:
        return not any(self.groups.values())

    def currencies(self) -> list[str]:
        return sorted(self.totals, key=lambda c: -self.totals[c])

    def total_text(self) -> str:
        parts = [format_money(self.totals[c], c) for c in self.currencies()]
        return " + ".join(parts) if parts else "nothing priced"

    def to_json(self, by: GroupBy) -> dict[str, Any]:
        return {
            "days": self.days,
            "by": by.value,
            "groups": [group_json(g) for g in self.groups.get(by, [])],
            "totals": {c: round(v, 6) for c, v in self.totals.items()},
            "tokens": self.tokens,
            "unpriced": self.unpriced,
            "rates": {p: {"per_day": round(r.per_day, 6), "currency": r.currency, "days": round(r.days, 3),
                          "source": r.source} for p, r in self.rates.items()},
            "forecasts": self.forecasts,
            "generated_at": self.generated_at,
        }


def group_json(group: Group) -> dict[str, Any]:
    return {
        "key": group.key,
        "requests": group.requests,
        "errors": group.errors,
        "input_tokens": group.tokens.input,
        "cached_input_tokens": group.tokens.cached_input,
        "cache_write_input_tokens": group.tokens.cache_write_input,
        "output_tokens": group.tokens.output,
        "cost": {c: round(v, 6) for c, v in group.cost.items()},
        "estimated": group.estimated,
        "unpriced_tokens": group.unpriced_tokens,
        "per_day": {d: {c: round(v, 6) for c, v in per.items()} for d, per in sorted(group.per_day.items())},
        "tokens_per_day": dict(sorted(group.tokens_per_day.items())),
    }


def build_report(
    days_rows: Iterable[DayTokens],
    requests: Iterable[RequestTokens],
    store: Store,
    *,
    days: int = 7,
    balances: Mapping[str, BalanceResult] | None = None,
    now: float | None = None,
    price_table: Mapping[str, PriceList] | None = None,
    tool_labels: Mapping[str, str] | None = None,
) -> UsageReport:
    now = time.time() if now is None else now
    days = max(1, min(days, MAX_DAYS))
    balances = dict(balances or {})
    window = set(days_back(max(days, 7), now))  # the forecast always looks at 7 days
    rows = [r for r in days_rows if r.day in window]
    cache: dict[str, PriceList | None] = {}

    def lookup(name: str) -> PriceList | None:
        if name not in cache:
            provider = store.providers.get(name)
            cache[name] = prices_for(provider, store, price_table) if provider is not None else None
        return cache[name]

    def currency_for(name: str) -> str | None:
        balance = balances.get(name)
        return balance.currency if balance is not None else None

    priced: list[PricedDay] = price_days(rows, requests, lookup, currency_for)
    shown = set(days_back(days, now))
    in_window = [p for p in priced if p.day in shown]
    groups = {by: aggregate(in_window, by, days, now) for by in GroupBy}
    totals: dict[str, float] = {}
    unpriced: dict[str, int] = {}
    for row in in_window:
        if row.cost is not None and row.currency is not None:
            totals[row.currency] = totals.get(row.currency, 0.0) + row.cost
        elif row.tokens.total:
            key = f"{row.provider or '?'}/{row.model or '?'}"
            unpriced[key] = unpriced.get(key, 0) + row.tokens.total
    rates = spend_rates(priced, now, currency_for)
    labels = {name: p.display_name for name, p in store.providers.items()}
    forecasts: dict[str, str] = {}
    for name, rate in rates.items():
        balance = balances.get(name)
        if balance is None or not balance.has_amount or balance.amount is None or balance.currency != rate.currency:
            continue
        if rate.per_day > 0:
            forecasts[name] = forecast_sentence(labels.get(name, name), balance.amount / rate.per_day, rate.days)
    return UsageReport(days_back(days, now), groups, totals, sum(r.tokens.total for r in in_window), unpriced,
                       rates, forecasts, balances, labels, now, dict(tool_labels or {}))
