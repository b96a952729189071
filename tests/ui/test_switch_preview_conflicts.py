"""The switch preview lists the provider variables set outside the tools' configs (issue 14, "Conflicts"):
the ones that win over the switch as "will not take effect", with the file and line and what to do; the ones
only read alongside as notes. Real shell start-up files in the test home, real tool configs, a real server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import edit_store
from tests.support.provider_server import ProviderServer
from tests.ui.test_tools_history import reload


def test_the_preview_lists_what_would_keep_the_switch_from_taking_effect(
        controller: Any, qtbot: Any, isolated_home: Path) -> None:
    with ProviderServer() as server:
        server.play("anthropic", "ok", ("m1",)).play("openai-chat", "ok", ("m1",))
        with edit_store() as store:
            store.add(Provider("lab", (Endpoint.make(Protocol.ANTHROPIC, server.url),
                                       Endpoint.make(Protocol.OPENAI_CHAT, server.url + "/v1")), ("m1",),
                               credential=Credential.none(), label="Lab"))
        claude = isolated_home / ".claude" / "settings.json"
        claude.parent.mkdir()
        claude.write_text(json.dumps({"theme": "dark"}))
        qwen = isolated_home / ".qwen" / "settings.json"
        qwen.parent.mkdir()
        qwen.write_text("{}\n")
        # Qwen Code's environment shortcuts win over its settings; Claude Code's settings win over the shell.
        (isolated_home / ".bashrc").write_text("alias ll='ls -l'\nexport OPENAI_BASE_URL=http://127.0.0.1:9/v1\n")
        (isolated_home / ".profile").write_text("# keys\n\nexport ANTHROPIC_API_KEY=sk-exported-0123456789abcdef\n")
        reload(controller, qtbot)
        qtbot.waitUntil(lambda: {c.tool for c in controller.status.conflicts} >= {"qwen-code", "claude-code"},
                        timeout=10000)
        page = controller.open_window("tools").pages["tools"]
        page.select_choice("lab", "m1")
        qtbot.mouseClick(page.switch_all_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.preview_dialog is not None or "<span" in page.status_label.text(),
                        timeout=10000)
        dialog = page.preview_dialog
        assert dialog is not None, page.status_label.text()
        planned = {o.tool for o in dialog.preview.outcomes if o.status == "planned"}
        assert {"qwen-code", "claude-code"} <= planned

        assert not dialog.warnings.isHidden()
        warnings = dialog.warnings.text().split("\n")
        qwen_line = next(w for w in warnings if "$OPENAI_BASE_URL" in w)
        assert qwen_line.startswith("⚠ Qwen Code: will not take effect: $OPENAI_BASE_URL is set in ~/.bashrc line 2")
        assert "remove that line and open a new terminal" in qwen_line
        # Said once, where it is set (not a second, placeless line from the tool's own in-effect check).
        assert sum("OPENAI_BASE_URL" in w for w in warnings) == 1, warnings
        assert not any("ANTHROPIC_API_KEY" in w for w in warnings), "read alongside: no reason to fail"

        assert not dialog.notes.isHidden()
        notes = dialog.notes.text()
        assert "Claude Code: $ANTHROPIC_API_KEY is exported in ~/.profile line 3" in notes
        assert "sk-exported" not in notes + dialog.warnings.text(), "values are never shown"
        assert dialog.apply_button.isEnabled(), "the user may still switch"

        # Re-planned (the overrides checkbox) keeps the list.
        dialog.show_preview(dialog.preview)
        assert "$OPENAI_BASE_URL is set in ~/.bashrc line 2" in dialog.warnings.text()
        dialog.reject()


def test_a_preview_without_conflicts_shows_no_warning(controller: Any, qtbot: Any, isolated_home: Path) -> None:
    with ProviderServer() as server:
        server.play("anthropic", "ok", ("m1",))
        with edit_store() as store:
            store.add(Provider("lab", (Endpoint.make(Protocol.ANTHROPIC, server.url),), ("m1",),
                               credential=Credential.none(), label="Lab"))
        claude = isolated_home / ".claude" / "settings.json"
        claude.parent.mkdir()
        claude.write_text(json.dumps({"theme": "dark"}))
        reload(controller, qtbot)
        page = controller.open_window("tools").pages["tools"]
        page.select_tool("claude-code")
        page.select_choice("lab", "m1")
        qtbot.mouseClick(page.switch_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.preview_dialog is not None, timeout=10000)
        dialog = page.preview_dialog
        assert dialog.warnings.isHidden() and dialog.warnings.text() == ""
        assert " is exported in " not in dialog.notes.text() and " is set in " not in dialog.notes.text()
        dialog.reject()
