"""Detection with env overrides, refusals, broken configs, warnings, keyless providers and the registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from switchover.core.errors import ConfigFileError
from switchover.core.providers import Credential, Protocol
from switchover.core.switching.contract import Target, TargetRefusal, ToolEnv
from switchover.targets.aider import Aider
from switchover.targets.claude_code import ClaudeCode
from switchover.targets.cline import Cline
from switchover.targets.codex import Codex
from switchover.targets.continue_dev import ContinueDev
from switchover.targets.factory_droid import FactoryDroid
from switchover.targets.gemini_cli import GeminiCli
from switchover.targets.goose import Goose
from switchover.targets.kilo_code import KiloCode
from switchover.targets.opencode import OpenCode
from switchover.targets.qwen_code import QwenCode
from switchover.targets.registry import UnknownToolError, all_targets, get_target
from switchover.targets.zed import Zed
from tests.targets.support import FAKE_KEY, apply, custom, make_env, preset, request, write

# --- registry ---------------------------------------------------------------------------------------------


def test_registry_lists_every_tool_once_and_finds_each_by_id() -> None:
    ids = [t.id for t in all_targets()]
    assert ids == ["claude-code", "codex", "gemini-cli", "opencode", "qwen-code", "aider", "continue", "zed",
                   "goose", "cline", "kilo-code", "factory-droid", "shell-env"]
    for tool_id in ids:
        assert get_target(tool_id).id == tool_id


def test_unknown_tool_error_lists_known_ids() -> None:
    with pytest.raises(UnknownToolError, match=r"Unknown tool 'claude'.*claude-code, codex"):
        get_target("claude")


# --- detect -----------------------------------------------------------------------------------------------


def test_nothing_installed_in_an_empty_home(env: ToolEnv) -> None:
    for target in all_targets():
        if target.id != "shell-env":
            assert not target.detect(env).installed, target.id


def test_binary_on_path_counts_as_installed(env: ToolEnv, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    binary = write(bin_dir / "codex", "#!/bin/sh\n")
    binary.chmod(0o755)
    env = make_env(env.home, env.cwd or tmp_path, PATH=str(bin_dir))
    detection = Codex().detect(env)
    assert detection.installed and detection.binary == binary


def test_zed_is_found_by_either_binary_name(env: ToolEnv, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    binary = write(bin_dir / "zeditor", "#!/bin/sh\n")
    binary.chmod(0o755)
    detection = Zed().detect(make_env(env.home, env.cwd or tmp_path, PATH=str(bin_dir)))
    assert detection.installed and detection.binary == binary


def test_windows_npm_shims_count_as_the_binary(env: ToolEnv, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    shim = write(bin_dir / "claude.cmd", "@echo off\n")
    shim.chmod(0o755)
    windows = ToolEnv(env.home, {**env.environ, "PATH": str(bin_dir)}, "win32", env.cwd)
    assert ClaudeCode().detect(windows).binary == shim
    linux = ToolEnv(env.home, {**env.environ, "PATH": str(bin_dir)}, "linux", env.cwd)
    assert ClaudeCode().detect(linux).binary is None


@pytest.mark.parametrize("target", [t for t in all_targets() if t.id != "shell-env"], ids=lambda t: t.id)
def test_the_tools_own_config_counts_as_installed_without_a_binary(target: Target, env: ToolEnv) -> None:
    first = target.detect(env).config_paths[0]
    marker = first.parent if target.id != "aider" else first  # Aider's config is one file in the home dir
    if target.id == "aider":
        write(marker, "model: x\n")
    else:
        marker.mkdir(parents=True, exist_ok=True)
    detection = target.detect(env)
    assert detection.installed and detection.binary is None


@pytest.mark.parametrize(
    ("target", "variable", "relative"),
    [
        (ClaudeCode(), "CLAUDE_CONFIG_DIR", "settings.json"),
        (Codex(), "CODEX_HOME", "config.toml"),
        (GeminiCli(), "GEMINI_CLI_HOME", ".gemini/settings.json"),
        (Cline(), "CLINE_DIR", "data/settings/providers.json"),
        (Cline(), "CLINE_DATA_DIR", "settings/providers.json"),
        (FactoryDroid(), "FACTORY_HOME_OVERRIDE", ".factory/settings.json"),
    ],
    ids=lambda v: v.id if isinstance(v, Target) else str(v),
)
def test_config_dir_variables_move_the_config(
    target: Target, variable: str, relative: str, env: ToolEnv, tmp_path: Path
) -> None:
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    env = make_env(env.home, env.cwd or tmp_path, **{variable: str(moved)})
    detection = target.detect(env)
    assert detection.config_paths[0] == moved / relative
    plan = target.plan(env, request(_provider_for(target)))
    assert all(c.path.is_relative_to(moved) for c in plan.changes)


@pytest.mark.parametrize("target", [OpenCode(), Zed(), Goose(), KiloCode()], ids=lambda t: t.id)
def test_xdg_config_home_moves_config(target: Target, env: ToolEnv, tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    env = make_env(env.home, env.cwd or tmp_path, XDG_CONFIG_HOME=str(xdg))
    assert target.detect(env).config_paths[0].is_relative_to(xdg)


def test_opencode_config_variable_names_the_file(env: ToolEnv, tmp_path: Path) -> None:
    chosen = write(tmp_path / "my-opencode.json", '{"theme": "nord"}\n')
    env = make_env(env.home, env.cwd or tmp_path, OPENCODE_CONFIG=str(chosen))
    plan = OpenCode().plan(env, request(preset("deepseek")))
    assert [c.path for c in plan.changes] == [chosen]


@pytest.mark.parametrize(("target", "variable"), [(OpenCode(), "OPENCODE_CONFIG"), (KiloCode(), "KILO_CONFIG"),
                                                 (Cline(), "CLINE_PROVIDER_SETTINGS_PATH")],
                         ids=["opencode", "kilo", "cline"])
def test_config_file_variable_names_the_file(target: Target, variable: str, env: ToolEnv, tmp_path: Path) -> None:
    chosen = write(tmp_path / "chosen.json", "{}\n")
    env = make_env(env.home, env.cwd or tmp_path, **{variable: str(chosen)})
    assert target.detect(env).config_paths == (chosen,)
    assert [c.path for c in target.plan(env, request(preset("deepseek"))).changes] == [chosen]


def test_kilo_edits_the_global_file_that_wins_the_merge(env: ToolEnv) -> None:
    folder = env.home / ".config" / "kilo"
    write(folder / "config.json", "{}")
    assert KiloCode().detect(env).config_paths == (folder / "config.json",)
    write(folder / "kilo.jsonc", "{}")
    write(folder / "kilo.json", "{}")
    assert KiloCode().detect(env).config_paths == (folder / "kilo.jsonc",)  # merged after kilo.json: it wins
    write(folder / "opencode.json", "{}")
    assert KiloCode().detect(env).config_paths == (folder / "opencode.json",)


def test_kilo_warns_about_project_files_that_set_the_model(env: ToolEnv, project: Path) -> None:
    write(project / ".kilo" / "kilo.json", '{"model": "kilo/x"}')
    write(project / "kilo.jsonc", '{"theme": "dark"}')
    assert set(KiloCode().detect(env).overrides) == {project / ".kilo" / "kilo.json", project / "kilo.jsonc"}
    warnings = KiloCode().plan(env, request(preset("deepseek"))).warnings
    assert len(warnings) == 1 and ".kilo/kilo.json sets model" in warnings[0]
    quiet = make_env(env.home, project, KILO_DISABLE_PROJECT_CONFIG="1")
    assert KiloCode().detect(quiet).overrides == ()


def test_kilo_new_file_gets_its_schema_so_kilo_does_not_rewrite_it(env: ToolEnv) -> None:
    plan = KiloCode().plan(env, request(preset("deepseek")))
    data = json.loads(plan.changes[0].after)
    assert next(iter(data)) == "$schema" and data["$schema"] == "https://app.kilo.ai/config.json"
    assert plan.changes[0].path == env.home / ".config" / "kilo" / "kilo.json"


def test_droid_names_the_local_or_project_settings_that_pick_the_model(env: ToolEnv, project: Path) -> None:
    write(env.home / ".factory" / "settings.local.json", '{"sessionDefaultSettings": {"model": "gpt-5"}}')
    plan = FactoryDroid().plan(env, request(preset("deepseek")))
    assert [(o.path, o.key) for o in plan.overrides] == [
        (env.home / ".factory" / "settings.local.json", "sessionDefaultSettings.model")]
    shared = write(project / ".factory" / "settings.json", '{"model": "claude-opus"}')  # legacy key, project: wins
    plan = FactoryDroid().plan(env, request(preset("deepseek")))
    assert [(o.path, o.key) for o in plan.overrides] == [(shared, "model")]
    assert "sets the model" in plan.overrides[0].describe()


def test_droid_replaces_only_its_own_models_and_keeps_the_users_order(env: ToolEnv) -> None:
    path = write(env.home / ".factory" / "settings.json", json.dumps({"customModels": [
        {"model": "a", "displayName": "Mine A"},
        {"id": "custom:switchover:old", "model": "old", "displayName": "old (X) (Switchover)"},
        {"model": "b", "displayName": "Mine B"},
    ]}, indent=2))
    apply(FactoryDroid().plan(env, request(preset("deepseek"), "deepseek-chat")))
    models = json.loads(path.read_text())["customModels"]
    assert [m.get("id", m["displayName"]) for m in models] == ["Mine A", "Mine B", "custom:switchover:deepseek-chat"]


def test_droid_refuses_a_settings_file_with_comments(env: ToolEnv) -> None:
    """Droid's own parser is strict JSON (a commented file made `droid exec` fail): never write one."""
    path = write(env.home / ".factory" / "settings.json", '{\n  // mine\n  "model": "x"\n}\n')
    with pytest.raises(ConfigFileError) as caught:
        FactoryDroid().plan(env, request(preset("deepseek")))
    assert caught.value.path == path and caught.value.line == 2


