"""The wizard adopts what each tool uses now *with its key* (issue 14, finding 1), into the real Secret Service
(gnome-keyring under scripts/with-test-keyring), and can take the plaintext key out of the tool's file."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
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
    services_for,
    start_servers,
    tasks,
    wait_idle,
)

__all__ = ["provider_server", "tasks"]
pytestmark = pytest.mark.keychain
CLAUDE_KEY = "sk-gw-CLAUDE-ORIGINAL-0123456789"
NAME = "claude-code-current"


def lookup(name: str) -> str:
    return subprocess.run(["secret-tool", "lookup", "service", "switchover", "username", name],
                          capture_output=True, text=True, check=False, timeout=30).stdout


@pytest.fixture
def secret_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or not os.environ.get("SWITCHOVER_REAL_KEYCHAIN"):
        if os.environ.get("CI"):
            pytest.fail("CI must run these under scripts/with-test-keyring (real gnome-keyring)")
        pytest.skip("needs scripts/with-test-keyring (a D-Bus session with an unlocked gnome-keyring)")
    from keyring.backends import SecretService

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    keyring.set_keyring(SecretService.Keyring())
    subprocess.run(["secret-tool", "clear", "service", "switchover", "username", NAME], check=False, timeout=30)
    yield
    subprocess.run(["secret-tool", "clear", "service", "switchover", "username", NAME], check=False, timeout=30)


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
    assert lookup(NAME) == "", "nothing is stored before Finish"
    box.setChecked(True)
    notes = finish(qtbot, wizard)
    assert lookup(NAME) == CLAUDE_KEY, "the key Claude Code uses is in the real keychain"
    assert Keychain().get(NAME) == CLAUDE_KEY
    assert load_store().get(NAME).credential.kind == "keychain"
    text = settings.read_text()
    assert CLAUDE_KEY not in text and json.loads(text)["apiKeyHelper"].split()[-1] == NAME
    assert any("Its key now comes from the keychain" in n for n in notes), notes
    assert json.loads(text)["env"]["ANTHROPIC_BASE_URL"] == world.servers.healthy.url, "same endpoint as before"
