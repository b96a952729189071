"""Tools and History pages, tray switching: real target configs in the isolated home change, and undo restores.

Claude Code is "installed" by its config dir existing (~/.claude); the engine writes its settings.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import edit_store
from tests.support.provider_server import ProviderServer
from tests.ui.app_support import close_app

USER_SETTINGS = {"theme": "dark", "permissions": {"allow": ["Bash(ls:*)"]}}


@pytest.fixture
def claude_home(isolated_home: Path) -> Path:
    settings = isolated_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps(USER_SETTINGS, indent=2) + "\n")
    return settings


@pytest.fixture
def local_provider() -> Iterator[ProviderServer]:
    server = ProviderServer().start().play("anthropic", "ok", models=("qwen3-coder",))
    with edit_store() as store:
        store.add(Provider("lab", (Endpoint.make(Protocol.ANTHROPIC, server.url),), ("qwen3-coder",),
                           credential=Credential.none(), label="Lab server"))
    yield server
    server.close()


def reload(controller: Any, qtbot: Any) -> None:
    """Reload the store, then wait for the tools read that the new store triggers (not an earlier one)."""
    events: list[tuple[str, object]] = []
    controller.state.store_changed.connect(lambda: events.append(("store", None)))
    controller.tools.tools_loaded.connect(lambda rows: events.append(("tools", rows)))
    controller.tools.failed.connect(lambda message: events.append(("failed", message)))
    controller.state.reload()

    def after_store() -> list[tuple[str, object]]:
        kinds = [kind for kind, _ in events]
        return events[kinds.index("store") + 1:] if "store" in kinds else []

    qtbot.waitUntil(lambda: bool(after_store()), timeout=20000)
    kind, value = after_store()[0]
    assert kind == "tools", value


def claude_row(controller: Any) -> Any:
    return next(r for r in controller.tools.rows if r.tool == "claude-code")


def test_switch_from_tools_page_with_preview_then_undo_from_history(
    controller: Any, qtbot: Any, claude_home: Path, local_provider: ProviderServer
) -> None:
    reload(controller, qtbot)
    assert claude_row(controller).installed
    window = controller.open_window("tools")
    page = window.pages["tools"]
    page.select_tool("claude-code")
    page.select_choice("lab", "qwen3-coder")
    assert page.chosen() == (controller.state.store.providers["lab"], "qwen3-coder")
    assert page.switch_button.isEnabled()
    qtbot.mouseClick(page.switch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.preview_dialog is not None or "<span" in page.status_label.text(), timeout=10000)
    assert page.preview_dialog is not None, page.status_label.text()
    dialog = page.preview_dialog
    assert "ANTHROPIC_BASE_URL" in dialog.diff.toPlainText()
    assert local_provider.url in dialog.diff.toPlainText()
    assert json.loads(claude_home.read_text()) == USER_SETTINGS  # a preview writes nothing

    with qtbot.waitSignal(controller.tools.switched, timeout=10000):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    written = json.loads(claude_home.read_text())
    assert written["env"]["ANTHROPIC_BASE_URL"] == local_provider.url
    assert written["env"]["ANTHROPIC_MODEL"] == "qwen3-coder"
    assert written["theme"] == "dark" and written["permissions"] == USER_SETTINGS["permissions"]
    qtbot.waitUntil(lambda: claude_row(controller).provider is not None, timeout=10000)
    assert "Lab server · qwen3-coder" in page.model.index(
        [r.tool for r in page.model.rows()].index("claude-code"), 1).data()

    history = window.show_page("history")
    qtbot.waitUntil(lambda: history.model.rowCount() >= 1 and history.undo_button.isEnabled(), timeout=10000)
    assert history.model.index(0, 1).data() == "Switch"
    assert "lab · qwen3-coder" in history.model.index(0, 3).data()
    with qtbot.waitSignal(controller.tools.undone, timeout=10000):
        qtbot.mouseClick(history.undo_button, Qt.MouseButton.LeftButton)
    assert json.loads(claude_home.read_text()) == USER_SETTINGS
    qtbot.waitUntil(lambda: history.model.rowCount() == 2, timeout=10000)
    assert history.model.index(0, 1).data() == "Undo"
    assert not history.undo_button.isEnabled()


def test_project_override_is_warned(controller: Any, qtbot: Any, claude_home: Path, tmp_path: Path,
                                    local_provider: ProviderServer) -> None:
    project = tmp_path / ".claude" / "settings.json"  # the test's cwd is tmp_path
    project.parent.mkdir()
    project.write_text("{}\n")
    reload(controller, qtbot)
    page = controller.open_window("tools").pages["tools"]
    row = [r.tool for r in page.model.rows()].index("claude-code")
    assert "override" in page.model.index(row, 4).data()


def test_a_tool_that_uses_something_else_says_what_and_where(controller: Any, qtbot: Any, claude_home: Path,
                                                             tmp_path: Path, local_provider: ProviderServer) -> None:
    """Issue 15: the row shows what Claude Code really uses and which file says so."""
    project = tmp_path / ".claude" / "settings.json"  # the test's cwd is tmp_path
    project.parent.mkdir()
    project.write_text('{"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}}\n')
    reload(controller, qtbot)
    page = controller.open_window("tools").pages["tools"]
    row = next(r for r in page.model.rows() if r.tool == "claude-code")
    assert row.base_url == "http://127.0.0.1:9"
    notes = page.model.notes(row, full=True)
    assert "⚠ it uses something else: this project's .claude/settings.json sets the endpoint" in notes
    assert f"({project}: env.ANTHROPIC_BASE_URL)" in notes


def test_switch_from_tray_menu(qapp: Any, qtbot: Any, claude_home: Path, local_provider: ProviderServer) -> None:
    from switchover.ui.app import AppController

    controller = AppController(qapp, use_tray=True)
    try:
        reload(controller, qtbot)
        with qtbot.waitSignal(controller.health.check_finished, timeout=10000):
            controller.health.check_now()
        tray = controller.tray
        tray.menu.aboutToShow.emit()
        tool_menu = next(a.menu() for a in tray.menu.actions() if a.text().startswith("Claude Code — "))
        assert isinstance(tool_menu, QMenu)
        lab = next(a.menu() for a in tool_menu.actions() if a.text().startswith("Lab server · Works"))
        assert isinstance(lab, QMenu)  # one submenu per provider, its health beside it
        choice = next(a for a in lab.actions() if a.text() == "qwen3-coder")
        assert choice.isEnabled()
        with qtbot.waitSignal(controller.tools.switched, timeout=10000):
            choice.trigger()
        assert json.loads(claude_home.read_text())["env"]["ANTHROPIC_BASE_URL"] == local_provider.url
        qtbot.waitUntil(lambda: claude_row(controller).provider is not None, timeout=10000)
        assert "Claude Code — Lab server · qwen3-coder" in tray.icon.toolTip()
        qtbot.waitUntil(lambda: tray.can_undo, timeout=10000)
        tray.menu.aboutToShow.emit()
        with qtbot.waitSignal(controller.tools.undone, timeout=10000):
            tray.find_action("Undo last switch").trigger()
        assert json.loads(claude_home.read_text()) == USER_SETTINGS
    finally:
        close_app(qapp, controller)