def test_cline_keeps_other_providers_and_writes_the_key_privately(env: ToolEnv) -> None:
    plan = Cline().plan(env, request(preset("deepseek"), "deepseek-chat"))
    [change] = plan.changes
    assert change.holds_secret and change.new_file_mode == 0o600
    data = json.loads(change.after)
    assert data["version"] == 1 and data["lastUsedProvider"] == "openai-compatible"
    assert data["providers"]["openai-compatible"]["settings"]["apiKey"] == FAKE_KEY


def test_cline_settled_form_ignores_its_own_restamping_only() -> None:
    written = {"version": 1, "lastUsedProvider": "anthropic",
               "providers": {"anthropic": {"settings": {"provider": "anthropic", "model": "m"},
                                           "updatedAt": "2026-01-01T00:00:00.000Z"}}}
    rerun = {"version": 1, "lastUsedProvider": "anthropic", "modes": {},
             "providers": {"anthropic": {"settings": {"provider": "anthropic", "model": "m"},
                                         "updatedAt": "2026-11-29T06:34:47.627Z", "tokenSource": "manual"}}}
    edited = json.loads(json.dumps(rerun))
    edited["providers"]["anthropic"]["settings"]["model"] = "other"
    settle = Cline().settled_form
    path = Path("providers.json")
    assert settle(path, json.dumps(written).encode()) == settle(path, json.dumps(rerun, indent=2).encode())
    assert settle(path, json.dumps(written).encode()) != settle(path, json.dumps(edited).encode())
    assert settle(path, b"{not json") == b"{not json"
    deep = b"[" * 100_000 + b"]" * 100_000  # a hostile file: bad JSON like any other, not a RecursionError
    assert settle(path, deep) == deep


