"""Cline, Kilo Code and Factory Droid appear in the wizard's "Your tools" page and in the tray once detected.

Neither surface has a list of its own: both enumerate the targets registry, so a new target shows up by
being registered. These tests keep it that way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from switchover.core.switching.contract import ToolEnv
from tests.support.provider_server import ProviderServer
from tests.ui.app_support import close_app
from tests.ui.test_tools_history import reload
from tests.ui.wizard_support import (
    go_next,
    install_sample,
    make_world,
    new_wizard,
    services_for,
    start_servers,
    tasks,
    tree_rows,
    wait_idle,
)

__all__ = ["tasks"]  # the wizard's task-manager fixture

NEW_TOOLS = {"Cline CLI": "cline", "Kilo Code CLI": "kilo-code", "Factory Droid": "factory-droid"}


def _install_new_tools(home: Path) -> None:
    install_sample("cline_providers.json", home / ".cline" / "data" / "settings" / "providers.json")
    install_sample("kilo.jsonc", home / ".config" / "kilo" / "kilo.jsonc")
    install_sample("droid_settings.json", home / ".factory" / "settings.json")


def test_wizard_tools_page_lists_the_new_tools_when_detected(
    qtbot: Any, tasks: Any, isolated_home: Path, provider_server: Callable[..., ProviderServer]
) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    _install_new_tools(isolated_home)
    wizard = new_wizard(qtbot, tasks, services_for(world))
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    rows = tree_rows(wizard.tools_page.tree)
    assert rows["Cline CLI"][1:] == ["yes", "anthropic/claude-sonnet-4.5 (its built-in provider)"]
    assert rows["Kilo Code CLI"][1:] == ["yes", "anthropic/claude-sonnet-4.5 (its built-in provider)"]
    assert rows["Factory Droid"][1:] == ["yes", "qwen3-coder:30b at http://127.0.0.1:11434/v1"]
    for tool in NEW_TOOLS.values():
        assert tool in wizard.draft.tools


def test_wizard_tools_page_shows_them_as_not_found_in_an_empty_home(
    qtbot: Any, tasks: Any, isolated_home: Path, provider_server: Callable[..., ProviderServer]
) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    rows = tree_rows(wizard.tools_page.tree)
    assert [rows[label][1] for label in NEW_TOOLS] == ["no", "no", "no"]


def test_tray_lists_the_new_tools_when_detected(qapp: Any, qtbot: Any, isolated_home: Path) -> None:
    from switchover.ui.app import AppController

    _install_new_tools(isolated_home)
    assert ToolEnv.current().home == isolated_home
    controller = AppController(qapp, use_tray=True)
    try:
        reload(controller, qtbot)
        installed = {r.tool for r in controller.tools.rows if r.installed}
        assert set(NEW_TOOLS.values()) <= installed
        controller.tray.menu.aboutToShow.emit()
        titles = [a.text() for a in controller.tray.menu.actions()]
        for label in NEW_TOOLS:
            assert any(t.startswith(f"{label} — ") for t in titles), (label, titles)
    finally:
        close_app(qapp, controller)
