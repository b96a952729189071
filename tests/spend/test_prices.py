"""The price table: shipped data, the arithmetic, time-of-day billing, and the user's overrides."""

from __future__ import annotations

import datetime as dt

import pytest

from switchover.core.catalog import default_catalog
from switchover.core.errors import ValidationError
from switchover.core.spend.prices import (
    PriceList,
    Rates,
    default_price_table,
    parse_price_list,
    prices_for,
    remove_user_price,
    request_cost,
    set_user_price,
)
from switchover.core.store import Store

FRIDAY_PEAK = dt.datetime(2026, 11, 27, 2, 30, tzinfo=dt.UTC).timestamp()  # Fri 02:30 UTC
FRIDAY_OFF_PEAK = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC).timestamp()
SATURDAY_PEAK_HOUR = dt.datetime(2026, 11, 28, 2, 30, tzinfo=dt.UTC).timestamp()


def test_shipped_table_is_dated_sourced_and_belongs_to_presets() -> None:
    table = default_price_table()
    presets = set(default_catalog().ids())
    assert {"deepseek", "anthropic", "openai", "gemini", "zai", "moonshot"} <= set(table)
    for preset, prices in table.items():
        assert preset in presets
        assert prices.checked == "2026-11-29" and prices.source.startswith("https://")
        assert prices.models
        for model, per_currency in prices.models.items():
            for currency, rates in per_currency.items():
                assert currency in ("USD", "CNY"), (model, currency)
                assert rates.output >= rates.input > 0 or model.startswith("deepseek"), model
                if rates.cached_input is not None:
                    assert rates.cached_input < rates.input


def test_cost_arithmetic_counts_cached_and_written_tokens_once() -> None:
    anthropic = default_price_table()["anthropic"]
    cost = request_cost(anthropic, "claude-sonnet-4-6", input_tokens=1_000_000, output_tokens=100_000,
                        cached_input_tokens=600_000, cache_write_input_tokens=300_000, at=FRIDAY_PEAK)
    assert cost is not None and cost.currency == "USD" and not cost.off_peak
    # 100k fresh x 3 + 600k cached x 0.30 + 300k written x 3.75 + 100k out x 15, per million
    assert cost.amount == pytest.approx(0.3 + 0.18 + 1.125 + 1.5)


def test_deepseek_peak_and_off_peak_in_both_currencies() -> None:
    deepseek = default_price_table()["deepseek"]
    args = {"input_tokens": 1_000_000, "output_tokens": 1_000_000, "cached_input_tokens": 500_000}
    peak = request_cost(deepseek, "deepseek-flash", at=FRIDAY_PEAK, **args)
    off = request_cost(deepseek, "deepseek-flash", at=FRIDAY_OFF_PEAK, **args)
    weekend = request_cost(deepseek, "deepseek-flash", at=SATURDAY_PEAK_HOUR, **args)
    assert peak is not None and off is not None and weekend is not None
    assert peak.amount == pytest.approx(0.15 + 0.003 + 1.2) and not peak.off_peak
    assert off.amount == pytest.approx(peak.amount / 2) and off.off_peak
    assert weekend.amount == pytest.approx(off.amount)
    cny = request_cost(deepseek, "deepseek-v4-pro", at=FRIDAY_PEAK, currency="CNY", **args)
    assert cny is not None and cny.currency == "CNY" and cny.amount == pytest.approx(4.5 + 0.15 + 27.0)
    assert request_cost(deepseek, "deepseek-flash", at=FRIDAY_PEAK, currency="EUR", **args) is None


def test_long_prompt_tier_and_model_name_variants() -> None:
    gemini = default_price_table()["gemini"]
    short = request_cost(gemini, "models/gemini-2.5-pro", input_tokens=200_000, output_tokens=0, at=0)
    long = request_cost(gemini, "gemini-2.5-pro", input_tokens=200_001, output_tokens=0, at=0)
    assert short is not None and long is not None and short.priced_as == "gemini-2.5-pro"
    assert short.amount == pytest.approx(0.25) and long.amount == pytest.approx(200_001 * 2.5 / 1e6)
    anthropic = default_price_table()["anthropic"]
    dated = request_cost(anthropic, "claude-haiku-4-5-20251001", input_tokens=10, output_tokens=10, at=0)
    assert dated is not None and dated.priced_as == "claude-haiku-4-5"
    assert request_cost(anthropic, "claude-unknown-9", input_tokens=10, output_tokens=10, at=0) is None


def test_user_prices_override_and_add() -> None:
    store = Store()
    provider = default_catalog().get("deepseek").to_provider("ds")
    store.add(provider)
    set_user_price(store, "ds", "deepseek-flash", "usd", Rates(input=0.1, output=0.2))
    set_user_price(store, "ds", "my-finetune", "CNY", Rates(input=1, output=2, cached_input=0.1))
    prices = prices_for(provider, store)
    assert prices.user and prices.peak is not None  # the shipped peak hours still apply
    assert prices.models["deepseek-flash"] == {"USD": Rates(0.1, 0.2)}
    assert "deepseek-v4-pro" in prices.models and "my-finetune" in prices.models
    assert store.sections["prices"]["ds"]["models"]["my-finetune"]["CNY"] == {"input": 1, "output": 2,
                                                                               "cached_input": 0.1}
    assert remove_user_price(store, "ds", "deepseek-flash")
    assert prices_for(provider, store).models["deepseek-flash"]["USD"].input == 0.30
    assert remove_user_price(store, "ds") and "ds" not in store.sections["prices"]
    custom = Store()
    from switchover.core.providers import Endpoint, Protocol, Provider

    mine = Provider("mine", (Endpoint.make(Protocol.OPENAI_CHAT, "https://llm.example.com/v1"),))
    custom.add(mine)
    assert prices_for(mine, custom).models == {}
    set_user_price(custom, "mine", "m", "USD", Rates(1, 2))
    assert request_cost(prices_for(mine, custom), "m", input_tokens=1_000_000, output_tokens=0, at=0) is not None


@pytest.mark.parametrize(("raw", "words"), [
    ({"models": {"m": {"USD": {"input": 1}}}}, "needs output"),
    ({"models": {"m": {"USD": {"input": -1, "output": 1}}}}, "between 0"),
    ({"models": {"m": {"USD": {"input": "1", "output": 1}}}}, "a number"),
    ({"models": {"m": {"dollars!": {"input": 1, "output": 1}}}}, "currency code"),
    ({"models": {"m": {"USD": {"input": 1, "output": 1, "long_above": 10}}}}, "go together"),
    ({"models": {"m": {}}}, "map a currency"),
    ({"peak_hours_utc": [[5, 2]]}, "peak_hours_utc"),
    ({"peak_hours_utc": [[1, 2]], "off_peak_factor": 2}, "off_peak_factor"),
])
def test_invalid_price_tables_are_named(raw: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        parse_price_list(raw, "prices.x")


def test_empty_price_list_prices_nothing() -> None:
    assert request_cost(PriceList(), "m", input_tokens=1, output_tokens=1, at=0) is None
