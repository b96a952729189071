"""Add up what the gateway counted: per tool, provider, model and day, priced where prices are known.

Pure: the gateway's records come in as plain values (`RequestTokens` for single requests, `DayTokens` for
its per-day totals), so this is tested without a gateway. A day's total is priced request by request when
every one of its requests is still in the request log (exact, time-of-day billing included); otherwise at
the list price, flagged as an estimate (an upper bound for providers with cheaper off-peak hours).
Everything is bounded by the number of days asked for.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from switchover.core.balance.forecast import WINDOW_DAYS, SpendRate
from switchover.core.spend.prices import PriceList, request_cost

DAY_S = 86400.0
MAX_DAYS = 366


class GroupBy(StrEnum):
    TOOL = "tool"
    PROVIDER = "provider"
    MODEL = "model"
    DAY = "day"


@dataclass(frozen=True)
class Tokens:
    input: int = 0  # every input token, cached ones included
    output: int = 0
    cached_input: int = 0
    cache_write_input: int = 0

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(self.input + other.input, self.output + other.output, self.cached_input + other.cached_input,
                      self.cache_write_input + other.cache_write_input)

    @property
    def total(self) -> int:
        return self.input + self.output


@dataclass(frozen=True)
class RequestTokens:
    """One request from the gateway's log."""

    at: float
    tool: str
    provider: str
    model: str
    tokens: Tokens
    ok: bool = True


@dataclass(frozen=True)
class DayTokens:
    """The gateway's per-day totals for one (UTC day, tool, provider, model)."""

    day: str  # YYYY-MM-DD, UTC
    tool: str
    provider: str
    model: str
    requests: int
    errors: int
    tokens: Tokens


@dataclass(frozen=True)
class PricedDay:
    day: str
    tool: str
    provider: str
    model: str
    requests: int
    errors: int
    tokens: Tokens
    cost: float | None  # None: no price for this model
    currency: str | None
    exact: bool  # priced request by request (time of day known) rather than at the list price


def day_of(wall: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(wall))


def days_back(days: int, now: float) -> list[str]:
    """The last `days` UTC days, oldest first, today included."""
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    return [(today - dt.timedelta(days=n)).isoformat() for n in range(days - 1, -1, -1)]


PriceLookup = Callable[[str], PriceList | None]  # provider name -> its prices
CurrencyPreference = Callable[[str], str | None]  # provider name -> the currency to price in (its balance's)


def price_days(
    days: Iterable[DayTokens],
    requests: Iterable[RequestTokens],
    prices: PriceLookup,
    currency_for: CurrencyPreference | None = None,
) -> list[PricedDay]:
    """Price each day total: exactly from its requests when the log still holds all of them."""
    by_key: dict[tuple[str, str, str, str], list[RequestTokens]] = {}
    for request in requests:
        by_key.setdefault((day_of(request.at), request.tool, request.provider, request.model), []).append(request)
    priced: list[PricedDay] = []
    for row in days:
        price_list = prices(row.provider) if row.provider else None
        wanted = currency_for(row.provider) if currency_for and row.provider else None
        cost: float | None = None
        currency: str | None = None
        exact = False
        if price_list is not None:
            logged = by_key.get((row.day, row.tool, row.provider, row.model), [])
            if logged and len(logged) >= row.requests:
                costs = [_cost(price_list, r.model, r.tokens, r.at, wanted) for r in logged]
                known = [c for c in costs if c is not None]
                if len(known) == len(costs) and len({c[1] for c in known}) == 1:
                    cost, currency, exact = sum(c[0] for c in known), known[0][1], True
            if cost is None:
                listed = _cost(price_list, row.model, row.tokens, _peak_moment(row.day, price_list), wanted)
                if listed is not None:
                    cost, currency = listed
                    exact = price_list.peak is None
        priced.append(PricedDay(row.day, row.tool, row.provider, row.model, row.requests, row.errors, row.tokens,
                                cost, currency, exact))
    return priced


def _cost(prices: PriceList, model: str, tokens: Tokens, at: float, currency: str | None) -> tuple[float, str] | None:
    found = request_cost(prices, model, input_tokens=tokens.input, output_tokens=tokens.output,
                         cached_input_tokens=tokens.cached_input, cache_write_input_tokens=tokens.cache_write_input,
                         at=at, currency=currency)
    if found is None and currency is not None:  # the balance's currency is not listed: the first one is
        found = request_cost(prices, model, input_tokens=tokens.input, output_tokens=tokens.output,
                             cached_input_tokens=tokens.cached_input,
                             cache_write_input_tokens=tokens.cache_write_input, at=at)
    return (found.amount, found.currency) if found is not None else None


