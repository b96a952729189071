"""Walk the whole setup wizard like a user: a HOME with real tool configs, provider servers on 127.0.0.1 (healthy,
region-blocked, bad key, a local Ollama), and a keychain (the per-test file keyring here; the real Secret Service
in test_wizard_keychain.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from switchover.core.failover.settings import DEFAULT_TOOL, Mode, load_settings
from switchover.core.paths import store_file
from switchover.core.providers import Credential
from switchover.core.store import ChainEntry, load_store
from switchover.ui.settings import AppSettings
from switchover.ui.taskman import TaskManager
from switchover.ui.wizard import SetupWizard
from tests.support.fixtures import provider_server
from tests.support.provider_server import ProviderServer
from tests.ui.wizard_support import (
    BAD_KEY,
    GOOD_KEY,
    REGION_KEY,
    RecordingAutostart,
    World,
    add_custom,
    finish,
    go_next,
    make_world,
    new_wizard,
    next_enabled,
    services_for,
    start_servers,
    tasks,
    tree_rows,
    type_key,
    wait_idle,
    walk_to_cloud,
)

__all__ = ["provider_server", "tasks"]

PRESETS_IN_ISSUE = ("deepseek", "zai", "zhipu", "moonshot", "minimax", "modelstudio", "openrouter", "anthropic",
                    "openai", "gemini", "groq", "mistral", "siliconflow")


def walk_cloud_with_three_servers(qtbot: Any, wizard: SetupWizard, world: World) -> None:
    """Good key accepted, region block and wrong key refused with their reasons, a custom URL provider."""
    page = wizard.cloud_page
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)
    assert "Key accepted" in page.verdict.text()
    assert next_enabled(wizard)
    type_key(qtbot, wizard, "zai", REGION_KEY)
    assert "Blocked in your region" in page.verdict.text()
    assert "Country, region, or territory not supported" in page.verdict.text()
    assert next_enabled(wizard), "a region-blocked provider is kept (to switch back to later; issue 14, finding 2)"
    type_key(qtbot, wizard, "moonshot", BAD_KEY)
    assert "Wrong key" in page.verdict.text() and "HTTP 401" in page.verdict.text()
    assert "Moonshot Kimi (international): Wrong key" in page.blockers.text()
    assert BAD_KEY not in page.verdict.text() and BAD_KEY not in page.blockers.text()
    assert not next_enabled(wizard)
    page.select("zai", False)
    assert not next_enabled(wizard), "the wrong key still blocks"
    page.select("moonshot", False)
    assert next_enabled(wizard)
    add_custom(qtbot, wizard, "gateway", world.servers.healthy.base_url("openai-chat"), GOOD_KEY)
    assert "Key accepted" in page.verdict.text()
    assert wizard.draft.choices["gateway"].provider.models == ("good-model", "good-mini"), "listed by the check"
    go_next(qtbot, wizard)


def test_full_walk_with_file_keyring(qtbot: Any, tasks: TaskManager, isolated_home: Path,
                                     provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    autostart = RecordingAutostart()
    wizard = new_wizard(qtbot, tasks, services_for(world, start_at_login=autostart))
    assert "usable OS keychain was found" in wizard.welcome_page.keychain_label.text()
    assert not wizard.button(QWizard.WizardButton.BackButton).isVisible()

    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    rows = tree_rows(wizard.tools_page.tree)
    healthy = world.servers.healthy.url
    assert rows["Claude Code"][1:] == ["yes", f"good-model at {healthy}"]
    assert rows["Codex CLI"][1:] == ["yes", "gpt-5.1-codex at https://openrouter.ai/api/v1"]
    assert rows["Aider"][1:] == ["yes", "sonnet (its built-in provider)"]
    assert rows["Gemini CLI"][1] == "no" and rows["Zed"][1] == "yes" and rows["Goose"][1] == "yes"
    assert set(rows) >= {"Claude Code", "Codex CLI", "Gemini CLI", "OpenCode", "Qwen Code", "Aider", "Continue",
                         "Zed", "Goose"}
    assert wizard.draft.managed["claude-code"] and not wizard.draft.managed["gemini-cli"]
    for tool in ("aider", "zed", "goose"):
        wizard.tools_page.set_managed(tool, False)

    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    local = tree_rows(wizard.local_page.tree)
    assert list(local) == ["Ollama (local) 0.12.3"]
    assert local["Ollama (local) 0.12.3"][2] == "qwen3-coder:latest, llama3.2:latest"
    wizard.local_page.set_picked(0, True)

    go_next(qtbot, wizard)
    walk_cloud_with_three_servers(qtbot, wizard, world)

    wait_idle(qtbot, wizard)  # the fallback page checks the imported providers
    fallback = wizard.fallback_page
    assert not fallback.shared_box.isChecked(), "Claude Code and Codex use different setups today"
    claude_chain = fallback.entries()
    ollama = wizard.draft.local_name(world_server(wizard))
    assert claude_chain[0] == ChainEntry("claude-code-current", "good-model"), "today's setup comes first"
    assert ChainEntry(ollama, "qwen3-coder:latest") in claude_chain
    assert all(e.provider not in ("deepseek", "gateway") for e in fallback.entries(False)), "no anthropic API"
    fallback.list.setCurrentRow(1)
    fallback.move_current(-1)
    assert fallback.entries()[0] == ChainEntry(ollama, "qwen3-coder:latest")
    fallback.mode_combo.setCurrentIndex(fallback.mode_combo.findData("auto"))
    go_next(qtbot, wizard)

    wait_idle(qtbot, wizard)
    results = tree_rows(wizard.finish_page.results)
    assert results["DeepSeek"][2] == "Works" and results["gateway"][2] == "Works"
    assert results["Codex CLI's current provider"][2] == "No key yet"
    assert "4 of 5 providers work right now" in wizard.finish_page.summary.text()
    wizard.finish_page.login_box.setChecked(True)
    wizard.finish_page.tray_box.setChecked(False)
    finish(qtbot, wizard)

    store = load_store()
    assert sorted(store.providers) == sorted(["claude-code-current", "codex-current", ollama, "deepseek", "gateway"])
    assert store.providers["deepseek"].credential == Credential.keychain()
    assert store.providers["deepseek"].endpoints[0].base_url == world.servers.healthy.base_url("openai-chat")
    assert store.providers[ollama].credential == Credential.none()
    assert store.chains["claude-code"][:2] == [ChainEntry(ollama, "qwen3-coder:latest"),
                                               ChainEntry("claude-code-current", "good-model")]
    assert "codex" not in store.chains, "nothing reachable speaks the Responses API"
    settings = load_settings(store)
    assert settings.default_mode is Mode.AUTO
    assert settings.mode_for("gemini-cli") is Mode.OFF and settings.mode_for("claude-code") is Mode.AUTO
    assert store.sections["app"] == {"start_at_login": True, "show_tray": False}
    app_settings = AppSettings.from_store(store)
    assert (app_settings.start_at_login, app_settings.show_tray) == (True, False)
    assert store.sections["setup"]["managed_tools"] == ["claude-code", "codex"]
    assert autostart.calls == [True]
    backend = keyring.get_keyring()
    assert backend.get_password("switchover", "deepseek") == GOOD_KEY
    assert backend.get_password("switchover", "gateway") == GOOD_KEY
    assert backend.get_password("switchover", "moonshot") is None, "a refused key is never saved"
    assert backend.get_password("switchover", "zai") is None
    text = store_file().read_text()
    assert GOOD_KEY not in text and BAD_KEY not in text
    assert world.untouched() == [], "no tool config changes without 'switch now'"


def world_server(wizard: SetupWizard) -> Any:
    return wizard.local_page.servers[0]


def test_cancel_leaves_nothing_behind(qtbot: Any, tasks: TaskManager, isolated_home: Path,
                                      provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    walk_to_cloud(qtbot, wizard)
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)
    go_next(qtbot, wizard)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    assert wizard.currentPage() is wizard.finish_page
    wizard.button(QWizard.WizardButton.CancelButton).click()
    assert not wizard.isVisible()
    assert not store_file().exists(), "no store written"
    assert keyring.get_keyring().get_password("switchover", "deepseek") is None, "no key stored"
    assert world.untouched() == []


def test_back_and_next_keep_what_was_entered(qtbot: Any, tasks: TaskManager, isolated_home: Path,
                                             provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    walk_to_cloud(qtbot, wizard)
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)
    requests_before = len(world.servers.healthy.requests)
    wizard.back()
    wizard.back()
    assert wizard.currentPage() is wizard.tools_page
    assert wizard.tools_page.item_for("aider").checkState(0) == Qt.CheckState.Unchecked  # type: ignore[union-attr]
    assert wizard.tools_page.item_for("claude-code").checkState(0) == Qt.CheckState.Checked  # type: ignore[union-attr]
    go_next(qtbot, wizard)
    assert wizard.local_page.tree.topLevelItem(0).checkState(0) == Qt.CheckState.Checked  # type: ignore[union-attr]
    go_next(qtbot, wizard)
    page = wizard.cloud_page
    assert page.item_for("deepseek").checkState() == Qt.CheckState.Checked
    page.select("deepseek")
    assert page.key_edit.text() == GOOD_KEY
    assert "Key accepted" in page.verdict.text()
    assert next_enabled(wizard), "the verdict is kept: no need to check again"
    assert len(world.servers.healthy.requests) == requests_before


def test_rerun_edits_the_existing_setup(qtbot: Any, tasks: TaskManager, isolated_home: Path,
                                        provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    assert not wizard.rerun
    walk_to_cloud(qtbot, wizard)
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)
    go_next(qtbot, wizard)
    go_next(qtbot, wizard)
    finish(qtbot, wizard)
    first = load_store()

    again = new_wizard(qtbot, tasks, services_for(world))
    assert again.rerun and "edits it" in again.welcome_page.subTitle()
    go_next(qtbot, again)
    wait_idle(qtbot, again)
    assert again.draft.managed == {t: t in ("claude-code", "codex") for t in again.draft.tools}, "as chosen before"
    go_next(qtbot, again)
    wait_idle(qtbot, again)
    assert again.local_page.tree.topLevelItem(0).checkState(0) == Qt.CheckState.Checked  # type: ignore[union-attr]
    go_next(qtbot, again)
    page = again.cloud_page
    assert page.item_for("deepseek").checkState() == Qt.CheckState.Checked
    page.select("deepseek")
    assert "stored in the keychain" in page.key_edit.placeholderText()
    assert next_enabled(again), "a stored key needs no new proof"
    world.servers.healthy.play("openai-chat", "auth_failed")
    type_key(qtbot, again, "deepseek", BAD_KEY)
    assert "Wrong key" in page.verdict.text()
    assert not next_enabled(again), "a replacement key is checked like a new one"
    world.servers.healthy.play("openai-chat", "ok", models=("good-model", "good-mini"))
    replacement = GOOD_KEY + "2"
    type_key(qtbot, again, "deepseek", replacement)
    assert next_enabled(again)
    go_next(qtbot, again)
    go_next(qtbot, again)
    finish(qtbot, again)

    second = load_store()
    assert sorted(second.providers) == sorted(first.providers), "nothing duplicated"
    assert second.chains == first.chains
    assert keyring.get_keyring().get_password("switchover", "deepseek") == replacement
    assert world.untouched() == []


def test_switch_now_previews_then_switches_only_the_managed_tool(
        qtbot: Any, tasks: TaskManager, isolated_home: Path,
        provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world, can_switch=True))
    walk_to_cloud(qtbot, wizard)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    fallback = wizard.fallback_page
    ollama = wizard.draft.local_name(world_server(wizard))
    fallback.list.setCurrentRow(1)
    fallback.move_current(-1)
    assert fallback.entries()[0] == ChainEntry(ollama, "qwen3-coder:latest")
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    page = wizard.finish_page
    assert page.switch_box.isEnabled()
    assert page.gateway_box.isChecked(), "the gateway is recommended: ticked on a first run"
    page.gateway_box.setChecked(False)  # this test is about pointing the tool at the provider itself
    page.switch_box.setChecked(True)
    qtbot.waitUntil(lambda: not page.previewing, timeout=15_000)
    preview = page.preview.toPlainText()
    claude_settings = world.home / ".claude" / "settings.json"
    assert f"# Claude Code → {ollama}/qwen3-coder:latest" in preview
    assert f'+    "ANTHROPIC_BASE_URL": "{world_server(wizard).base_url}"' in preview
    assert str(claude_settings) in preview
    assert world.untouched() == [], "the preview writes nothing"
    notes = finish(qtbot, wizard)
    assert len(notes) == 1
    # verified like `switchover use`: the auth-tier check of what Claude Code now reads answered
    expected = r"Claude Code now uses Ollama \(local\) qwen3-coder:latest\. Check: ✓ works, \d+ ms"
    assert re.fullmatch(expected, notes[0]), notes
    settings = json.loads(claude_settings.read_text())
    assert settings["env"]["ANTHROPIC_BASE_URL"] == world_server(wizard).base_url
    assert settings["env"]["ANTHROPIC_MODEL"] == "qwen3-coder:latest"
    assert settings["permissions"]["deny"][0] == "Bash(curl:*)", "everything else kept"
    assert world.untouched() == [claude_settings], "only the managed tool that was asked to switch"


def test_without_a_keychain_keys_come_from_environment_variables(
        qtbot: Any, tasks: TaskManager, isolated_home: Path, monkeypatch: Any,
        provider_server: Callable[..., ProviderServer]) -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("DEEPSEEK_API_KEY", GOOD_KEY)
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    welcome = wizard.welcome_page
    assert "No usable OS keychain" in welcome.keychain_label.text()
    assert "environment variable" in welcome.keychain_help.text() and welcome.keychain_help.isVisibleTo(wizard)
    assert next_enabled(wizard), "the user can go on without a keychain"
    walk_to_cloud(qtbot, wizard)
    page = wizard.cloud_page
    with qtbot.waitSignal(wizard.verdict_recorded, timeout=15_000):
        page.select("deepseek")
    assert page.source_env.isChecked() and not page.source_keychain.isEnabled()
    assert page.env_edit.text() == "DEEPSEEK_API_KEY"
    wait_idle(qtbot, wizard)
    assert "Key accepted" in page.verdict.text()
    assert world.servers.healthy.requests[-1].headers["authorization"] == f"Bearer {GOOD_KEY}"
    go_next(qtbot, wizard)
    go_next(qtbot, wizard)
    finish(qtbot, wizard)
    store = load_store()
    assert store.providers["deepseek"].credential == Credential.env("DEEPSEEK_API_KEY")
    assert GOOD_KEY not in store_file().read_text()


def test_presets_are_searchable_and_complete(qtbot: Any, tasks: TaskManager, isolated_home: Path,
                                             provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    walk_to_cloud(qtbot, wizard)
    page = wizard.cloud_page
    everything = page.visible_ids()
    assert set(PRESETS_IN_ISSUE) <= set(everything) and everything[-1] == "__custom__"
    assert not {"ollama", "lmstudio"} & set(everything), "local servers are on their own page"
    page.search.setText("kimi")
    assert page.visible_ids() == ["moonshot", "moonshot-cn", "groq", "__custom__"], "Groq serves a Kimi model"
    page.search.setText("GLM")
    assert page.visible_ids()[:2] == ["zhipu", "zai"], "found by model id, not only by label"
    assert "anthropic" not in page.visible_ids()
    page.search.clear()
    assert page.visible_ids() == everything


def test_a_broken_tool_config_is_named_and_left_alone(qtbot: Any, tasks: TaskManager, isolated_home: Path,
                                                      provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    codex = world.home / ".codex" / "config.toml"
    codex.write_text('model = "gpt-5"\n[model_providers.x\n')
    world.originals[codex] = codex.read_bytes()
    wizard = new_wizard(qtbot, tasks, services_for(world))
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    row = tree_rows(wizard.tools_page.tree)["Codex CLI"]
    assert str(codex) in row[2] and "line 2" in row[2]
    assert not wizard.draft.managed["codex"], "not managed by default while it does not parse"
    assert world.untouched() == [], "the broken file is left byte for byte"


def test_one_order_for_all_tools_is_saved_as_the_default_chain(
        qtbot: Any, tasks: TaskManager, isolated_home: Path,
        provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    walk_to_cloud(qtbot, wizard)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    fallback = wizard.fallback_page
    fallback.shared_box.setChecked(True)
    assert not fallback.tool_combo.isEnabled()
    shared = fallback.entries()
    first = fallback.list.item(0)
    first.setCheckState(Qt.CheckState.Unchecked)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    finish(qtbot, wizard)
    store = load_store()
    assert store.chains[DEFAULT_TOOL] == shared[1:]
    assert "claude-code" not in store.chains and "codex" not in store.chains
