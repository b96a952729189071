"""The balance section (hosted on the Health page): "Check balances" asks the real balance APIs off the UI
thread; rows show amount, status, threshold and outlook; the tray gets its lines."""

from __future__ import annotations

import time
from typing import Any

import pytest

from switchover.core.balance.history import BalanceHistory
from switchover.core.balance.results import BalanceResult, BalanceStatus
from switchover.core.catalog import default_catalog
from switchover.core.providers import Credential
from tests.balance.shapes import KEY, add_to_store, serve, standin_provider
from tests.support.provider_server import ProviderServer, Reply


@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("BALANCE_TEST_KEY", KEY)
    servers = {"deepseek": serve(ProviderServer().start(), "deepseek"),
               "moonshot": serve(ProviderServer().start(), "moonshot")}
    servers["moonshot"].on("GET", "/v1/users/me/balance", Reply.json({"error": {"message": "bad"}}, status=401))
    add_to_store(standin_provider("deepseek", servers["deepseek"]), standin_provider("moonshot", servers["moonshot"]),
                 default_catalog().get("ollama").to_provider("ollama", credential=Credential.none()))
    yield servers
    for server in servers.values():
        server.close()


def _rows(section: Any) -> dict[str, list[str]]:
    model = section.model
    return {model.index(r, 0).data(): [model.index(r, c).data() for c in range(1, 5)] for r in range(model.rowCount())}


def test_check_balances_fills_the_section(controller: Any, qtbot: Any, standins: dict[str, ProviderServer]) -> None:
    from switchover.ui.balance import BalanceSection, balance_lines

    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    section = BalanceSection(controller.balances)
    qtbot.addWidget(section)
    rows = _rows(section)
    assert set(rows) == {"DeepSeek", "Moonshot Kimi (international)"}  # the local Ollama server has no line
    assert rows["DeepSeek"][:2] == ["—", "not asked yet"]
    with qtbot.waitSignal(controller.balances.check_finished, timeout=10000):
        section.check_button.click()
        assert not section.check_button.isEnabled()  # the UI thread is not blocked: the check runs on a worker
    assert section.check_button.isEnabled()
    rows = _rows(section)
    assert rows["DeepSeek"][:3] == ["¥110.00", "ok", "—"]
    assert rows["DeepSeek"][3] == "DeepSeek: 10.00 granted + 100.00 topped up."
    assert rows["Moonshot Kimi (international)"][1] == "auth failed"
    assert "rejected the API key" in rows["Moonshot Kimi (international)"][3]
    assert balance_lines(controller.balances) == ["DeepSeek: ¥110.00 left"]
    assert BalanceHistory().last("deepseek") is not None  # kept for the next start


def test_stored_readings_load_at_start_and_fresh_ones_win(controller: Any, qtbot: Any,
                                                          standins: dict[str, ProviderServer]) -> None:
    old = time.time() - 3600
    BalanceHistory().record([BalanceResult("deepseek", BalanceStatus.LOW, "stored", amount=2.0, currency="CNY",
                                           threshold=5.0, threshold_source="user", checked_at=old, days_left=0.6,
                                           spend_per_day=3.3, spend_window_days=7.0)])
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    with qtbot.waitSignal(controller.balances.changed, timeout=5000):
        controller.balances.load_history()
    from switchover.ui.balance import BalanceSection, balance_lines

    section = BalanceSection(controller.balances)
    qtbot.addWidget(section)
    rows = _rows(section)
    assert rows["DeepSeek"] == ["¥2.00", "low", "¥5.00",
                                "At the last 7 days' rate, DeepSeek runs out in about 14 hours."]
    assert "Running low: DeepSeek." in section.summary.text()
    assert balance_lines(controller.balances) == ["DeepSeek: ¥2.00 left, about a day (low)"]
    controller.balances.ingest([BalanceResult("deepseek", BalanceStatus.OK, "older", amount=9.0, currency="CNY",
                                              checked_at=old - 10)])
    assert controller.balances.latest["deepseek"].amount == 2.0  # an older reading never hides a newer one


def test_settings_page_balance_box_saves_policy_and_thresholds(controller: Any, qtbot: Any,
                                                               standins: dict[str, ProviderServer]) -> None:
    from switchover.core.balance.settings import load_balance_settings
    from switchover.core.failover.settings import load_settings
    from switchover.core.store import load_store
    from switchover.ui.autostart import Autostart
    from switchover.ui.pages.settings import SettingsPage

    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    page = SettingsPage(controller.state, Autostart())
    qtbot.addWidget(page)
    box = page.balance_box
    assert set(box.thresholds) == {"deepseek", "moonshot"}  # the prepaid ones; Ollama has no balance API
    assert box.empty_check.isChecked() and not box.low_check.isChecked()
    assert box.interval_spin.value() == 15
    box.thresholds["deepseek"].setValue(12.5)
    box.low_check.setChecked(True)
    box.interval_spin.setValue(30)
    with qtbot.waitSignal(controller.state.store_changed, timeout=10000):
        page.save()
    store = load_store()
    assert load_balance_settings(store).for_provider("deepseek").low_below == 12.5
    assert load_balance_settings(store).for_provider("moonshot").low_below is None
    failover = load_settings(store)
    assert failover.low_balance_prefers_next and failover.empty_balance_fails
    assert failover.balance_interval_s == 1800.0