def test_opencode_prefers_an_existing_jsonc_file(env: ToolEnv) -> None:
    jsonc = write(env.home / ".config/opencode/opencode.jsonc", "{\n  // mine\n}\n")
    assert OpenCode().detect(env).config_paths == (jsonc,)


def test_windows_paths(isolated_home: Path, project: Path) -> None:
    appdata = isolated_home / "AppData" / "Roaming"
    env = ToolEnv(isolated_home, {"APPDATA": str(appdata)}, "win32", project)
    assert Zed().detect(env).config_paths[0] == appdata / "Zed" / "settings.json"
    assert Goose().detect(env).config_paths[0] == appdata / "Block" / "goose" / "config" / "config.yaml"
    assert ClaudeCode().detect(env).config_paths[0] == isolated_home / ".claude" / "settings.json"
    plan = ClaudeCode().plan(env, request(preset("deepseek")))
    settings = json.loads(plan.changes[0].after)
    assert settings["apiKeyHelper"] == '"/opt/switch over/bin/switchover" key deepseek'  # cmd.exe quoting


# --- overrides and warnings -------------------------------------------------------------------------------


def test_claude_project_files_are_reported_and_warned_about(env: ToolEnv, project: Path) -> None:
    shared = write(project / ".claude/settings.json", '{"permissions": {"allow": []}}')
    local = write(project / ".claude/settings.local.json", '{"env": {"ANTHROPIC_MODEL": "other"}}')
    assert ClaudeCode().detect(env).overrides[:2] == (shared, local)
    plan = ClaudeCode().plan(env, request(preset("deepseek")))
    assert [(o.path, o.key) for o in plan.overrides] == [(local, "env.ANTHROPIC_MODEL")]  # shared: nothing ours
    assert "settings.local.json sets the model" in plan.overrides[0].reason


