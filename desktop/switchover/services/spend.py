"""Spend from the gateway's request log: read its counts, price them, and derive spend rates.

The gateway (switchover.gateway.requestlog) keeps the newest requests one per line and token totals per
(UTC day, tool, provider, model); `core.spend` prices and adds them up. This module joins the two, so the
CLI (`switchover usage`), the app's Usage page and the balance thresholds all read the same numbers.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from switchover.core.balance.forecast import SpendRate
from switchover.core.balance.results import BalanceResult
from switchover.core.providers import Provider
from switchover.core.spend.prices import prices_for
from switchover.core.spend.report import UsageReport, build_report
from switchover.core.spend.usage import DayTokens, RequestTokens, Tokens, days_back, price_days, spend_rates
from switchover.core.store import Store, load_store


def _int(row: Mapping[str, Any], key: str) -> int:
    value = row.get(key, 0)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else 0


def read_counts(directory: Path | None = None, days: int = 7,
                now: float | None = None) -> tuple[list[DayTokens], list[RequestTokens]]:
    """The gateway's per-day totals and logged requests for the last `days` UTC days (bounded)."""
    from switchover.gateway.requestlog import read_records, read_usage

    now = time.time() if now is None else now
    window = set(days_back(days, now))
    day_rows = []
    for row in read_usage(directory):
        day = str(row.get("day", ""))
        if day not in window:
            continue
        day_rows.append(DayTokens(
            day=day, tool=str(row.get("tool", "")), provider=str(row.get("provider", "")),
            model=str(row.get("model", "")), requests=_int(row, "requests"), errors=_int(row, "errors"),
            tokens=Tokens(_int(row, "input_tokens"), _int(row, "output_tokens"), _int(row, "cached_input_tokens"),
                          _int(row, "cache_write_input_tokens")),
        ))
    horizon = now - days * 86400.0 - 86400.0
    requests = []
    for record in read_records(directory):
        # The same requests the day totals count (see requestlog.merge_usage).
        if record.at < horizon or record.api == "models" or record.outcome == "refused":
            continue
        usage = record.usage
        tokens = Tokens(usage.input_tokens, usage.output_tokens, usage.cached_input_tokens,
                        usage.cache_write_input_tokens) if usage is not None else Tokens()
        requests.append(RequestTokens(record.at, record.tool, record.provider or "", record.model or "", tokens,
                                      record.outcome == "ok"))
    return day_rows, requests


def tool_labels() -> dict[str, str]:
    from switchover.targets.registry import all_targets

    return {target.id: target.label for target in all_targets()}


def last_balances(store: Store) -> dict[str, BalanceResult]:
    """The newest stored reading per provider, and for those without a balance API, a line saying so."""
    from switchover.core.balance.checks import last_known, without_balance_api

    found = last_known(store.providers.values())
    for result in without_balance_api(store.providers.values(), store):
        found.setdefault(result.provider, result)
    return found


def load_report(store: Store | None = None, *, days: int = 7, balances: Mapping[str, BalanceResult] | None = None,
                now: float | None = None, directory: Path | None = None) -> UsageReport:
    """`switchover usage` and the Usage page: the last `days` days, priced, with forecasts."""
    store = store if store is not None else load_store()
    now = time.time() if now is None else now
    day_rows, requests = read_counts(directory, max(days, 7), now)
    return build_report(day_rows, requests, store, days=days,
                        balances=balances if balances is not None else last_balances(store), now=now,
                        tool_labels=tool_labels())


def spend_rates_for(providers: Sequence[Provider], store: Store | None = None, *, now: float | None = None,
                    directory: Path | None = None) -> dict[str, SpendRate]:
    """Each provider's last-7-days spend rate from priced requests, in its balance's currency when known
    (the monitor's balance checker passes this as its `rates`)."""
    store = store if store is not None else load_store()
    now = time.time() if now is None else now
    names = {p.name for p in providers}
    day_rows, requests = read_counts(directory, 7, now)
    day_rows = [r for r in day_rows if r.provider in names]
    balances = last_balances(store)

    def lookup(name: str) -> Any:
        provider = store.providers.get(name)
        return prices_for(provider, store) if provider is not None else None

    def currency(name: str) -> str | None:
        balance = balances.get(name)
        return balance.currency if balance is not None else None

    priced = price_days(day_rows, [r for r in requests if r.provider in names], lookup, currency)
    return spend_rates(priced, now, currency)
