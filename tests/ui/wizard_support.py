"""Helpers for the setup wizard tests: a HOME with real tool configs, local provider servers, wizard services
pointed at them, and a driver that walks the pages the way a user does (buttons, checkboxes, typing).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtWidgets import QWizard

from switchover.core.catalog import Catalog, Preset, default_catalog
from switchover.core.health.discovery import discover_local_sync
from switchover.core.health.runner import CheckOptions
from switchover.core.providers import Endpoint, Protocol
from switchover.core.switching.contract import ToolEnv
from switchover.targets.registry import all_targets
from switchover.ui.taskman import TaskManager
from switchover.ui.wizard import SetupWizard, WizardServices
from tests.support.provider_server import ProviderServer, Reply

SAMPLES = Path(__file__).resolve().parents[1] / "targets" / "samples"
GOOD_KEY = "sk-good-0123456789abcdefABCD"
BAD_KEY = "sk-wrong-0123456789abcdefWXYZ"
REGION_KEY = "sk-region-0123456789abcdefQRST"
WAIT_MS = 15_000


def install_sample(sample: str, path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLES / sample, path)
    return path.read_bytes()


@dataclass
class Servers:
    """Three cloud-like providers on 127.0.0.1 (healthy, region-blocked, bad key) and a local Ollama."""

    healthy: ProviderServer
    region: ProviderServer
    bad_key: ProviderServer
    ollama: ProviderServer


def start_servers(provider_server: Callable[..., ProviderServer]) -> Servers:
    healthy = provider_server().play("openai-chat", "ok", models=("good-model", "good-mini"))
    healthy.play("anthropic", "ok", models=("good-model", "good-mini"))
    region = provider_server().play("openai-chat", "region_blocked")
    bad = provider_server().play("openai-chat", "auth_failed")
    ollama = provider_server().play("ollama", "ok", models=("qwen3-coder", "llama3.2"))
    ollama.on("GET", "/api/version", Reply.json({"version": "0.12.3"}))
    return Servers(healthy, region, bad, ollama)


def catalog_at(servers: Servers) -> Catalog:
    """The shipped catalog, with three presets moved onto the local servers (what dependency injection is for)."""
    base = default_catalog()
    moved = {
        "deepseek": servers.healthy,
        "zai": servers.region,
        "moonshot": servers.bad_key,
    }
    presets: dict[str, Preset] = {}
    for preset in base:
        server = moved.get(preset.id)
        presets[preset.id] = preset if server is None else replace(
            preset, endpoints=(Endpoint.make(Protocol.OPENAI_CHAT, server.base_url("openai-chat")),),
            models_url=None, models_auth=None)
    return Catalog(presets)


@dataclass
class World:
    """An isolated HOME with real sample configs, whose original bytes are kept to prove they are untouched."""

    home: Path
    env: ToolEnv
    servers: Servers
    originals: dict[Path, bytes] = field(default_factory=dict)

    def untouched(self) -> list[Path]:
        """Files whose bytes differ from what the test installed (empty: nothing was edited)."""
        return [p for p, data in self.originals.items() if not p.exists() or p.read_bytes() != data]


def make_world(home: Path, servers: Servers) -> World:
    """Claude Code points at the healthy server; Codex, Aider, Zed and Goose keep their sample configs."""
    env = ToolEnv(home=home, environ={"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": ""},
                  platform="linux", cwd=home)
    world = World(home, env, servers)
    claude = home / ".claude" / "settings.json"
    install_sample("claude_settings.json", claude)
    data = json.loads(claude.read_text())
    data["env"]["ANTHROPIC_BASE_URL"] = servers.healthy.url
    data["env"]["ANTHROPIC_MODEL"] = "good-model"
    claude.write_text(json.dumps(data, indent=2) + "\n")
    world.originals[claude] = claude.read_bytes()
    for sample, path in (
        ("codex_config.toml", home / ".codex" / "config.toml"),
        ("aider.conf.yml", home / ".aider.conf.yml"),
        ("zed_settings.json", home / ".config" / "zed" / "settings.json"),
        ("goose_config.yaml", home / ".config" / "goose" / "config.yaml"),
    ):
        world.originals[path] = install_sample(sample, path)
    return world


def services_for(world: World, **overrides: Any) -> WizardServices:
    servers = world.servers
    values: dict[str, Any] = {
        "catalog": catalog_at(servers),
        "targets": all_targets(),
        "tool_env": world.env,
        "discover": lambda: discover_local_sync(ports=[servers.ollama.port]),
        "check_options": CheckOptions(trust_env=False),
        "start_at_login": RecordingAutostart(),
        "environ": {},
    }
    values.update(overrides)
    return WizardServices(**values)


class RecordingAutostart:
    """Start-at-login without touching the desktop session: records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[bool] = []

    def set_enabled(self, enabled: bool) -> None:
        self.calls.append(enabled)


