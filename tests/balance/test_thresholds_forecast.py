"""Low thresholds (the user's amount, or three days of recent spend), spend rates and forecasts."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from switchover.core.balance.checks import check_providers
from switchover.core.balance.forecast import SpendRate, forecast_sentence, rate_from_points, result_forecast
from switchover.core.balance.history import BalanceHistory, Point
from switchover.core.balance.results import BalanceResult, BalanceStatus
from switchover.core.balance.settings import load_balance_settings, set_low_threshold, settings_from_table
from switchover.core.errors import ValidationError
from switchover.core.health.http import HttpLimits
from switchover.core.health.runner import CheckOptions
from switchover.core.store import Store
from tests.balance.shapes import KEY, serve, standin_provider
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]
FAST = CheckOptions(limits=HttpLimits(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=3), trust_env=False)
DAY = 86400.0


def _deepseek(amount: str) -> dict[str, object]:
    return {"is_available": True, "balance_infos": [
        {"currency": "CNY", "total_balance": amount, "granted_balance": "0.00", "topped_up_balance": amount}]}


@pytest.fixture
def deepseek(provider_server: Server, monkeypatch: pytest.MonkeyPatch) -> tuple[ProviderServer, Store]:
    monkeypatch.setenv("BALANCE_TEST_KEY", KEY)
    server = serve(provider_server(), "deepseek", _deepseek("8.00"))
    store = Store()
    store.add(standin_provider("deepseek", server))
    return server, store


def test_user_threshold_makes_it_low(deepseek: tuple[ProviderServer, Store]) -> None:
    _, store = deepseek
    set_low_threshold(store, "deepseek", 10)
    [result] = check_providers(list(store.providers.values()), store, options=FAST, history=BalanceHistory())
    assert result.status is BalanceStatus.LOW
    assert (result.threshold, result.threshold_source) == (10.0, "user")
    set_low_threshold(store, "deepseek", 5)
    [result] = check_providers(list(store.providers.values()), store, options=FAST, history=BalanceHistory())
    assert result.status is BalanceStatus.OK and result.threshold == 5.0
    set_low_threshold(store, "deepseek", None)
    assert "balance" not in store.sections or not store.sections["balance"]["providers"]


def test_threshold_from_balance_drops_and_forecast(deepseek: tuple[ProviderServer, Store]) -> None:
    """A week of readings spending about 3.8 CNY a day (one top-up in between, which is not spend) makes 8 CNY
    low: less than three days' worth."""
    server, store = deepseek
    history = BalanceHistory()
    now = time.time()
    readings = [BalanceResult("deepseek", BalanceStatus.OK, "", amount=a, currency="CNY", checked_at=now - d * DAY)
                for d, a in ((6.9, 20.0), (6, 18.0), (5, 16.0), (4.5, 30.0), (4, 29.0), (3, 27.0), (1, 23.0))]
    history.record(readings)
    [result] = check_providers(list(store.providers.values()), store, options=FAST, history=history)
    # Drops: 2+2+1+2+4+(23-8=15) = 26 over 6.9 days.
    rate = 26 / 6.9
    assert result.spend_source == "balance" and result.spend_per_day == pytest.approx(rate, rel=1e-4)
    assert result.threshold_source == "spend" and result.threshold == pytest.approx(3 * rate, rel=1e-4)
    assert result.status is BalanceStatus.LOW  # 8 < 11.3
    assert result.days_left == pytest.approx(8 / rate, rel=1e-4)
    assert result_forecast(result, "DeepSeek") == "At the last 7 days' rate, DeepSeek runs out in about 2 days."
    server.on("GET", "/user/balance", Reply.json(_deepseek("200.00")))
    [result] = check_providers(list(store.providers.values()), store, options=FAST, history=history)
    assert result.status is BalanceStatus.OK  # a top-up is not spend


