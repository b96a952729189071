"""Pages tell the truth in words and in full (issue 14, finding 8): the Tools page's state and notes (conflicts
with file and line) are readable without scrolling, the Health page's reasons wrap, a status line does not
outlive an undo, and empty pages say what to do."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import edit_store
from switchover.ui.kit.palette import Tone, colour
from tests.support.provider_server import ProviderServer


def test_empty_pages_say_what_to_do(controller: Any, qtbot: Any) -> None:
    window = controller.open_window()
    for key, words in (("providers", "Add…"), ("health", "No providers to check"),
                       ("history", "Nothing has been switched yet"), ("tools", "No coding tools found")):
        page = window.show_page(key)
        qtbot.waitUntil(lambda page=page: page.body.empty, timeout=5000)
        assert words in page.body.message.text() and page.body.message.isVisible(), key
        assert not page.table.isVisible()


def test_tools_page_states_and_notes_in_full_and_undo_clears_the_status(
        controller: Any, qtbot: Any, isolated_home: Path) -> None:
    with ProviderServer() as blocked, ProviderServer() as good:
        blocked.play("anthropic", "region_blocked")
        good.play("anthropic", "ok", ("m1",))
        with edit_store() as store:
            store.add(Provider("far", (Endpoint.make(Protocol.ANTHROPIC, blocked.url),), ("m0",),
                               credential=Credential.none(), label="Far"))
            store.add(Provider("near", (Endpoint.make(Protocol.ANTHROPIC, good.url),), ("m1",),
                               credential=Credential.none(), label="Near"))
        settings = isolated_home / ".claude" / "settings.json"
        settings.parent.mkdir()
        settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": blocked.url, "ANTHROPIC_MODEL": "m0"}}))
        (isolated_home / ".bashrc").write_text("# keys\nexport ANTHROPIC_API_KEY=sk-exported-0123456789abcdef\n")
        with qtbot.waitSignal(controller.state.store_changed, timeout=10000):
            controller.state.reload()
        with qtbot.waitSignal(controller.tools.tools_loaded, timeout=10000):
            pass  # the tools read with this store (one from the app's start may arrive first otherwise)
        window = controller.open_window("tools")
        window.resize(980, 620)
        page = window.pages["tools"]
        with qtbot.waitSignal(controller.health.check_finished, timeout=15000):
            controller.health.check_now()
        qtbot.waitUntil(lambda: bool(controller.status.conflicts), timeout=5000)
        row = page.model.row_of(lambda r: r.tool == "claude-code")
        assert row is not None and not page.body.empty
        state = page.model.index(row, 2)
        assert state.data() == "Blocked in your region"
        assert state.data(Qt.ItemDataRole.ForegroundRole) == colour(Tone.BAD)
        notes = page.model.index(row, 4).data()
        assert "$ANTHROPIC_API_KEY in ~/.bashrc line 2" in notes
        header = page.table.horizontalHeader()
        assert header.sectionResizeMode(4) is QHeaderView.ResizeMode.Stretch and page.table.wordWrap()
        qtbot.waitUntil(page.table.isVisible, timeout=2000)
        assert page.table.columnViewportPosition(4) + page.table.columnWidth(4) <= page.table.viewport().width()
        assert page.table.columnViewportPosition(4) < page.table.viewport().width() - 150, "Notes is on screen"

        with qtbot.waitSignal(controller.tools.verified, timeout=15000):
            controller.tools.switch(controller.state.store.providers["near"], "m1", ["claude-code"])
        qtbot.waitUntil(lambda: "Switched to near" in page.status_label.text(), timeout=5000)
        with qtbot.waitSignal(controller.tools.undone, timeout=10000):
            controller.undo()
        assert page.status_label.text().startswith("Undone:"), "no stale 'Switched to' line after the undo"


def test_health_reasons_wrap_and_show_in_full(controller: Any, qtbot: Any) -> None:
    with ProviderServer() as blocked:
        blocked.play("openai-chat", "region_blocked")
        with edit_store() as store:
            store.add(Provider("far", (Endpoint.make(Protocol.OPENAI_CHAT, blocked.url + "/v1"),), ("m",),
                               credential=Credential.none()))
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            controller.state.reload()
        page = controller.open_window("health").pages["health"]
        with qtbot.waitSignal(controller.health.check_finished, timeout=15000):
            controller.health.check_now()
        reason = page.model.index(0, 5)
        full = controller.health.latest["far/openai-chat"].reason
        assert reason.data() == full and full in html.unescape(reason.data(Qt.ItemDataRole.ToolTipRole))
        assert page.table.horizontalHeader().sectionResizeMode(5) is QHeaderView.ResizeMode.Stretch
        assert page.table.wordWrap()