def test_broken_override_file_is_reported_not_fatal(env: ToolEnv, project: Path) -> None:
    write(project / ".claude/settings.local.json", '{"env": ')
    plan = ClaudeCode().plan(env, request(preset("deepseek")))
    assert plan.changes and "cannot be read" in plan.overrides[0].reason


def test_gemini_warns_about_shell_variables_and_shadowing_env_files(env: ToolEnv, project: Path) -> None:
    write(project / ".env", "DEBUG=1\n")
    env = make_env(env.home, project, GEMINI_API_KEY="from-shell")
    plan = GeminiCli().plan(env, request(preset("gemini")))
    text = "\n".join(o.describe() for o in plan.overrides)
    assert "the key comes from the environment" in text and "$GEMINI_API_KEY in the environment" in text
    assert f"reads {project / '.env'} instead of" in text
    assert project / ".env" in GeminiCli().detect(env).overrides


def test_gemini_uses_the_users_own_variable_instead_of_writing_the_key(env: ToolEnv) -> None:
    provider = custom("gemini-proxy", {Protocol.GEMINI: "http://127.0.0.1:9999"}, Credential.env("GEMINI_API_KEY"))
    req = request(provider, "model-g")
    plan = GeminiCli().plan(env, req)
    assert not any(c.holds_secret for c in plan.changes)
    assert all(FAKE_KEY.encode() not in c.after for c in plan.changes)


def test_aider_warns_when_env_variables_override_the_file(env: ToolEnv) -> None:
    env = make_env(env.home, env.cwd or env.home, AIDER_MODEL="gpt-4o")
    plan = Aider().plan(env, request(preset("deepseek")))
    assert [(o.path, o.key) for o in plan.overrides] == [(None, "AIDER_MODEL")]


def test_qwen_env_key_note_names_the_variable_and_how_to_set_it(env: ToolEnv) -> None:
    plan = QwenCode().plan(env, request(preset("deepseek")))
    note = plan.notes[-1]
    assert "$SWITCHOVER_DEEPSEEK_API_KEY" in note and "switchover key deepseek" in note