def test_rates_passed_in_from_requests_win_when_currency_matches(deepseek: tuple[ProviderServer, Store]) -> None:
    _, store = deepseek
    rates = {"deepseek": SpendRate(4.0, "CNY", 7, "requests")}
    [result] = check_providers(list(store.providers.values()), store, options=FAST, history=BalanceHistory(),
                               rates=rates)
    assert (result.status, result.spend_source, result.threshold) == (BalanceStatus.LOW, "requests", 12.0)
    assert result.days_left == pytest.approx(2.0)
    rates = {"deepseek": SpendRate(4.0, "USD", 7, "requests")}  # never converted: no forecast, no threshold
    [result] = check_providers(list(store.providers.values()), store, options=FAST, history=BalanceHistory(),
                               rates=rates)
    assert (result.status, result.threshold, result.days_left) == (BalanceStatus.OK, None, None)


def test_rate_needs_half_a_day_of_readings() -> None:
    now = time.time()
    assert rate_from_points([Point(now - 3600, 10, "USD"), Point(now, 9, "USD")], now, "USD") is None
    rate = rate_from_points([Point(now - DAY, 10, "USD"), Point(now, 9, "USD")], now, "USD")
    assert rate is not None and rate.per_day == pytest.approx(1.0) and rate.days == pytest.approx(1.0)
    assert rate_from_points([Point(now - DAY, 10, "CNY"), Point(now, 9, "CNY")], now, "USD") is None


def test_forecast_sentences() -> None:
    assert forecast_sentence("DeepSeek", 3.2, 7) == "At the last 7 days' rate, DeepSeek runs out in about 3 days."
    assert forecast_sentence("Kimi", 0.5, 2) == "At the last 2 days' rate, Kimi runs out in about 12 hours."
    assert forecast_sentence("Kimi", 0, 7) == "Kimi has nothing left to spend."


def test_history_is_bounded_and_survives_damage(tmp_path: object) -> None:
    history = BalanceHistory(keep=5)
    now = time.time()
    history.record([BalanceResult("p", BalanceStatus.OK, "", amount=float(i), currency="USD", checked_at=now - 100 + i)
                    for i in range(20)])
    assert [p.amount for p in history.points("p")] == [15.0, 16.0, 17.0, 18.0, 19.0]
    assert history.last("p") is not None and history.last("p").amount == 19.0  # type: ignore[union-attr]
    history._file("p").write_text("{broken", encoding="utf-8")
    assert history.points("p") == [] and history.last("p") is None
    old = BalanceResult("p", BalanceStatus.OK, "", amount=1.0, currency="USD", checked_at=now - 30 * DAY)
    history.record([old, BalanceResult("p", BalanceStatus.OK, "", amount=2.0, currency="USD", checked_at=now)])
    assert [p.amount for p in history.points("p", since=0)] == [2.0]  # older than 8 days: dropped


def test_settings_validation() -> None:
    with pytest.raises(ValidationError, match="amount"):
        settings_from_table({"providers": {"deepseek": {"low_below": "five"}}})
    with pytest.raises(ValidationError, match="between"):
        settings_from_table({"providers": {"deepseek": {"low_below": -1}}})
    with pytest.raises(ValidationError, match="api must be one of"):
        settings_from_table({"providers": {"deepseek": {"api": "paypal", "url": "https://x.example/b"}}})
    with pytest.raises(ValidationError, match="plain http"):
        settings_from_table({"providers": {"deepseek": {"api": "deepseek", "url": "http://x.example/b"}}})
    with pytest.raises(ValidationError, match="not allowed"):
        settings_from_table({"providers": {"Bad Name": {"low_below": 1}}})
    store = Store()
    store.sections["balance"] = {"providers": {"deepseek": {"low_below": 2.5, "currency": "cny"}}}
    settings = load_balance_settings(store).for_provider("deepseek")
    assert settings.low_below == 2.5 and settings.override is not None and settings.override.currency == "CNY"
