"""The tray menu, driven in-process: actions reach the app (checks run, failover mode is saved)."""

from __future__ import annotations

from typing import Any

import pytest

from switchover.core.store import load_store
from switchover.ui.icons import TrayState
from tests.ui.app_support import close_app


@pytest.fixture
def tray_controller(qapp: Any, qtbot: Any) -> Any:
    from switchover.ui.app import AppController

    ctl = AppController(qapp, use_tray=True)  # offscreen has no tray host; the object model still works
    with qtbot.waitSignal(ctl.state.store_changed, timeout=5000):
        ctl.state.reload()
    ctl.tray.show()
    yield ctl
    close_app(qapp, ctl)


def test_menu_rebuilds_with_current_failover_mode(tray_controller: Any, qtbot: Any) -> None:
    tray = tray_controller.tray
    tray.menu.aboutToShow.emit()
    auto = tray.find_action("Switch automatically")
    assert auto is not None and not auto.isChecked()
    assert tray.find_action("Suggest a switch").isChecked()  # the default
    with qtbot.waitSignal(tray_controller.state.store_changed, timeout=5000):
        auto.trigger()
    assert load_store().sections["failover"]["mode"] == "auto"  # the failover policy's own table
    assert "failover_mode" not in load_store().sections.get("app", {}), "no copy in the app's table"
    tray.menu.aboutToShow.emit()
    assert tray.find_action("Switch automatically").isChecked()


def test_tray_mode_is_the_effective_default_and_replaces_a_default_entry(tray_controller: Any, qtbot: Any) -> None:
    """`[failover.modes].default` wins over `mode` in the policy: the tray shows it, and choosing a mode
    removes it (else the choice would not take effect); per-tool modes stay."""
    from switchover.core.failover.settings import Mode, load_settings
    from switchover.core.store import edit_store

    with edit_store() as store:
        store.section("app")["failover_mode"] = "auto"  # a stale copy from older versions: ignored
        store.section("failover").update({"mode": "auto", "modes": {"default": "off", "codex": "auto"}})
    with qtbot.waitSignal(tray_controller.state.store_changed, timeout=5000):
        tray_controller.state.reload()
    tray = tray_controller.tray
    tray.menu.aboutToShow.emit()
    assert tray.find_action("Off").isChecked()
    with qtbot.waitSignal(tray_controller.state.store_changed, timeout=5000):
        tray.find_action("Suggest a switch").trigger()
    failover = load_store().sections["failover"]
    assert failover["mode"] == "suggest" and failover["modes"] == {"codex": "auto"}
    settings = load_settings(load_store())
    assert settings.mode_for("claude-code") is Mode.SUGGEST and settings.mode_for("codex") is Mode.AUTO
    tray.menu.aboutToShow.emit()
    assert tray.find_action("Suggest a switch").isChecked()


def test_check_now_from_tray_updates_icon_state(tray_controller: Any, qtbot: Any) -> None:
    from switchover.core.providers import Credential, Endpoint, Protocol, Provider
    from switchover.core.store import edit_store
    from tests.support.provider_server import ProviderServer

    tray = tray_controller.tray
    assert tray.state is TrayState.UNKNOWN
    with ProviderServer() as server:
        server.play("anthropic", "overloaded")
        with edit_store() as store:
            store.add(Provider("busy", (Endpoint.make(Protocol.ANTHROPIC, server.url),), ("m",),
                               credential=Credential.none()))
        with qtbot.waitSignal(tray_controller.state.store_changed, timeout=5000):
            tray_controller.state.reload()
        tray.menu.aboutToShow.emit()
        with qtbot.waitSignal(tray_controller.health.check_finished, timeout=10000):
            tray.find_action("Check now").trigger()
    assert tray.state is TrayState.DEGRADED
    assert "Not used by a tool, failing: busy — provider overloaded" in tray.icon.toolTip()


def test_open_action_and_close_only_hides(tray_controller: Any) -> None:
    tray = tray_controller.tray
    tray.menu.aboutToShow.emit()
    tray.find_action("Open Switchover…").trigger()
    assert tray_controller.window is not None and tray_controller.window.isVisible()
    # closing the window with a tray only hides it
    tray_controller.window.close()
    assert not tray_controller.window.isVisible()


def test_per_tool_failover_modes_saved_to_failover_table(controller: Any, qtbot: Any) -> None:
    from switchover.core.store import edit_store

    with edit_store() as store:
        store.section("app")["failover_mode"] = "off"  # a stale copy from older versions
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    page = controller.open_window("settings").pages["settings"]
    assert page.failover_combo.currentData() == "suggest", "read from [failover] (default), not the stale copy"
    combo = page.tool_mode_combos["codex"]
    combo.setCurrentIndex(combo.findData("off"))
    page.failover_combo.setCurrentIndex(page.failover_combo.findData("auto"))
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        page.save_button.click()
    failover = load_store().sections["failover"]
    assert failover["mode"] == "auto"
    assert failover["modes"] == {"codex": "off"}
    assert "failover_mode" not in load_store().sections["app"], "the stale copy is gone after a save"
    from switchover.core.failover.settings import Mode, load_settings

    settings = load_settings(load_store())
    assert settings.mode_for("codex") is Mode.OFF
    assert settings.mode_for("claude-code") is Mode.AUTO


def test_tray_icon_follows_palette_changes_while_running(tray_controller: Any, qapp: Any, qtbot: Any) -> None:
    """Light panel -> dark panel and back: the icon switches to the matching variant without a restart."""
    from PySide6.QtGui import QColor, QPalette

    from switchover.ui.icons import panel_is_dark, tray_icon

    tray = tray_controller.tray
    original = qapp.palette()
    light, dark = QPalette(original), QPalette(original)
    light.setColor(QPalette.ColorRole.Window, QColor("#f5f5f5"))
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    try:
        qapp.setPalette(light)
        qtbot.waitUntil(lambda: tray.dark_panel is False, timeout=2000)
        tray.set_state(TrayState.DEGRADED, "x")
        assert tray.icon.icon().cacheKey() == tray_icon(TrayState.DEGRADED, False).cacheKey()
        qapp.setPalette(dark)
        qtbot.waitUntil(lambda: tray.dark_panel is True, timeout=2000)
        assert panel_is_dark()
        assert tray.icon.icon().cacheKey() == tray_icon(TrayState.DEGRADED, True).cacheKey()
        assert tray.state is TrayState.DEGRADED, "only the variant changes, not the state"
        qapp.setPalette(light)
        qtbot.waitUntil(lambda: tray.dark_panel is False, timeout=2000)
        assert tray.icon.icon().cacheKey() == tray_icon(TrayState.DEGRADED, False).cacheKey()
    finally:
        qapp.setPalette(original)
