"""A low balance in the app, end to end: the real failover monitor (its thread) asks the primary's balance
API (a local server answering DeepSeek's documented shape), the balance is below the threshold while every
health check is still ok, the tray shows a "Balance running low" notification offering the next healthy chain
entry, and clicking it switches Claude Code's real settings.json. The balance also shows in the tray tooltip
and menu, and on the Health page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from switchover.core.failover.settings import FailoverSettings, Mode, save_settings
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.secrets import Keychain
from switchover.core.store import ChainEntry, edit_store
from tests.support.provider_server import ProviderServer, Reply
from tests.ui.app_support import close_app

MODEL = "test-model"
KEY = "sk-test-primary-0123456789abcdef"


def _balance(amount: str) -> Reply:
    return Reply.json({"is_available": True, "balance_infos": [
        {"currency": "USD", "total_balance": amount, "granted_balance": "0.00", "topped_up_balance": amount}]})


@pytest.fixture
def servers(isolated_home: Path) -> Iterator[dict[str, ProviderServer]]:
    found = {"primary": ProviderServer().start().play("anthropic", "ok", (MODEL,)),
             "backup": ProviderServer().start().play("anthropic", "ok", (MODEL,))}
    found["primary"].on("GET", "/user/balance", _balance("3.20"))
    Keychain().set("primary", KEY)
    with edit_store() as store:
        store.add(Provider("primary", (Endpoint.make(Protocol.ANTHROPIC, found["primary"].url),), (MODEL,),
                           credential=Credential.keychain(), label="Primary"))
        store.add(Provider("backup", (Endpoint.make(Protocol.ANTHROPIC, found["backup"].url),), (MODEL,),
                           credential=Credential.none(), label="Backup"))
        store.chains["claude-code"] = [ChainEntry("primary", MODEL), ChainEntry("backup", MODEL)]
        save_settings(store, FailoverSettings(interval_s=0.3, retry_interval_s=0.1, default_mode=Mode.AUTO))
        store.section("balance")["providers"] = {"primary": {
            "api": "deepseek", "url": found["primary"].url + "/user/balance", "low_below": 5.0}}
    settings = isolated_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"theme": "dark", "env": {"ANTHROPIC_BASE_URL": found["primary"].url,
                                                             "ANTHROPIC_MODEL": MODEL}}))
    yield found
    for server in found.values():
        server.close()


def test_low_balance_notification_offers_the_next_entry_and_click_switches(
        qapp: Any, qtbot: Any, isolated_home: Path, servers: dict[str, ProviderServer]) -> None:
    from switchover.ui.app import AppController

    controller = AppController(qapp, use_tray=True)
    shown: list[tuple[str, str]] = []
    controller.tray.icon.showMessage = lambda title, text, *_a: shown.append((title, text))  # type: ignore[method-assign]
    try:
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            controller.state.reload()
        controller.failover.start()
        qtbot.waitUntil(lambda: any(t == "Balance running low" for t, _ in shown), timeout=15000)
        text = next(t for title, t in shown if title == "Balance running low")
        assert text.startswith("Claude Code: Primary's balance is low ($3.20 left, below $5.00).")
        assert "Switch to Backup test-model (works, " in text and text.endswith("before it runs out? Click to switch.")
        # auto mode, but a low balance only suggests unless the settings say otherwise; nothing failed
        settings_path = isolated_home / ".claude" / "settings.json"
        assert json.loads(settings_path.read_text())["env"]["ANTHROPIC_BASE_URL"] == servers["primary"].url
        assert all(r.path != "/v1/messages" for r in servers["primary"].requests)
        [balance_request] = servers["primary"].requests_to("/user/balance")[:1]
        assert balance_request.headers["authorization"] == f"Bearer {KEY}"

        # the balance is in the app: the tray tooltip and its Balance menu, and the Health page
        assert controller.balances.latest["primary"].status.value == "low"
        assert "Primary: $3.20 left (low)" in controller.tray.icon.toolTip()
        controller.tray.rebuild_menu()
        assert controller.tray.find_action("Primary: $3.20 left (low)") is not None
        window = controller.open_window("health")
        section = window.pages["health"].balance_section
        rows = {section.model.index(r, 0).data(): [section.model.index(r, c).data() for c in range(5)]
                for r in range(section.model.rowCount())}
        assert rows["Primary"][1:4] == ["$3.20", "low", "$5.00"]
        assert set(rows) == {"Primary"}  # Backup, a custom loopback server, is a local model server

        with qtbot.waitSignal(controller.failover.decision_made, timeout=15000,
                              check_params_cb=lambda d: d.action.value == "accepted"):
            controller.tray.icon.messageClicked.emit()  # the user clicks the notification
        written = json.loads(settings_path.read_text())
        assert written["env"]["ANTHROPIC_BASE_URL"] == servers["backup"].url
        assert written["theme"] == "dark"
        qtbot.waitUntil(lambda: shown[-1][0] == "Switched", timeout=15000)
    finally:
        close_app(qapp, controller)
