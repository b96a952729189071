"""The price table: per provider and model, per 1M tokens, in the provider's own currencies.

Shipped as data (resources/prices.toml, each block with its source and the date it was read); the store's
`[prices.NAME]` tables override or add models per configured provider, with the same shape. Prices in the
table are list (peak) prices; a provider with time-of-day billing names its peak hours and the off-peak
factor, and a request is priced by the hour it was made.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError, ValidationError
from switchover.core.providers import Provider
from switchover.core.resources import load_data_file, resource
from switchover.core.store import Store

PRICES_SCHEMA = 1
STORE_SECTION = "prices"
MILLION = 1_000_000
MAX_PRICE = 100_000.0  # per 1M tokens; anything above is a typo
_RATE_KEYS = ("input", "output", "cached_input", "cache_write")


@dataclass(frozen=True)
class Rates:
    """Prices per 1M tokens in one currency."""

    input: float
    output: float
    cached_input: float | None = None  # None: billed at the input price (an upper bound)
    cache_write: float | None = None  # None: billed at the input price
    long_above: int | None = None  # prompt tokens above which the whole request uses `long`
    long: Rates | None = None

    def for_prompt(self, prompt_tokens: int) -> Rates:
        if self.long is not None and self.long_above is not None and prompt_tokens > self.long_above:
            return self.long
        return self

    def to_table(self) -> dict[str, Any]:
        table: dict[str, Any] = {"input": self.input, "output": self.output}
        if self.cached_input is not None:
            table["cached_input"] = self.cached_input
        if self.cache_write is not None:
            table["cache_write"] = self.cache_write
        if self.long is not None and self.long_above is not None:
            table["long_above"] = self.long_above
            table["long"] = self.long.to_table()
        return table


@dataclass(frozen=True)
class PeakHours:
    """When the listed (peak) prices apply; other hours cost `off_peak_factor` times as much."""

    hours_utc: tuple[tuple[int, int], ...]
    weekdays: frozenset[int]  # ISO: 1 = Monday
    off_peak_factor: float

    def factor_at(self, when: float) -> float:
        moment = dt.datetime.fromtimestamp(when, dt.UTC)
        peak = moment.isoweekday() in self.weekdays and any(start <= moment.hour < end
                                                             for start, end in self.hours_utc)
        return 1.0 if peak else self.off_peak_factor


@dataclass(frozen=True)
class PriceList:
    """One provider's prices: per model, per currency; with where they were read and when."""

    models: Mapping[str, Mapping[str, Rates]] = field(default_factory=dict)
    source: str = ""
    checked: str = ""
    peak: PeakHours | None = None
    user: bool = False  # from the user's store rather than the shipped table

    def find(self, model: str) -> tuple[str, Mapping[str, Rates]] | None:
        """The entry for `model`: exact, then case-insensitive, then without a `models/` prefix or a date
        suffix (`claude-sonnet-4-6-20260101`, `gpt-5.1-2026-01-01`)."""
        for candidate in _model_variants(model):
            if candidate in self.models:
                return candidate, self.models[candidate]
        lowered = {name.lower(): name for name in self.models}
        for candidate in _model_variants(model):
            if candidate.lower() in lowered:
                name = lowered[candidate.lower()]
                return name, self.models[name]
        return None


def _model_variants(model: str) -> list[str]:
    base = model.strip().removeprefix("models/")
    variants = [model, base]
    parts = base.rsplit("-", 3)
    if len(parts) == 4 and all(p.isdigit() for p in parts[1:]) and len(parts[1]) == 4:
        variants.append(parts[0])  # -YYYY-MM-DD
    head, _, tail = base.rpartition("-")
    if head and tail.isdigit() and len(tail) == 8:
        variants.append(head)  # -YYYYMMDD
    return list(dict.fromkeys(variants))


@dataclass(frozen=True)
class Cost:
    amount: float
    currency: str
    priced_as: str  # the price-table model name that matched
    off_peak: bool = False


def request_cost(
    prices: PriceList,
    model: str,
    *,
    input_tokens: int,
    output_tokens: int,
    cached_input_tokens: int = 0,
    cache_write_input_tokens: int = 0,
    at: float,
    currency: str | None = None,
) -> Cost | None:
    """What one request cost, or None when the model (or the wanted currency) has no price.

    `input_tokens` counts every input token (cache reads and writes included), as the gateway records it.
    Without `currency`, the model's first listed currency is used."""
    found = prices.find(model)
    if found is None:
        return None
    name, by_currency = found
    if currency is None:
        currency = next(iter(by_currency), None)
    rates = by_currency.get(currency) if currency else None
    if rates is None or currency is None:
        return None
    rates = rates.for_prompt(input_tokens)
    cached = max(0, min(cached_input_tokens, input_tokens))
    written = max(0, min(cache_write_input_tokens, input_tokens - cached))
    fresh = max(0, input_tokens - cached - written)
    total = (
        fresh * rates.input
        + cached * (rates.cached_input if rates.cached_input is not None else rates.input)
        + written * (rates.cache_write if rates.cache_write is not None else rates.input)
        + max(0, output_tokens) * rates.output
    ) / MILLION
    factor = prices.peak.factor_at(at) if prices.peak is not None else 1.0
    return Cost(total * factor, currency, name, off_peak=factor != 1.0)


# ---------------------------------------------------------------- parsing