@pytest.fixture
def tasks(qapp: Any) -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.shutdown(wait=True)
    manager.deleteLater()
    gc.collect()  # free leftover Qt wrappers here, on the UI thread, not later on some worker


def new_wizard(qtbot: Any, tasks: TaskManager, services: WizardServices) -> SetupWizard:
    wizard = SetupWizard(tasks, services)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.is_loaded, timeout=WAIT_MS)
    return wizard


def next_enabled(wizard: SetupWizard) -> bool:
    return wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def go_next(qtbot: Any, wizard: SetupWizard) -> None:
    """Press Next once it is enabled (pages disable it while background work runs)."""
    page = wizard.currentId()
    qtbot.waitUntil(lambda: next_enabled(wizard), timeout=WAIT_MS)
    wizard.next()
    assert wizard.currentId() == page + 1


def wait_idle(qtbot: Any, wizard: SetupWizard) -> None:
    qtbot.waitUntil(lambda: not wizard.busy, timeout=WAIT_MS)


def type_key(qtbot: Any, wizard: SetupWizard, preset_id: str, key: str) -> None:
    """Tick a preset, paste its key and wait for the live check's verdict."""
    page = wizard.cloud_page
    page.select(preset_id)
    choice = page.current_choice()
    assert choice is not None and choice.picked
    page.key_edit.clear()
    with qtbot.waitSignal(wizard.verdict_recorded, timeout=WAIT_MS, check_params_cb=lambda n: n == choice.name):
        qtbot.keyClicks(page.key_edit, key)
    wait_idle(qtbot, wizard)


def finish(qtbot: Any, wizard: SetupWizard) -> list[str]:
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.FinishButton).isEnabled(), timeout=WAIT_MS)
    with qtbot.waitSignal(wizard.applied, timeout=WAIT_MS) as blocker:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    notes: list[str] = blocker.args[0]
    return notes


def tree_rows(tree: Any) -> dict[str, list[str]]:
    rows = {}
    for row in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(row)
        rows[item.text(0)] = [item.text(c) for c in range(tree.columnCount())]
    return rows


def walk_to_cloud(qtbot: Any, wizard: SetupWizard) -> None:
    """Welcome → Tools (manage Claude Code and Codex only) → Local (tick Ollama) → Cloud."""
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    for tool in ("aider", "zed", "goose"):
        wizard.tools_page.set_managed(tool, False)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    assert wizard.local_page.tree.topLevelItemCount() == 1
    wizard.local_page.set_picked(0, True)
    go_next(qtbot, wizard)


def add_custom(qtbot: Any, wizard: SetupWizard, name: str, url: str, key: str) -> None:
    page = wizard.cloud_page
    page.select("__custom__")
    qtbot.keyClicks(page.custom_name_edit, name)
    page.custom_protocol.setCurrentIndex(page.custom_protocol.findData(Protocol.OPENAI_CHAT))
    qtbot.keyClicks(page.custom_url, url)
    with qtbot.waitSignal(wizard.verdict_recorded, timeout=WAIT_MS, check_params_cb=lambda n: n == name):
        qtbot.keyClicks(page.key_edit, key)
    wait_idle(qtbot, wizard)


# ---------------------------------------------------------------- the real Secret Service


def secret_tool_lookup(name: str) -> str:
    """What the real keychain holds for provider `name` (read with secret-tool, not through Switchover)."""
    result = subprocess.run(["secret-tool", "lookup", "service", "switchover", "username", name],
                            capture_output=True, text=True, check=False, timeout=30)
    return result.stdout


def clear_secret(name: str) -> None:
    subprocess.run(["secret-tool", "clear", "service", "switchover", "username", name], check=False, timeout=30)


def real_secret_service(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...]) -> Iterator[None]:
    """For a fixture: select the real Secret Service backend in this process (the autouse fixture chose the file
    keyring), with the entries of `names` cleared before and after."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or not os.environ.get("SWITCHOVER_REAL_KEYCHAIN"):
        if os.environ.get("CI"):
            pytest.fail("CI must run these under scripts/with-test-keyring (real gnome-keyring)")
        pytest.skip("needs scripts/with-test-keyring (a D-Bus session with an unlocked gnome-keyring)")
    from keyring.backends import SecretService

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    keyring.set_keyring(SecretService.Keyring())
    for name in names:
        clear_secret(name)
    yield
    for name in names:
        clear_secret(name)
