"""The app opens the wizard on first launch only, and again from the main window's "Set up again…" entry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from switchover.core.catalog import default_catalog
from switchover.core.store import Store, load_store, save_store
from switchover.services.gateway_routes import PORT_ENV
from switchover.ui.wizard.hook import MENU_TEXT, SetupWizardHook
from tests.support.fixtures import provider_server
from tests.support.gateway import free_port
from tests.support.provider_server import ProviderServer
from tests.ui.wizard_support import (
    WAIT_MS,
    finish,
    go_next,
    make_world,
    services_for,
    start_servers,
    wait_idle,
    walk_to_cloud,
)

__all__ = ["provider_server"]


def test_first_launch_opens_the_wizard_once(qtbot: Any, controller: Any, isolated_home: Path,
                                            provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    hook = SetupWizardHook(controller, services_for(world))
    with qtbot.waitSignal(hook.opened, timeout=WAIT_MS) as opened:
        controller.state.reload()
    wizard = opened.args[0]
    assert wizard.isVisible() and hook.wizard is wizard
    qtbot.waitUntil(lambda: wizard.is_loaded, timeout=WAIT_MS)
    with qtbot.assertNotEmitted(hook.opened, wait=300):
        controller.state.reload()  # a later reload (e.g. after an edit) does not open another one
    window = controller.open_window()
    action = next(a for m in window.menuBar().actions() for a in m.menu().actions() if a.text() == MENU_TEXT)
    action.trigger()
    assert hook.wizard is wizard, "never two wizards at once"
    wizard.reject()
    qtbot.waitUntil(lambda: hook.wizard is None, timeout=WAIT_MS)
    with qtbot.waitSignal(hook.opened, timeout=WAIT_MS) as again:
        action.trigger()
    assert again.args[0] is not wizard
    again.args[0].reject()
    assert not load_store().providers, "cancelled: still nothing configured"


def test_a_configured_app_does_not_open_it(qtbot: Any, controller: Any, isolated_home: Path,
                                           provider_server: Callable[..., ProviderServer]) -> None:
    store = Store()
    store.add(default_catalog().get("deepseek").to_provider("deepseek"))
    save_store(store)
    world = make_world(isolated_home, start_servers(provider_server))
    hook = SetupWizardHook(controller, services_for(world))
    with qtbot.assertNotEmitted(hook.opened, wait=300), qtbot.waitSignal(controller.state.store_changed):
        controller.state.reload()
    assert hook.wizard is None


def test_finishing_reloads_the_app_and_reports_what_was_switched(
        qtbot: Any, controller: Any, isolated_home: Path, monkeypatch: Any,
        provider_server: Callable[..., ProviderServer]) -> None:
    port = free_port()
    monkeypatch.setenv(PORT_ENV, str(port))  # the recommended gateway, on a port of the test's own
    world = make_world(isolated_home, start_servers(provider_server))
    controller.open_window()
    hook = SetupWizardHook(controller, services_for(world))
    with qtbot.waitSignal(hook.opened, timeout=WAIT_MS) as opened:
        controller.state.reload()
    wizard = opened.args[0]
    qtbot.waitUntil(lambda: wizard.is_loaded, timeout=WAIT_MS)
    walk_to_cloud(qtbot, wizard)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    wizard.fallback_page.list.setCurrentRow(1)
    wizard.fallback_page.move_current(-1)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    wizard.finish_page.switch_box.setChecked(True)
    qtbot.waitUntil(lambda: not wizard.finish_page.previewing, timeout=WAIT_MS)
    with qtbot.waitSignal(controller.state.store_changed, timeout=WAIT_MS):
        finish(qtbot, wizard)
    assert "claude-code" in controller.state.store.chains, "the app sees the new setup"
    assert hook.notes_box.isVisible()
    assert wizard.draft.use_gateway, "recommended: ticked on a first run"
    assert ("What happened:\n\nClaude Code now goes through Switchover's gateway, which serves Ollama (local)"
            in hook.notes_box.text())
    settings = json.loads((isolated_home / ".claude" / "settings.json").read_text())
    assert settings["env"]["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{port}/claude-code"
    qtbot.waitUntil(lambda: controller.gateway.url == f"http://127.0.0.1:{port}", timeout=WAIT_MS)
    hook.notes_box.close()
    qtbot.waitUntil(lambda: hook.wizard is None, timeout=WAIT_MS)