def _price(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{where} must be a price per 1M tokens (a number)")
    if not 0 <= value <= MAX_PRICE:
        raise ValidationError(f"{where} must be between 0 and {MAX_PRICE:g} per 1M tokens")
    return float(value)


def parse_rates(raw: Any, where: str, allow_long: bool = True) -> Rates:
    if not isinstance(raw, Mapping):
        raise ValidationError(f"{where} must be a table such as {{ input = 0.3, output = 1.2 }}")
    for key in ("input", "output"):
        if key not in raw:
            raise ValidationError(f"{where} needs {key} (a price per 1M tokens)")
    long_raw = raw.get("long")
    long_above = raw.get("long_above")
    if (long_raw is None) != (long_above is None) or (long_raw is not None and not allow_long):
        raise ValidationError(f"{where}: long_above and long go together (and only one level deep)")
    if long_above is not None and (isinstance(long_above, bool) or not isinstance(long_above, int)
                                   or long_above <= 0):
        raise ValidationError(f"{where}.long_above must be a positive number of tokens")
    return Rates(
        input=_price(raw["input"], f"{where}.input"),
        output=_price(raw["output"], f"{where}.output"),
        cached_input=_price(raw["cached_input"], f"{where}.cached_input") if "cached_input" in raw else None,
        cache_write=_price(raw["cache_write"], f"{where}.cache_write") if "cache_write" in raw else None,
        long_above=long_above,
        long=parse_rates(long_raw, f"{where}.long", allow_long=False) if long_raw is not None else None,
    )


def _currency(code: Any, where: str) -> str:
    if not isinstance(code, str) or not code.isalpha() or not 2 <= len(code) <= 8:
        raise ValidationError(f"{where}: {code!r} is not a currency code such as USD or CNY")
    return code.upper()


def parse_price_list(raw: Mapping[str, Any], where: str, user: bool = False) -> PriceList:
    models_raw = raw.get("models", {})
    if not isinstance(models_raw, Mapping):
        raise ValidationError(f"{where}.models must be a table of model tables")
    models: dict[str, dict[str, Rates]] = {}
    for model, per_currency in models_raw.items():
        model_where = f'{where}.models."{model}"'
        if not isinstance(per_currency, Mapping) or not per_currency:
            raise ValidationError(f"{model_where} must map a currency to prices, e.g. USD = {{ input = 1 }}")
        models[str(model)] = {_currency(code, model_where): parse_rates(rates, f"{model_where}.{code}")
                              for code, rates in per_currency.items()}
    peak = None
    if "peak_hours_utc" in raw:
        hours = raw["peak_hours_utc"]
        if not isinstance(hours, list) or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(x, int) and 0 <= x <= 24 for x in h) and h[0] < h[1]
            for h in hours
        ):
            raise ValidationError(f"{where}.peak_hours_utc must be a list of [start, end] hours, e.g. [[1, 4]]")
        days = raw.get("peak_weekdays", [1, 2, 3, 4, 5, 6, 7])
        if not isinstance(days, list) or not all(isinstance(d, int) and 1 <= d <= 7 for d in days):
            raise ValidationError(f"{where}.peak_weekdays must list ISO weekdays (1 = Monday ... 7 = Sunday)")
        factor = raw.get("off_peak_factor", 1.0)
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 <= factor <= 1:
            raise ValidationError(f"{where}.off_peak_factor must be a number from 0 to 1")
        peak = PeakHours(tuple((h[0], h[1]) for h in hours), frozenset(days), float(factor))
    return PriceList(models, str(raw.get("source", "")), str(raw.get("checked", "")), peak, user)


def load_price_table(path: Path | None = None) -> dict[str, PriceList]:
    """The shipped table, per preset id."""
    path = path or resource("prices.toml")
    data = load_data_file(path, PRICES_SCHEMA, "price table")
    presets = data.get("presets", {})
    try:
        return {str(pid): parse_price_list(raw, f"presets.{pid}") for pid, raw in presets.items()}
    except ValidationError as exc:
        raise ConfigFileError(path, str(exc)) from exc


@cache
def default_price_table() -> dict[str, PriceList]:
    return load_price_table()


# ---------------------------------------------------------------- per provider, with the user's overrides


def user_prices(store: Store) -> dict[str, PriceList]:
    """The store's `[prices.NAME]` tables; a broken one raises naming the store file."""
    section = store.sections.get(STORE_SECTION, {})
    try:
        return {str(name): parse_price_list(raw, f"prices.{name}", user=True)
                for name, raw in section.items() if isinstance(raw, Mapping)}
    except ValidationError as exc:
        if store.path is None:
            raise
        raise ConfigFileError(store.path, str(exc)) from exc


def prices_for(provider: Provider, store: Store, table: Mapping[str, PriceList] | None = None) -> PriceList:
    """The provider's prices: the preset's shipped list, with the user's models laid over it (a user's
    model replaces the shipped one; the user's peak hours, if set, replace the shipped ones)."""
    table = default_price_table() if table is None else table
    shipped = table.get(provider.preset or "", PriceList())
    mine = user_prices(store).get(provider.name)
    if mine is None:
        return shipped
    return replace(
        shipped,
        models={**shipped.models, **mine.models},
        peak=mine.peak if mine.peak is not None else shipped.peak,
        source=shipped.source,
        checked=shipped.checked,
        user=bool(mine.models),
    )


def set_user_price(store: Store, provider: str, model: str, currency: str, rates: Rates) -> None:
    """Write one model's price into the store object (the caller saves it inside `edit_store()`)."""
    store.get(provider)
    section = store.section(STORE_SECTION)
    entry = section.setdefault(provider, {})
    models = entry.setdefault("models", {})
    models.setdefault(model, {})[_currency(currency, "currency")] = rates.to_table()
    entry["checked"] = dt.date.today().isoformat()


def remove_user_price(store: Store, provider: str, model: str | None = None) -> bool:
    section = store.section(STORE_SECTION)
    entry = section.get(provider)
    if not isinstance(entry, dict):
        return False
    if model is None:
        del section[provider]
        return True
    models = entry.get("models", {})
    if model not in models:
        return False
    del models[model]
    if not models:
        del section[provider]
    return True
