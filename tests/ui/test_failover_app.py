"""Failover in the app: the real monitor (thread) suggests a switch, the notification's click accepts it,
and Claude Code's real settings.json then points at the healthy provider."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from switchover.core.failover.settings import FailoverSettings, Mode, save_settings
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry, edit_store
from tests.support.provider_server import ProviderServer
from tests.ui.app_support import close_app

MODEL = "test-model"


@pytest.fixture
def servers(isolated_home: Path) -> Iterator[dict[str, ProviderServer]]:
    found = {"primary": ProviderServer().start().play("anthropic", "region_blocked", (MODEL,)),
             "backup": ProviderServer().start().play("anthropic", "ok", (MODEL,))}
    with edit_store() as store:
        for name, server in found.items():
            store.add(Provider(name, (Endpoint.make(Protocol.ANTHROPIC, server.url),), (MODEL,),
                               credential=Credential.none(), label=name.title()))
        store.chains["claude-code"] = [ChainEntry("primary", MODEL), ChainEntry("backup", MODEL)]
        save_settings(store, FailoverSettings(interval_s=0.3, retry_interval_s=0.1, hard_threshold=1,
                                              default_mode=Mode.SUGGEST))
    settings = isolated_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"theme": "dark", "env": {"ANTHROPIC_BASE_URL": found["primary"].url,
                                                             "ANTHROPIC_MODEL": MODEL}}))
    yield found
    for server in found.values():
        server.close()


def test_suggestion_notification_click_switches(qapp: Any, qtbot: Any, isolated_home: Path,
                                                servers: dict[str, ProviderServer]) -> None:
    from switchover.ui.app import AppController

    controller = AppController(qapp, use_tray=True)
    shown: list[tuple[str, str]] = []
    controller.tray.icon.showMessage = lambda title, text, *_a: shown.append((title, text))  # type: ignore[method-assign]
    suggestions: list[Any] = []
    controller.failover.decision_made.connect(lambda d: suggestions.append(d) if d.is_suggestion else None)
    try:
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            controller.state.reload()
        controller.failover.start()
        qtbot.waitUntil(lambda: bool(suggestions), timeout=15000)
        suggestion = suggestions[0]
        assert suggestion.tool == "claude-code"
        assert suggestion.to_choice == ChainEntry("backup", MODEL)
        assert any(r.status.value == "region_blocked" for r in suggestion.evidence)
        assert shown and shown[-1][0] == "Switch suggested"
        settings = isolated_home / ".claude" / "settings.json"
        assert json.loads(settings.read_text())["env"]["ANTHROPIC_BASE_URL"] == servers["primary"].url

        with qtbot.waitSignal(controller.failover.decision_made, timeout=15000,
                              check_params_cb=lambda d: d.action.value == "accepted"):
            controller.tray.icon.messageClicked.emit()  # the user clicks the notification
        written = json.loads(settings.read_text())
        assert written["env"]["ANTHROPIC_BASE_URL"] == servers["backup"].url
        assert written["theme"] == "dark"
        # verified like any switch: the notification says how the endpoint Claude Code now reads answers
        qtbot.waitUntil(lambda: shown[-1][0] == "Switched", timeout=15000)
        assert re.search(r"^Claude Code: ✓ works, \d+ ms$", shown[-1][1], re.MULTILINE), shown[-1][1]
    finally:
        close_app(qapp, controller)
