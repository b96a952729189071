"""The wizard adopts what each tool uses now *with its key* (issue 14, finding 1), into the real Secret Service
(gnome-keyring under scripts/with-test-keyring), and can take the plaintext key out of the tool's file."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from switchover.core.secrets import Keychain
from switchover.core.store import load_store
from switchover.ui.taskman import TaskManager
from tests.support.fixtures import provider_server
from tests.support.provider_server import ProviderServer
from tests.ui.wizard_support import (
    finish,
    go_next,
    make_world,
    new_wizard,
    next_enabled,
    real_secret_service,
    secret_tool_lookup,
    services_for,
    start_servers,
    tasks,
    wait_idle,
)

__all__ = ["provider_server", "tasks"]
pytestmark = pytest.mark.keychain
CLAUDE_KEY = "sk-gw-CLAUDE-ORIGINAL-0123456789"
NAME = "claude-code-current"


@pytest.fixture
def secret_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from real_secret_service(monkeypatch, (NAME,))


def test_the_tools_key_goes_to_the_keychain_and_out_of_its_file(
        qtbot: Any, tasks: TaskManager, isolated_home: Path, secret_service: None,
        provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    settings = isolated_home / ".claude" / "settings.json"
    data = json.loads(settings.read_text())
    data["env"]["ANTHROPIC_AUTH_TOKEN"] = CLAUDE_KEY  # Claude Code on a gateway, its key in plaintext
    settings.write_text(json.dumps(data, indent=2) + "\n")
    wizard = new_wizard(qtbot, tasks, services_for(world))
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    for tool in ("codex", "aider", "zed", "goose"):
        wizard.tools_page.set_managed(tool, False)
    choice = wizard.draft.choices[NAME]
    assert choice.key == CLAUDE_KEY and choice.adopted_key, "adopted with its key, not as 'no key'"
    assert "env.ANTHROPIC_AUTH_TOKEN" in choice.key_from and CLAUDE_KEY not in repr(choice)
    go_next(qtbot, wizard)  # local
    wait_idle(qtbot, wizard)
    go_next(qtbot, wizard)  # cloud: nothing to type, nothing blocks
    wizard.cloud_page.select(f"provider:{NAME}")
    assert "goes to the keychain when you press Finish" in wizard.cloud_page.notes.text()
    assert next_enabled(wizard)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    box = wizard.finish_page.plaintext_box
    assert box.isVisibleTo(wizard) and "Claude Code" in box.text()
    assert secret_tool_lookup(NAME) == "", "nothing is stored before Finish"
    box.setChecked(True)
    notes = finish(qtbot, wizard)
    assert secret_tool_lookup(NAME) == CLAUDE_KEY, "the key Claude Code uses is in the real keychain"
    assert Keychain().get(NAME) == CLAUDE_KEY
    assert load_store().get(NAME).credential.kind == "keychain"
    text = settings.read_text()
    assert CLAUDE_KEY not in text and json.loads(text)["apiKeyHelper"].split()[-1] == NAME
    assert any("Its key now comes from the keychain" in n for n in notes), notes
    assert json.loads(text)["env"]["ANTHROPIC_BASE_URL"] == world.servers.healthy.url, "same endpoint as before"
