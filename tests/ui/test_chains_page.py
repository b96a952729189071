"""Fallback chains in the main window (issue 14, finding 5): seen with health, reordered (drag or keys), added
to and removed from, per tool or the default; a provider added later is offered a place in the default order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry, edit_store, load_store
from tests.support.provider_server import ProviderServer


def provider(name: str, url: str, *models: str) -> Provider:
    return Provider(name, (Endpoint.make(Protocol.ANTHROPIC, url),), models, credential=Credential.none(),
                    label=name.title())


def test_view_reorder_add_remove_and_per_tool_orders(controller: Any, qtbot: Any, isolated_home: Path) -> None:
    with ProviderServer() as up:
        up.play("anthropic", "ok", ("a1",))
        with edit_store() as store:
            for p in (provider("alpha", up.url, "a1"), provider("bravo", "http://127.0.0.1:9", "b1"),
                      provider("charlie", "http://127.0.0.1:9", "c1", "c2")):
                store.add(p)
            store.chains["default"] = [ChainEntry("alpha", "a1"), ChainEntry("bravo", "b1")]
        claude = isolated_home / ".claude" / "settings.json"
        claude.parent.mkdir()
        claude.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": up.url}}))
        # The store first, then the tools read with it (a tools_loaded from the app's start may still arrive).
        with qtbot.waitSignal(controller.state.store_changed, timeout=10000):
            controller.state.reload()
        with qtbot.waitSignal(controller.tools.tools_loaded, timeout=10000):
            pass
        with qtbot.waitSignal(controller.health.check_finished, timeout=15000):
            controller.health.check_now()
        page = controller.open_window("chains").pages["chains"]
        page.refresh()
        texts = [page.list.item(r).text() for r in range(page.list.count())]
        assert texts[0] == "1. Alpha · a1 — Works" and texts[1].startswith("2. Bravo · b1 — Cannot reach")

        def saved_default() -> list[str]:
            return [str(e) for e in load_store().chains.get("default", [])]

        assert page.list.dragDropMode() is page.list.DragDropMode.InternalMove
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            page.list.model().moveRow(QModelIndex(), 1, QModelIndex(), 0)  # what a drag does to the model
        assert saved_default() == ["bravo/b1", "alpha/a1"]
        page.list.setCurrentRow(1)
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            page.up_button.click()
        assert saved_default() == ["alpha/a1", "bravo/b1"]
        choices = [page.add_combo.itemText(i) for i in range(page.add_combo.count())]
        assert choices == ["Charlie · c1", "Charlie · c2"]  # what is not in the order yet
        page.add_combo.setCurrentIndex(1)
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            page.add_button.click()
        assert saved_default() == ["alpha/a1", "bravo/b1", "charlie/c2"]
        page.list.setCurrentRow(1)
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            page.remove_button.click()
        assert saved_default() == ["alpha/a1", "charlie/c2"]

        page.chain_combo.setCurrentIndex(page.chain_combo.findData("claude-code"))
        assert "uses the default one" in page.source.text() and page.list.count() == 2
        page.list.setCurrentRow(1)
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            page.up_button.click()
        assert [str(e) for e in load_store().chains["claude-code"]] == ["charlie/c2", "alpha/a1"]
        assert saved_default() == ["alpha/a1", "charlie/c2"], "the default order is untouched"
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            page.default_button.click()
        assert "claude-code" not in load_store().chains


def test_a_new_provider_is_offered_a_place_in_the_default_order(controller: Any, qtbot: Any) -> None:
    with edit_store() as store:
        store.add(provider("alpha", "http://127.0.0.1:9", "a1"))
        store.chains["default"] = [ChainEntry("alpha", "a1")]
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    page = controller.open_window("providers").pages["providers"]
    dialog = page.make_dialog()
    assert dialog.chain_check.isChecked() and not dialog.chain_check.isHidden()
    dialog.name_edit.setText("laptop")
    dialog.url_edits[Protocol.ANTHROPIC].setText("http://127.0.0.1:11434")
    dialog.models_edit.setText("qwen3-coder")
    dialog.cred_none.setChecked(True)
    page.run_dialog(dialog)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert [str(e) for e in load_store().chains["default"]] == ["alpha/a1", "laptop/qwen3-coder"]
    qtbot.waitUntil(lambda: "number 2 in the fallback order" in page.status_label.text(), timeout=5000)
    edit = page.make_dialog(load_store().get("laptop"))
    assert edit.chain_check.isHidden(), "only new providers are offered a place"