# --- refusals ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "provider", "message"),
    [
        (Codex(), "groq", "Codex CLI needs the openai-responses API; Groq offers only openai-chat"),
        # DeepSeek's Responses API serves deepseek-v4-flash only; its default model goes through the gateway.
        (Codex(), "deepseek", "DeepSeek serves the Responses API Codex speaks only for some models, not "
                              "deepseek-v4-pro"),
        (GeminiCli(), "deepseek", "Gemini CLI needs the gemini API; DeepSeek offers only"),
        (ClaudeCode(), "groq", "Claude Code needs the anthropic API; Groq offers only openai-chat"),
        (Aider(), "gemini", None),  # gemini preset offers openai-chat: accepted
    ],
    ids=lambda v: v.id if isinstance(v, Target) else str(v)[:20],
)
def test_protocol_refusals(target: Target, provider: str, message: str | None, env: ToolEnv) -> None:
    req = request(preset(provider))
    if message is None:
        assert target.plan(env, req).endpoint.protocol is Protocol.OPENAI_CHAT
        return
    with pytest.raises(TargetRefusal, match=message.replace("(", r"\(")):
        target.plan(env, req)
    assert not [p for p in env.home.rglob("*") if p.is_file()], "a refusal must not leave files behind"


def test_codex_uses_deepseeks_responses_api_for_v4_flash(env: ToolEnv) -> None:
    plan = Codex().plan(env, request(preset("deepseek"), "deepseek-v4-flash"))
    assert plan.endpoint.protocol is Protocol.OPENAI_RESPONSES
    assert plan.endpoint.base_url == "https://api.deepseek.com"


def test_zed_refuses_an_anthropic_only_provider(env: ToolEnv) -> None:
    provider = custom("claude-gw", {Protocol.ANTHROPIC: "https://gw.example.com"})
    with pytest.raises(TargetRefusal, match="Zed needs the openai-chat API"):
        Zed().plan(env, request(provider))


def test_plaintext_tool_refuses_when_no_key_is_stored(env: ToolEnv) -> None:
    with pytest.raises(TargetRefusal, match="No key is stored for DeepSeek"):
        Aider().plan(env, request(preset("deepseek"), key=None))


def test_indirect_tools_never_resolve_the_key(env: ToolEnv) -> None:
    for target in (ClaudeCode(), OpenCode(), QwenCode(), Zed(), Goose(), KiloCode(), FactoryDroid()):
        req = request(preset("deepseek"), key=None)  # resolve_key would return None: must not be asked
        plan = target.plan(env, req)
        assert plan.changes, target.id


# --- broken configs ---------------------------------------------------------------------------------------

_BROKEN = [
    (ClaudeCode(), ".claude/settings.json", '{\n  "env": {\n    // no comments in strict JSON\n  }\n}\n', 3),
    (Codex(), ".codex/config.toml", 'model = "a"\n\n[model_providers.x\nname = "x"\n', 3),
    (GeminiCli(), ".gemini/settings.json", '{\n  "ui": {\n    "theme": \n  }\n}\n', 4),
    (OpenCode(), ".config/opencode/opencode.json", '{\n  "model": "a/b"\n  "theme": "x"\n}\n', 3),
    (QwenCode(), ".qwen/settings.json", '{\n  "ui": [1, 2\n}\n', 3),
    (Aider(), ".aider.conf.yml", "model: a\n  weak-model: b\n: : :\n", 2),
    (ContinueDev(), ".continue/config.yaml", "name: x\nmodels:\n  - name: [unclosed\n", 4),
    (Zed(), ".config/zed/settings.json", "// zed\n{\n  \"theme\": \"One Dark\",,\n}\n", 3),
    (Goose(), ".config/goose/config.yaml", "GOOSE_PROVIDER: a\n\tGOOSE_MODEL: b\n", 2),
    (Cline(), ".cline/data/settings/providers.json", '{\n  "version": 1,\n  "providers": {,\n}\n', 3),
    (KiloCode(), ".config/kilo/kilo.json", '{\n  "model": "a/b"\n  "theme": "x"\n}\n', 3),
    (FactoryDroid(), ".factory/settings.json", '{\n  "customModels": [\n    {"model": }\n  ]\n}\n', 3),
]


