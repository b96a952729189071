"""Spend rates, the thresholds they imply, and "runs out in about N days".

A spend rate comes from the requests the gateway counted and priced (in the price table's currency) or,
where those are missing, from the balance's own drops between readings (top-ups ignored). A rate is only
used in the balance's own currency: Switchover does not convert currencies.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from switchover.core.balance.history import Point
from switchover.core.balance.results import BalanceResult

DAY_S = 86400.0
WINDOW_DAYS = 7
MIN_SPAN_S = 12 * 3600.0  # fewer hours of readings than this say too little about a daily rate
LOW_DAYS = 3.0  # derived threshold: three days of spend at the recent rate


@dataclass(frozen=True)
class SpendRate:
    """Average spend per day, in `currency`, over the last `days` days (how the forecast names the window);
    `source` is "requests" or "balance"."""

    per_day: float
    currency: str | None
    days: float
    source: str



def rate_from_points(points: Sequence[Point], now: float, currency: str | None) -> SpendRate | None:
    """The balance's drops per day over the last 7 days (increases are top-ups and are skipped)."""
    since = now - WINDOW_DAYS * DAY_S
    usable = [p for p in points if p.at >= since and p.currency == currency]
    if len(usable) < 2:
        return None
    span = usable[-1].at - usable[0].at
    if span < MIN_SPAN_S:
        return None
    spent = sum(max(0.0, a.amount - b.amount) for a, b in itertools.pairwise(usable))
    days = span / DAY_S
    return SpendRate(spent / days, currency, days, "balance")


def derived_threshold(rate: SpendRate | None) -> float | None:
    """Low below three days of spend at the recent rate (None without a rate, or when nothing is spent)."""
    if rate is None or rate.per_day <= 0:
        return None
    return rate.per_day * LOW_DAYS


def apply_threshold(result: BalanceResult, user_amount: float | None, rate: SpendRate | None) -> BalanceResult:
    """Classify ok/low (the user's amount wins; else three days of spend when the rate is in the balance's
    currency) and attach the spend rate and the forecast it gives."""
    usable = rate if rate is not None and rate.currency == result.currency and result.has_amount else None
    if user_amount is not None:
        result = result.with_threshold(user_amount, "user")
    elif usable is not None:
        result = result.with_threshold(derived_threshold(usable), "spend")
    else:
        result = result.with_threshold(None, None)
    if usable is None:
        return result
    ahead = forecast(result, usable)
    return replace(result, spend_per_day=usable.per_day, spend_window_days=usable.days, spend_source=usable.source,
                   days_left=ahead.days_left if ahead else None)


@dataclass(frozen=True)
class Forecast:
    provider: str
    days_left: float
    rate: SpendRate

    def sentence(self, label: str) -> str:
        """"At the last 7 days' rate, DeepSeek runs out in about 3 days." """
        return forecast_sentence(label, self.days_left, self.rate.days)


def forecast_sentence(label: str, days_left: float, window_days: float) -> str:
    window = "the last 7 days'" if window_days >= WINDOW_DAYS - 0.01 else f"the last {_days(window_days)}'"
    if days_left <= 0:
        return f"{label} has nothing left to spend."
    return f"At {window} rate, {label} runs out in about {_days(days_left)}."


def result_forecast(result: BalanceResult, label: str) -> str | None:
    """The forecast sentence for a result that carries one."""
    if result.days_left is None or result.spend_window_days is None:
        return None
    return forecast_sentence(label, result.days_left, result.spend_window_days)


def forecast(result: BalanceResult, rate: SpendRate | None) -> Forecast | None:
    """When a balance and a spend rate in its currency are both known (and something is being spent)."""
    if rate is None or rate.per_day <= 0 or result.amount is None or not result.has_amount:
        return None
    if rate.currency != result.currency:
        return None
    return Forecast(result.provider, max(0.0, result.amount) / rate.per_day, rate)


def _days(days: float) -> str:
    if days < 1:
        hours = max(1, round(days * 24))
        return f"{hours} hour" + ("s" if hours != 1 else "")
    whole = round(days)
    return f"{whole} day" + ("s" if whole != 1 else "")