def _peak_moment(day: str, prices: PriceList) -> float:
    """A moment of `day` at the list (peak) price: a day total without request times is an upper bound."""
    start = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)
    if prices.peak is None:
        return start.timestamp()
    for hour in range(24 * 7):
        moment = (start + dt.timedelta(hours=hour)).timestamp()
        if prices.peak.factor_at(moment) == 1.0:
            return moment
    return start.timestamp()


@dataclass
class Group:
    """One line of `switchover usage`: a tool, provider, model or day, with its totals and daily series."""

    key: str
    requests: int = 0
    errors: int = 0
    tokens: Tokens = field(default_factory=Tokens)
    cost: dict[str, float] = field(default_factory=dict)  # per currency
    unpriced_tokens: int = 0  # tokens of models without a price
    estimated: bool = False  # some of the cost is at list price (time of day unknown)
    per_day: dict[str, dict[str, float]] = field(default_factory=dict)  # day -> currency -> cost
    tokens_per_day: dict[str, int] = field(default_factory=dict)

    def add(self, row: PricedDay) -> None:
        self.requests += row.requests
        self.errors += row.errors
        self.tokens = self.tokens + row.tokens
        self.tokens_per_day[row.day] = self.tokens_per_day.get(row.day, 0) + row.tokens.total
        if row.cost is None or row.currency is None:
            self.unpriced_tokens += row.tokens.total
            return
        self.cost[row.currency] = self.cost.get(row.currency, 0.0) + row.cost
        day = self.per_day.setdefault(row.day, {})
        day[row.currency] = day.get(row.currency, 0.0) + row.cost
        self.estimated = self.estimated or not row.exact


def aggregate(rows: Iterable[PricedDay], by: GroupBy, days: int, now: float | None = None) -> list[Group]:
    """Totals per `by` over the last `days` UTC days (bounded to MAX_DAYS), biggest spenders first."""
    now = time.time() if now is None else now
    days = max(1, min(days, MAX_DAYS))
    window = set(days_back(days, now))
    groups: dict[str, Group] = {}
    for row in rows:
        if row.day not in window:
            continue
        key = {GroupBy.TOOL: row.tool, GroupBy.PROVIDER: row.provider or "(none)", GroupBy.MODEL: row.model or "?",
               GroupBy.DAY: row.day}[by]
        groups.setdefault(key, Group(key)).add(row)
    ordered = sorted(groups.values(), key=lambda g: (-sum(g.cost.values()), -g.tokens.total, g.key))
    return sorted(ordered, key=lambda g: g.key) if by is GroupBy.DAY else ordered


def spend_rates(rows: Sequence[PricedDay], now: float | None = None,
                currency_for: CurrencyPreference | None = None) -> dict[str, SpendRate]:
    """Average daily spend per provider over the last 7 days (or since its first counted request, at least
    one day), in the currency its balance is kept in when that is known."""
    now = time.time() if now is None else now
    window = days_back(WINDOW_DAYS, now)
    totals: dict[str, dict[str, float]] = {}
    first: dict[str, str] = {}
    for row in rows:
        if not row.provider:
            continue
        first[row.provider] = min(first.get(row.provider, row.day), row.day)
        if row.day not in window:
            continue
        if row.cost is None or row.currency is None:
            continue
        per_currency = totals.setdefault(row.provider, {})
        per_currency[row.currency] = per_currency.get(row.currency, 0.0) + row.cost
    rates: dict[str, SpendRate] = {}
    today = dt.datetime.fromtimestamp(now, dt.UTC)
    for provider, per_currency in totals.items():
        wanted = currency_for(provider) if currency_for else None
        currency = wanted if wanted in per_currency else max(per_currency, key=lambda c: per_currency[c])
        start = max(first[provider], window[0])
        since = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)
        covered = max(1.0, min(float(WINDOW_DAYS), (today - since).total_seconds() / DAY_S))
        # Spend per elapsed day; said as "the last 7 days" when counting started before the window did.
        said = float(WINDOW_DAYS) if first[provider] <= window[0] else covered
        rates[provider] = SpendRate(per_currency[currency] / covered, currency, said, "requests")
    return rates


def totals_by_currency(groups: Iterable[Group]) -> Mapping[str, float]:
    found: dict[str, float] = {}
    for group in groups:
        for currency, amount in group.cost.items():
            found[currency] = found.get(currency, 0.0) + amount
    return found