@pytest.mark.parametrize(("target", "relative", "text", "line"), _BROKEN, ids=lambda v: getattr(v, "id", None))
def test_broken_config_raises_with_the_line_and_plans_nothing(
    target: Target, relative: str, text: str, line: int, env: ToolEnv
) -> None:
    path = write(env.home / relative, text)
    with pytest.raises(ConfigFileError) as caught:
        target.plan(env, request(_provider_for(target)))
    assert caught.value.path == path
    assert caught.value.line is not None
    assert abs(caught.value.line - line) <= 1, caught.value
    assert path.read_text() == text


def test_broken_goose_provider_file_is_not_replaced(env: ToolEnv) -> None:
    path = write(env.home / ".config/goose/custom_providers/custom_switchover.json", '{"name": ')
    with pytest.raises(ConfigFileError) as caught:
        Goose().plan(env, request(preset("deepseek")))
    assert caught.value.path == path


def test_non_utf8_config_is_reported(env: ToolEnv) -> None:
    path = env.home / ".claude" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{\n  "a": "\xff"\n}\n')
    with pytest.raises(ConfigFileError, match="UTF-8") as caught:
        ClaudeCode().plan(env, request(preset("deepseek")))
    assert caught.value.line == 2


def test_wrong_shape_is_a_config_error_not_a_crash(env: ToolEnv) -> None:
    write(env.home / ".claude/settings.json", '{"env": ["not", "an", "object"]}\n')
    with pytest.raises(ConfigFileError, match="env"):
        ClaudeCode().plan(env, request(preset("deepseek")))


# --- keyless local providers ------------------------------------------------------------------------------


def test_keyless_local_provider_gets_a_dummy_key_never_a_lookup(env: ToolEnv) -> None:
    ollama = preset("ollama")
    for target in all_targets():
        if target.id in ("codex", "gemini-cli"):
            continue  # Ollama offers neither Responses nor Gemini
        req = request(ollama, "qwen3-coder", key=None)
        plan = target.plan(env, req)
        assert not any(c.holds_secret for c in plan.changes), target.id
        apply(plan)
        current = target.current(env)
        assert current is not None and current.model == "qwen3-coder", target.id


def test_continue_uses_no_key_for_the_native_ollama_protocol(env: ToolEnv) -> None:
    ollama = custom("ollama-box", {Protocol.OLLAMA: "http://127.0.0.1:11434"}, Credential.none())
    plan = ContinueDev().plan(env, request(ollama, "qwen3-coder"))
    text = plan.changes[0].after.decode()
    assert "provider: ollama" in text and "apiKey" not in text


def _provider_for(target: Target):  # type: ignore[no-untyped-def]
    return {
        "codex": preset("openai"),
        "gemini-cli": preset("gemini"),
    }.get(target.id, preset("deepseek"))


def test_qwen_entry_goes_before_a_user_entry_with_the_same_id(env: ToolEnv) -> None:
    """Qwen Code uses the first entry with the model's id: Switchover's goes first, so it is in effect."""
    path = write(env.home / ".qwen/settings.json",
                 '{"$version": 4, "modelProviders": {"openai": [{"id": "deepseek-chat", "name": "Mine"}]}}')
    plan = QwenCode().plan(env, request(preset("deepseek"), "deepseek-chat"))
    assert plan.overrides == ()
    apply(plan)
    entries = json.loads(path.read_text())["modelProviders"]["openai"]
    assert [e["name"] for e in entries] == ["deepseek-chat (DeepSeek) (Switchover)", "Mine"]
    current = QwenCode().current(env)
    assert current is not None and current.in_effect and current.base_url == "https://api.deepseek.com/v1"
    entries.reverse()  # the user moves their own entry back to the top: now it wins, and Switchover says so
    path.write_text(json.dumps({"$version": 4, "modelProviders": {"openai": entries},
                                "security": {"auth": {"selectedType": "openai"}}, "model": {"name": "deepseek-chat"}}))
    current = QwenCode().current(env)
    assert current is not None and "“Mine” has the same id and comes first" in current.overrides[0].reason


