"""Keyboard use (issue 14, finding 6): Tab walks every page and dialog without getting stuck in a table and
reaches every button; pages, "check now" and "undo" have shortcuts; buttons have mnemonics."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QTableView,
    QWidget,
)

from switchover.core.catalog import default_catalog
from tests.support.fixtures import provider_server
from tests.ui.wizard_support import tasks

__all__ = ["provider_server", "tasks"]

MAX_TABS = 80


def focus_walk(qtbot: Any, start: QWidget, within: QWidget) -> list[QWidget]:
    """Press Tab from `start` until focus comes back round (or MAX_TABS); the widgets focused on the way."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is start, timeout=2000)
    seen: list[QWidget] = []
    for _ in range(MAX_TABS):
        current = QApplication.focusWidget()
        assert current is not None
        qtbot.keyClick(current, Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        assert focused is not None
        if focused is start:
            return seen
        if within.isAncestorOf(focused) or focused is within:
            seen.append(focused)
    raise AssertionError(f"Tab never came back round to {start!r}: {[type(w).__name__ for w in seen[-10:]]}")


def reachable(widget: QWidget) -> bool:
    return widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus


def buttons_of(page: QWidget) -> list[QAbstractButton]:
    return [b for b in page.findChildren(QAbstractButton) if reachable(b) and b.objectName() != "qt_toolbar_ext_button"]


@pytest.fixture
def window(controller: Any, qtbot: Any) -> Any:
    window = controller.open_window()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window


def test_tab_walks_every_page_through_its_tables_to_every_button(window: Any, qtbot: Any) -> None:
    assert window.pages, "the window has pages"
    for key, page in window.pages.items():
        window.show_page(key)
        qtbot.waitUntil(lambda page=page: page.isVisible(), timeout=2000)
        walked = focus_walk(qtbot, window.sidebar, page)
        tables = [t for t in page.findChildren(QTableView) if reachable(t)]
        for table in tables:
            assert table in walked, f"{key}: Tab never reached the table"
            assert walked.count(table) == 1, f"{key}: Tab moves between cells instead of leaving the table"
        missing = [b.text() for b in buttons_of(page) if b not in walked]
        assert not missing, f"{key}: Tab never reaches {missing}"


def test_page_shortcuts_and_actions(window: Any, controller: Any, qtbot: Any, monkeypatch: Any) -> None:
    keys = list(window.pages)
    for number, key in enumerate(keys, 1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == key, f"Ctrl+{number}"
    qtbot.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == keys[0]  # wraps round
    called: list[str] = []
    monkeypatch.setattr(controller.health, "check_now", lambda **_kw: called.append("check"))
    monkeypatch.setattr(controller.tools, "undo", lambda *_a, **_kw: called.append("undo"))
    check = window.findChild(QAction, "check_now_action")
    undo = window.findChild(QAction, "undo_action")
    assert check.shortcut().toString() == "F5" and undo.shortcut().toString() == "Ctrl+Z"
    check.trigger()
    undo.setEnabled(True)
    undo.trigger()
    assert called == ["check", "undo"]


def test_every_page_button_has_a_mnemonic_and_no_page_repeats_one(window: Any) -> None:
    for key, page in window.pages.items():
        letters: dict[str, str] = {}
        for button in page.findChildren(QAbstractButton):
            if not button.text() or isinstance(button.parent(), QDialogButtonBox):
                continue
            text = button.text()
            assert "&" in text, f"{key}: {text!r} has no mnemonic"
            letter = text[text.index("&") + 1].lower()
            assert letter not in letters, f"{key}: {text!r} and {letters[letter]!r} share Alt+{letter}"
            letters[letter] = text


def walk_dialog(qtbot: Any, dialog: QDialog) -> list[QWidget]:
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    first = next(w for w in dialog.findChildren(QWidget) if reachable(w))
    walked = focus_walk(qtbot, first, dialog)
    for table in [t for t in dialog.findChildren(QTableView) if reachable(t)]:
        assert table in walked
    missing = [b.text() for b in buttons_of(dialog) if b not in walked and b is not first]
    assert not missing, f"{dialog.windowTitle()}: Tab never reaches {missing}"
    return walked


def test_provider_dialog_focus_walk(qtbot: Any) -> None:
    from switchover.ui.provider_dialog import ProviderDialog

    dialog = ProviderDialog(default_catalog())
    qtbot.addWidget(dialog)
    walked = walk_dialog(qtbot, dialog)
    assert dialog.key_edit in walked and dialog.name_edit in walked


def test_switch_preview_focus_walk(qtbot: Any) -> None:
    from switchover.core.providers import Credential, Endpoint, Protocol, Provider
    from switchover.services.switching import make_engine, switch_request
    from switchover.ui.switch_dialog import SwitchPreviewDialog

    local = Provider("laptop", (Endpoint.make(Protocol.ANTHROPIC, "http://127.0.0.1:11434"),), ("qwen3-coder",),
                     credential=Credential.none())
    preview = make_engine().use(switch_request(local, "qwen3-coder"), ["claude-code"], dry_run=True, want_diff=True)
    dialog = SwitchPreviewDialog(preview, "Laptop")
    qtbot.addWidget(dialog)
    walk_dialog(qtbot, dialog)


def test_wizard_focus_walk_on_every_page(qtbot: Any, tasks: Any, isolated_home: Any, provider_server: Any) -> None:
    """Each wizard page: Tab reaches every input and button (lists and trees included) and comes round."""
    from PySide6.QtWidgets import QWizard

    from tests.ui.wizard_support import go_next, make_world, new_wizard, services_for, start_servers, wait_idle

    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world, can_switch=True))
    wizard.activateWindow()
    for _page in range(6):
        wait_idle(qtbot, wizard)
        page = wizard.currentPage()
        start = wizard.button(QWizard.WizardButton.CancelButton)
        walked = focus_walk(qtbot, start, wizard)
        inputs = [w for w in page.findChildren(QWidget) if reachable(w) and w.focusPolicy() & Qt.FocusPolicy.StrongFocus
                  and not isinstance(w.parent(), QDialogButtonBox)]
        missing = [f"{type(w).__name__}({w.objectName() or getattr(w, 'text', lambda: '')()})" for w in inputs
                   if w not in walked and not w.isAncestorOf(QApplication.focusWidget() or w)]
        assert not missing, f"{type(page).__name__}: Tab never reaches {missing}"
        if page is wizard.finish_page:
            break
        if page is wizard.cloud_page:
            wizard.cloud_page.select("deepseek", False)
        go_next(qtbot, wizard)
    wizard.reject()


def test_other_models_dialog_focus_walk_and_keys(qtbot: Any) -> None:
    from switchover.ui.model_picker import ModelPicker

    picker = ModelPicker("Router: other models", [f"vendor/model-{i}" for i in range(50)], "vendor/model-7")
    qtbot.addWidget(picker)
    walked = walk_dialog(qtbot, picker)
    assert picker.list in walked  # from the search box (where the walk starts) through the list to the buttons
    picker.search.setFocus()
    qtbot.keyClicks(picker.search, "model-4")
    assert picker.chosen() == "vendor/model-4"  # the first match is selected as you type
    with qtbot.waitSignal(picker.accepted, timeout=2000):
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)  # Enter picks it
