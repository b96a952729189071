"""The tray says what is wrong, in words, per tool (issue 14, findings 3, 4, 7 and 8), with real local servers:
one healthy provider, one blocked in your region, one with a bad key; real tool configs in the test home.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMenu

from switchover.core.failover.decisions import Action, Decision, DecisionKind
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry, edit_store
from switchover.ui.icons import TrayState
from tests.support.provider_server import ProviderServer, model_list_reply
from tests.ui.app_support import close_app, started_tray_app

ROUTER_MODELS = tuple(f"vendor/model-{i:03d}" for i in range(300))


@pytest.fixture
def servers() -> Iterator[dict[str, ProviderServer]]:
    found = {
        "deepseek": ProviderServer().start().play("anthropic", "ok", ("deepseek-chat", "deepseek-reasoner")),
        "openai": ProviderServer().start().play("openai-responses", "region_blocked"),
        "badkey": ProviderServer().start().play("anthropic", "auth_failed"),
        "router": ProviderServer().start(),
    }
    found["router"].on("GET", "/v1/models", model_list_reply("openai-chat", ROUTER_MODELS))
    found["deepseek"].play("openai-chat", "ok", ("deepseek-chat", "deepseek-reasoner"))
    yield found
    for server in found.values():
        server.close()


def configure(home: Path, servers: dict[str, ProviderServer]) -> None:
    """Providers in the store; Claude Code on DeepSeek, Codex on OpenAI (blocked), as their own files say."""
    with edit_store() as store:
        store.add(Provider("deepseek", (Endpoint.make(Protocol.ANTHROPIC, servers["deepseek"].url),
                                        Endpoint.make(Protocol.OPENAI_CHAT, servers["deepseek"].url + "/v1")),
                           ("deepseek-chat", "deepseek-reasoner"), credential=Credential.none(), label="DeepSeek"))
        store.add(Provider("openai", (Endpoint.make(Protocol.OPENAI_RESPONSES, servers["openai"].url + "/v1"),),
                           ("gpt-5",), credential=Credential.none(), label="OpenAI"))
        store.add(Provider("router", (Endpoint.make(Protocol.OPENAI_CHAT, servers["router"].url + "/v1"),),
                           ("vendor/model-001",), credential=Credential.none(), label="Router"))
        store.add(Provider("gemini", (Endpoint.make(Protocol.GEMINI, "http://127.0.0.1:9"),), ("g1",),
                           credential=Credential.none(), label="Gemini"))
        store.add(Provider("bare", (Endpoint.make(Protocol.ANTHROPIC, "http://127.0.0.1:9"),), (),
                           credential=Credential.none(), label="Bare"))
        store.section("failover")["mode"] = "off"  # the tray's own checks only: deterministic
    claude = home / ".claude" / "settings.json"
    claude.parent.mkdir(parents=True)
    claude.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": servers["deepseek"].url,
                                          "ANTHROPIC_MODEL": "deepseek-chat"}}))
    codex = home / ".codex" / "config.toml"
    codex.parent.mkdir(parents=True)
    codex.write_text(f'model = "gpt-5"\nmodel_provider = "o"\n[model_providers.o]\nname = "o"\n'
                     f'base_url = "{servers["openai"].url}/v1"\nwire_api = "responses"\n')


@pytest.fixture
def app(qapp: Any, qtbot: Any, isolated_home: Path, servers: dict[str, ProviderServer]) -> Iterator[Any]:
    configure(isolated_home, servers)
    ctl = started_tray_app(qapp, qtbot)
    yield ctl
    close_app(qapp, ctl)


def top_level(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def submenu(menu: QMenu, starts: str) -> QMenu:
    found = next(a.menu() for a in menu.actions() if a.menu() is not None and a.text().startswith(starts))
    assert isinstance(found, QMenu)
    return found


def wait_checked(qtbot: Any, app: Any, *keys: str) -> None:
    qtbot.waitUntil(lambda: all(k in app.health.latest for k in keys) and app.health.running is None,
                    timeout=15000)


def test_the_tray_says_which_tool_and_why_and_not_checked_never_looks_healthy(app: Any, qtbot: Any,
                                                                            servers: dict[str, Any]) -> None:
    tray = app.tray
    # Before any result the tools are "not checked", and the icon is grey, not green.
    states = {s.tool: s for s in app.status.states()}
    if "deepseek/anthropic" not in app.health.latest:
        assert states["claude-code"].why == "not checked yet" and tray.state is not TrayState.OK
    wait_checked(qtbot, app, "deepseek/anthropic", "openai/openai-responses")  # checked at start-up by itself
    qtbot.waitUntil(lambda: tray.state is TrayState.DOWN, timeout=5000)
    tip = tray.icon.toolTip()
    assert "Codex CLI — OpenAI · gpt-5 · blocked in your region" in tip
    assert "Claude Code — DeepSeek · deepseek-chat · works" in tip
    assert "1 of 2 tools need attention" in tip
    tray.menu.aboutToShow.emit()
    entries = top_level(tray.menu)
    assert "1 of 2 tools need attention" in entries
    assert any(e.startswith("Codex CLI — OpenAI · gpt-5 · blocked in your region") for e in entries)
    codex = submenu(tray.menu, "Codex CLI")
    assert any("refuses" in a.text() or "region" in a.text() for a in codex.actions())  # the reason in full

    # A second outage changes what the tray says: Claude Code's provider now rejects the key.
    servers["deepseek"].play("anthropic", "auth_failed")
    with qtbot.waitSignal(app.health.check_finished, timeout=15000):
        app.check_now()
    qtbot.waitUntil(lambda: "2 of 2 tools need attention" in tray.icon.toolTip(), timeout=5000)
    assert "Claude Code — DeepSeek · deepseek-chat · wrong key" in tray.icon.toolTip()


def test_a_suggestion_stays_in_the_menu_until_answered(app: Any, qtbot: Any) -> None:
    suggestion = Decision("codex", "Codex CLI", DecisionKind.FAILOVER, Action.SUGGESTED, "suggest",
                          "OpenAI is blocked in your region; DeepSeek answers.", ChainEntry("openai", "gpt-5"),
                          ChainEntry("deepseek", "deepseek-chat"))
    app._failover_decision(suggestion)  # what the failover monitor's signal delivers
    tray = app.tray
    for _ in range(2):  # the balloon is long gone; the menu still offers it
        tray.menu.aboutToShow.emit()
        entry = submenu(tray.menu, "Suggested: Codex CLI → DeepSeek · deepseek-chat")
        assert [a.text() for a in entry.actions() if a.isEnabled() and not a.isSeparator()] == ["Switch now", "Dismiss"]
    assert "Suggested: Codex CLI → deepseek/deepseek-chat" in tray.icon.toolTip()
    next(a for a in entry.actions() if a.text() == "Dismiss").trigger()
    tray.menu.aboutToShow.emit()
    assert not any(t.startswith("Suggested:") for t in top_level(tray.menu))


def test_choices_scale_and_say_why_a_provider_cannot_be_used(app: Any, qtbot: Any, monkeypatch: Any,
                                                            isolated_home: Path) -> None:
    opencode = isolated_home / ".config" / "opencode" / "opencode.json"  # a tool that speaks chat completions
    opencode.parent.mkdir(parents=True)
    chat_url = app.state.store.get("deepseek").endpoints[1].base_url
    opencode.write_text(json.dumps({"model": "x/deepseek-chat", "provider": {"x": {
        "npm": "@ai-sdk/openai-compatible", "options": {"baseURL": chat_url}}}}))
    with qtbot.waitSignal(app.tools.tools_loaded, timeout=10000):
        app.tools.refresh()
    wait_checked(qtbot, app, "deepseek/anthropic", "openai/openai-responses")
    with qtbot.waitSignal(app.health.check_finished, timeout=15000):
        app.check_now()  # every endpoint, the router's 300 models included
    tray = app.tray
    tray.menu.aboutToShow.emit()
    claude = submenu(tray.menu, "Claude Code")
    providers = [a.text() for a in claude.actions() if a.menu() is not None]
    assert providers[0].startswith("DeepSeek · Works"), "working providers first, health beside each"
    disabled = {a.text() for a in claude.actions() if not a.isEnabled()}
    assert "OpenAI — Claude Code needs the Anthropic API; it offers the OpenAI Responses API" in disabled
    assert "Bare — no model configured — add one on the Providers page" in disabled
    assert "Router — Claude Code needs the Anthropic API; it offers OpenAI chat completions" in disabled
    assert sum(1 for a in claude.actions() if a.menu() is not None) <= 3  # one submenu per usable provider

    everyone = submenu(tray.menu, "Switch all tools to…")
    router = submenu(everyone, "Router")
    models = [a.text() for a in router.actions() if not a.isSeparator()]
    assert len(models) <= 7 and models[-1] == "Other models…", "a few suggested, the rest searchable"
    switched: list[tuple[str, str, Any]] = []
    monkeypatch.setattr(app, "switch", lambda p, m, t: switched.append((p, m, t)))
    next(a for a in router.actions() if a.text() == "Other models…").trigger()
    picker = app.tool_menus.pickers[-1]
    assert picker.list.count() == len(ROUTER_MODELS)
    qtbot.keyClicks(picker.search, "model-29")
    assert picker.count.text() == f"10 of {len(ROUTER_MODELS)} models"
    picker.list.setCurrentRow(next(r for r in range(picker.list.count()) if not picker.list.item(r).isHidden()
                                   and picker.list.item(r).text() == "vendor/model-293"))
    picker.accept()
    assert switched == [("router", "vendor/model-293", None)]


def test_after_the_wizard_every_tool_is_checked_and_the_finish_message_says_where_switchover_lives(
        qapp: Any, qtbot: Any, isolated_home: Path, servers: dict[str, ProviderServer]) -> None:
    """First launch: the store is empty when the app starts (the wizard opens); what the wizard saves is
    checked at once, so the tray never shows a blocked endpoint as fine (finding 3)."""
    from PySide6.QtWidgets import QMessageBox

    from switchover.ui.app import AppController
    from switchover.ui.wizard.hook import finish_message

    ctl = AppController(qapp, use_tray=True)
    try:
        with qtbot.waitSignal(ctl.state.store_changed, timeout=10000):
            ctl.start(show_window=False)
        qtbot.waitUntil(lambda: ctl.setup_wizard.wizard is not None, timeout=5000)  # first launch: the wizard
        configure(isolated_home, servers)  # what Finish saved (providers) and what the tools use
        ctl.setup_wizard._applied([])  # the wizard's `applied` signal, as Finish emits it
        qtbot.waitUntil(lambda: {"deepseek/anthropic", "openai/openai-responses"} <= set(ctl.health.latest),
                        timeout=15000)
        qtbot.waitUntil(lambda: ctl.tray.state is TrayState.DOWN, timeout=10000)
        tip = ctl.tray.icon.toolTip()
        assert "not checked" not in tip and "Codex CLI — OpenAI · gpt-5 · blocked in your region" in tip
        box = ctl.setup_wizard.notes_box
        assert isinstance(box, QMessageBox) and "system tray" in box.text() and "near the clock" in box.text()
        box.close()
    finally:
        if ctl.setup_wizard.wizard is not None:
            ctl.setup_wizard.wizard.reject()
        close_app(qapp, ctl)
    assert "this window" in finish_message(False, False, 5) and "every 5 minutes" in finish_message(True, True, 5)