def test_claude_leaves_the_subagent_model_alone_when_the_user_never_set_it(env: ToolEnv) -> None:
    plan = ClaudeCode().plan(env, request(preset("deepseek")))
    assert "CLAUDE_CODE_SUBAGENT_MODEL" not in json.loads(plan.changes[0].after)["env"]


# --- shell env file, sourced by a real shell --------------------------------------------------------------


def test_sourcing_env_sh_exports_the_key_fetched_by_the_command(env: ToolEnv, tmp_path: Path) -> None:
    import subprocess
    import sys

    from switchover.core.providers import Provider
    from switchover.core.switching.contract import SwitchRequest
    from switchover.targets.shell_env import ShellEnv

    env = make_env(env.home, env.cwd or tmp_path, SWITCHOVER_CONFIG_DIR=str(tmp_path / "cfg"))
    provider: Provider = preset("deepseek")
    req = SwitchRequest(provider, "deepseek-v4-pro", None, (sys.executable, "-c", "print('sk-from-' + 'keychain')"),
                        resolve_key=lambda: pytest.fail("env.sh must not need the key at planning time"))
    plan = ShellEnv().plan(env, req)
    apply(plan)
    script = f'. "{tmp_path / "cfg" / "env.sh"}"; printf "%s|%s|%s|%s|%s" "$OPENAI_API_KEY" ' \
             '"$ANTHROPIC_AUTH_TOKEN" "$SWITCHOVER_DEEPSEEK_API_KEY" "$OPENAI_BASE_URL" "${_switchover_key-unset}"'
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert out.stdout == "sk-from-keychain|sk-from-keychain|sk-from-keychain|https://api.deepseek.com/v1|unset"
    assert b"sk-from-keychain" not in plan.changes[0].after
    assert plan.changes[0].new_file_mode == 0o600


def test_shell_env_file_follows_the_injected_home_not_this_process(tmp_path: Path) -> None:
    from switchover.core import paths
    from switchover.targets.common import shell_env_file

    other = tmp_path / "other-home"
    assert shell_env_file(ToolEnv(other, {}, "linux")) == other / ".config" / "switchover" / "env.sh"
    assert shell_env_file(ToolEnv(other, {"XDG_CONFIG_HOME": str(tmp_path / "x")}, "linux")) == (
        tmp_path / "x" / "switchover" / "env.sh")
    assert shell_env_file(ToolEnv(other, {}, "darwin")) == (
        other / "Library" / "Application Support" / "switchover" / "env.sh")
    assert shell_env_file(ToolEnv(other, {"APPDATA": "C:/Users/u/AppData/Roaming"}, "win32")) == (
        Path("C:/Users/u/AppData/Roaming") / "switchover" / "env.sh")
    # For this process's own environment it agrees with core.paths.
    assert shell_env_file(ToolEnv.current()) == paths.config_dir() / "env.sh"


def test_droid_reads_the_users_own_custom_model_by_its_generated_id(env: ToolEnv) -> None:
    write(env.home / ".factory" / "settings.json", json.dumps({
        "sessionDefaultSettings": {"model": "custom:My-Box-1"},
        "customModels": [
            {"model": "first", "displayName": "My Box", "baseUrl": "http://127.0.0.1:1/v1",
             "provider": "generic-chat-completion-api"},
            {"model": "second", "displayName": "My  Box", "baseUrl": "http://127.0.0.1:2",
             "provider": "anthropic"},
        ]}))
    current = FactoryDroid().current(env)
    assert current is not None
    assert (current.model, current.base_url, current.protocol) == ("second", "http://127.0.0.1:2", Protocol.ANTHROPIC)
