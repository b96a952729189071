"""After a switch the app verifies like `switchover use`: each tool's config is read back and an auth-tier check
probes exactly the endpoint and model it now reads; the verdict shows on the Tools page and in the notification.

Real servers on 127.0.0.1 (`provider_server`), a real Claude Code settings file in the isolated home.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.secrets import Keychain
from switchover.core.store import edit_store
from switchover.ui.switch_verdict import verdict_text
from tests.support.provider_server import ProviderServer
from tests.ui.app_support import close_app
from tests.ui.test_tools_history import USER_SETTINGS, claude_row, reload

MODEL = "good-model"
BAD_KEY = "sk-test-rejected-key-0001"


@pytest.fixture
def claude_home(isolated_home: Path) -> Path:
    settings = isolated_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps(USER_SETTINGS, indent=2) + "\n")
    return settings


def add_provider(name: str, server: ProviderServer, credential: Credential) -> None:
    with edit_store() as store:
        store.add(Provider(name, (Endpoint.make(Protocol.ANTHROPIC, server.url),), (MODEL,),
                           credential=credential, label=name.title()))


@pytest.fixture
def servers(provider_server: Callable[..., ProviderServer]) -> tuple[ProviderServer, ProviderServer]:
    healthy = provider_server().play("anthropic", "ok", models=(MODEL,))
    rejecting = provider_server().play("anthropic", "auth_failed", models=(MODEL,))
    add_provider("healthy", healthy, Credential.none())
    Keychain().set("rejecting", BAD_KEY)
    add_provider("rejecting", rejecting, Credential.keychain())
    return healthy, rejecting


@pytest.fixture
def tray_controller(qapp: Any, qtbot: Any) -> Iterator[Any]:
    from switchover.ui.app import AppController

    controller = AppController(qapp, use_tray=True)
    yield controller
    close_app(qapp, controller)


def record_notifications(controller: Any) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    real = controller.tray.notify

    def notify(title: str, text: str, on_click: Any = None) -> None:
        seen.append((title, text))
        real(title, text, on_click)

    controller.tray.notify = notify
    return seen


def claude_notes(page: Any) -> str:
    row = [r.tool for r in page.model.rows()].index("claude-code")
    return str(page.model.index(row, 4).data())


def test_tools_page_switch_to_a_healthy_server_shows_ok_with_latency(
    controller: Any, qtbot: Any, claude_home: Path, servers: tuple[ProviderServer, ProviderServer]
) -> None:
    healthy, _ = servers
    reload(controller, qtbot)
    page = controller.open_window("tools").pages["tools"]
    page.select_tool("claude-code")
    page.select_choice("healthy", MODEL)
    qtbot.mouseClick(page.switch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.preview_dialog is not None or "<span" in page.status_label.text(), timeout=10000)
    assert page.preview_dialog is not None, page.status_label.text()
    with qtbot.waitSignal(controller.tools.verified, timeout=20000) as verified:
        qtbot.mouseClick(page.preview_dialog.apply_button, Qt.MouseButton.LeftButton)

    written = json.loads(claude_home.read_text())
    assert written["env"]["ANTHROPIC_BASE_URL"] == healthy.url
    assert written["env"]["ANTHROPIC_MODEL"] == MODEL
    verification = verified.args[0]
    assert verification.ok and verification.source == "switch"
    [report] = verification.reports
    assert report.tool == "claude-code" and report.ok
    assert re.fullmatch(r"works, \d+ ms", report.health or ""), report.health
    assert healthy.requests, "the check reached the server the tool now reads"
    assert re.search(r"Claude Code: ✓ works, \d+ ms", page.status_label.text()), page.status_label.text()
    qtbot.waitUntil(lambda: claude_row(controller).provider is not None, timeout=10000)
    assert re.search(r"after switch: ✓ works, \d+ ms", claude_notes(page)), claude_notes(page)

    with qtbot.waitSignal(controller.tools.undone, timeout=10000):
        controller.undo()
    assert json.loads(claude_home.read_text()) == USER_SETTINGS
    qtbot.waitUntil(lambda: claude_row(controller).provider is None, timeout=10000)
    assert "after switch" not in claude_notes(page), "the verdict was about the config that was undone"


def test_tray_switch_to_a_server_rejecting_the_key_notifies_the_reason(
    tray_controller: Any, qtbot: Any, claude_home: Path, servers: tuple[ProviderServer, ProviderServer]
) -> None:
    _, rejecting = servers
    controller = tray_controller
    reload(controller, qtbot)
    seen = record_notifications(controller)
    with qtbot.waitSignal(controller.tools.verified, timeout=20000) as verified:
        controller.switch("rejecting", MODEL, ["claude-code"])

    written = json.loads(claude_home.read_text())
    assert written["env"]["ANTHROPIC_BASE_URL"] == rejecting.url, "the switch itself was made"
    assert written["theme"] == "dark"
    verification = verified.args[0]
    assert not verification.ok
    [report] = verification.reports
    assert not report.ok and report.problems[0].startswith("wrong key: ")
    sent = [r.headers.get("x-api-key") for r in rejecting.requests]
    assert BAD_KEY in sent, "checked with the provider's key, as the tool will be"
    [(title, text)] = [n for n in seen if n[0].startswith("Switched")]
    assert title == "Switched, but a check failed"
    assert "Now using rejecting · good-model." in text
    assert f"Claude Code: ✗ {report.problems[0]}" in text
    assert BAD_KEY not in text


def test_preview_offers_to_change_what_keeps_the_switch_from_taking_effect(
    controller: Any, qtbot: Any, isolated_home: Path, servers: tuple[ProviderServer, ProviderServer]
) -> None:
    """OpenCode with an allowlist that leaves Switchover's provider out: unticked, the switch is written but the
    verdict says it is not in effect; ticked, the diff and the write include the allowlist entry and it is."""
    config = isolated_home / ".config" / "opencode" / "opencode.json"
    config.parent.mkdir(parents=True)
    config.write_text('{\n  "model": "anthropic/claude-sonnet-4-5",\n  "enabled_providers": ["anthropic"]\n}\n')
    reload(controller, qtbot)
    page = controller.open_window("tools").pages["tools"]

    def review() -> Any:
        page.preview_dialog = None
        page.select_tool("opencode")
        page.select_choice("healthy", MODEL)
        qtbot.mouseClick(page.switch_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.preview_dialog is not None or "<span" in page.status_label.text(),
                        timeout=10000)
        assert page.preview_dialog is not None, page.status_label.text()
        return page.preview_dialog

    dialog = review()
    assert dialog.overrides_box.isVisibleTo(dialog) and not dialog.overrides_box.isChecked()
    assert "enabled_providers" in dialog.overrides.text() and "add “switchover” to it" in dialog.overrides.text()
    assert '"switchover"' not in dialog.diff.toPlainText().split("enabled_providers", 1)[-1].split("\n")[0]
    with qtbot.waitSignal(controller.tools.verified, timeout=20000) as verified:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    [report] = verified.args[0].reports
    assert not report.ok and not report.in_effect
    assert verdict_text(report).startswith("✗ switched but not in effect: OpenCode loads only the providers")

    dialog = review()
    dialog.overrides_box.setChecked(True)  # re-plans: the diff now shows the allowlist entry
    qtbot.waitUntil(lambda: dialog.apply_button.isEnabled() and '"switchover"]' in dialog.diff.toPlainText(),
                    timeout=10000)
    with qtbot.waitSignal(controller.tools.verified, timeout=20000) as verified:
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    [report] = verified.args[0].reports
    assert report.in_effect and report.ok, report.problems
    assert '"enabled_providers": ["anthropic", "switchover"]' in config.read_text()
