"""Golden-file tests: every target on realistic configs full of settings it must not touch.

For each target: plan a switch to provider A, apply it, check the owned keys, check that everything else
(values and comments) is unchanged, read it back with `current()`; then switch to provider B from the result
and check again against the original sample; then plan B again and expect no change at all.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from switchover.core.providers import Credential, Protocol
from switchover.core.switching.contract import SwitchRequest, Target, ToolEnv
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
from switchover.targets.shell_env import ShellEnv
from switchover.targets.zed import Zed
from tests.targets.support import (
    FAKE_KEY,
    apply,
    comments,
    custom,
    install,
    make_env,
    parse,
    preset,
    request,
    without,
)

Data = dict[str, Any]


@dataclass(frozen=True)
class Sample:
    name: str
    path: Callable[[ToolEnv], Path]
    kind: str
    strip: Callable[[Any], Any]  # the data minus everything the target owns


@dataclass(frozen=True)
class Golden:
    target: Target
    samples: tuple[Sample, ...]
    first: Callable[[], SwitchRequest]
    second: Callable[[], SwitchRequest]
    # Assert the owned values after a switch: (env, request, {sample name: parsed data}).
    expect: Callable[[ToolEnv, SwitchRequest, dict[str, Any]], None]
    secret_files: tuple[str, ...] = ()  # file names that must be marked holds_secret when a key is needed


def _marked(entries: Any, marker: str = " (Switchover)") -> list[Any]:
    return [e for e in entries or [] if not str(e.get("name", "")).endswith(marker)]


# --- Claude Code ------------------------------------------------------------------------------------------

def _claude_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    settings = docs["claude_settings.json"]
    endpoint = req.provider.endpoint(Protocol.ANTHROPIC)
    assert endpoint is not None
    assert settings["env"]["ANTHROPIC_BASE_URL"] == endpoint.base_url
    for var in ("ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL"):
        assert settings["env"][var] == req.model
    assert settings["model"] == "opus"  # the user's alias: its variable is left out (Claude would rewrite the file)
    assert "ANTHROPIC_DEFAULT_OPUS_MODEL" not in settings["env"]
    assert settings["env"]["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == (req.small_model or req.model)
    assert settings["env"]["ANTHROPIC_API_KEY"] == ""
    assert settings["env"]["CLAUDE_CODE_SUBAGENT_MODEL"] == req.model  # set by the user: kept in step
    assert "ANTHROPIC_SMALL_FAST_MODEL" not in settings["env"]
    if req.provider.credential.kind == "none":
        assert settings["env"]["ANTHROPIC_AUTH_TOKEN"] == "switchover-local"
        assert "apiKeyHelper" not in settings
    else:
        assert "ANTHROPIC_AUTH_TOKEN" not in settings["env"]  # the user's old plaintext token is gone
        assert settings["apiKeyHelper"] == f"'/opt/switch over/bin/switchover' key {req.provider.name}"


def _claude_strip(data: Data) -> Data:
    env_vars = ("ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL",
                "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL", "ANTHROPIC_SMALL_FAST_MODEL",
                "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_SUBAGENT_MODEL")
    return without(data, ("apiKeyHelper",), *(("env", v) for v in env_vars))


CLAUDE = Golden(
    target=ClaudeCode(),
    samples=(Sample("claude_settings.json", lambda e: e.home / ".claude" / "settings.json", "json",
                    _claude_strip),),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat"),
    second=lambda: request(preset("ollama"), "qwen3-coder"),
    expect=_claude_expect,
)

# --- Codex ------------------------------------------------------------------------------------------------


def _codex_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    config = docs["codex_config.toml"]
    assert config["model"] == req.model
    assert config["model_provider"] == "switchover"
    table = config["model_providers"]["switchover"]
    assert table["base_url"] == req.provider.endpoint(Protocol.OPENAI_RESPONSES).base_url  # type: ignore[union-attr]
    assert table["wire_api"] == "responses"
    assert "env_key" not in table  # cannot be combined with auth
    if req.provider.credential.kind == "none":
        assert "auth" not in table
    else:
        assert table["auth"] == {"command": "/opt/switch over/bin/switchover", "args": ["key", req.provider.name]}


CODEX = Golden(
    target=Codex(),
    samples=(Sample("codex_config.toml", lambda e: e.home / ".codex" / "config.toml", "toml",
                    lambda d: without(d, ("model",), ("model_provider",), ("model_providers", "switchover"))),),
    first=lambda: request(preset("openai"), "gpt-5.1-codex", "gpt-5-mini"),
    second=lambda: request(custom("responses-proxy", {Protocol.OPENAI_RESPONSES: "http://127.0.0.1:4000/v1"},
                                  Credential.none()), "local-coder"),
    expect=_codex_expect,
)

# --- Gemini CLI -------------------------------------------------------------------------------------------


def _gemini_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    settings, dotenv = docs["gemini_settings.json"], docs["gemini.env"]
    assert settings["security"]["auth"]["selectedType"] == "gemini-api-key"
    assert settings["model"]["name"] == req.model
    base_url = req.provider.endpoint(Protocol.GEMINI).base_url  # type: ignore[union-attr]
    if base_url == "https://generativelanguage.googleapis.com":
        assert "GOOGLE_GEMINI_BASE_URL" not in dotenv
    else:
        assert dotenv["GOOGLE_GEMINI_BASE_URL"] == base_url
    expected_key = "switchover-local" if req.provider.credential.kind == "none" else FAKE_KEY
    assert dotenv["GEMINI_API_KEY"] == expected_key


GEMINI = Golden(
    target=GeminiCli(),
    samples=(
        Sample("gemini_settings.json", lambda e: e.home / ".gemini" / "settings.json", "jsonc",
               lambda d: without(d, ("security", "auth", "selectedType"), ("model", "name"))),
        Sample("gemini.env", lambda e: e.home / ".gemini" / ".env", "dotenv",
               lambda d: without(d, ("GEMINI_API_KEY",), ("GOOGLE_GEMINI_BASE_URL",))),
    ),
    first=lambda: request(preset("gemini"), "gemini-2.5-pro"),
    second=lambda: request(custom("gemini-proxy", {Protocol.GEMINI: "http://127.0.0.1:8787"}), "model-g"),
    expect=_gemini_expect,
    secret_files=(".env",),
)

# --- OpenCode ---------------------------------------------------------------------------------------------


def _opencode_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    _opencode_shape(docs["opencode.jsonc"], req)


def _opencode_shape(config: Any, req: SwitchRequest) -> None:
    entry = config["provider"]["switchover"]
    assert config["model"] == f"switchover/{req.model}"
    if req.small_model:
        assert config["small_model"] == f"switchover/{req.small_model}"
    else:
        assert "small_model" not in config
    if req.provider.endpoint(Protocol.OPENAI_CHAT):
        assert entry["npm"] == "@ai-sdk/openai-compatible"
        assert entry["options"]["baseURL"] == req.provider.endpoint(Protocol.OPENAI_CHAT).base_url  # type: ignore[union-attr]
    else:
        assert entry["npm"] == "@ai-sdk/anthropic"
        assert entry["options"]["baseURL"] == req.provider.endpoint(Protocol.ANTHROPIC).base_url + "/v1"  # type: ignore[union-attr]
    expected_key = "{env:SWITCHOVER_" + req.provider.name.upper().replace("-", "_") + "_API_KEY}"
    assert entry["options"]["apiKey"] == expected_key
    assert set(entry["models"]) == {m for m in (req.model, req.small_model) if m}


OPENCODE = Golden(
    target=OpenCode(),
    samples=(Sample("opencode.jsonc", lambda e: e.home / ".config" / "opencode" / "opencode.jsonc", "jsonc",
                    lambda d: without(d, ("model",), ("small_model",), ("provider", "switchover"))),),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat"),
    second=lambda: request(custom("claude-gw", {Protocol.ANTHROPIC: "https://gw.example.com/anthropic"}),
                           "claude-x"),
    expect=_opencode_expect,
)

# --- Qwen Code --------------------------------------------------------------------------------------------


def _qwen_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    settings = docs["qwen_settings.json"]
    endpoint = req.provider.endpoint(Protocol.OPENAI_CHAT)
    assert endpoint is not None
    assert settings["security"]["auth"]["selectedType"] == "openai"
    assert settings["model"]["name"] == req.model
    ours = [e for e in settings["modelProviders"]["openai"] if e["name"].endswith(" (Switchover)")]
    assert [e["id"] for e in ours] == [m for m in (req.model, req.small_model) if m]
    for entry in ours:
        assert entry["baseUrl"] == endpoint.base_url
        assert entry["envKey"] == "SWITCHOVER_" + req.provider.name.upper() + "_API_KEY"
        assert "apiKey" not in entry


def _qwen_strip(data: Data) -> Data:
    data = without(data, ("security", "auth", "selectedType"), ("model", "name"))
    data["modelProviders"] = {k: _marked(v) for k, v in data.get("modelProviders", {}).items()}
    return data


QWEN = Golden(
    target=QwenCode(),
    samples=(Sample("qwen_settings.json", lambda e: e.home / ".qwen" / "settings.json", "jsonc", _qwen_strip),),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat"),
    second=lambda: request(preset("zai"), "glm-5.2"),
    expect=_qwen_expect,
)

# --- Aider ------------------------------------------------------------------------------------------------


def _aider_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    config = docs["aider.conf.yml"]
    assert config["model"] == config["editor-model"] == f"openai/{req.model}"
    assert config.get("weak-model") == (f"openai/{req.small_model}" if req.small_model else None)
    assert config["openai-api-base"] == req.provider.endpoint(Protocol.OPENAI_CHAT).base_url  # type: ignore[union-attr]
    expected_key = "switchover-local" if req.provider.credential.kind == "none" else FAKE_KEY
    assert config["openai-api-key"] == expected_key


AIDER = Golden(
    target=Aider(),
    samples=(Sample("aider.conf.yml", lambda e: e.home / ".aider.conf.yml", "yaml",
                    lambda d: without(d, ("model",), ("weak-model",), ("editor-model",), ("openai-api-base",),
                                         ("openai-api-key",))),),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat"),
    second=lambda: request(preset("ollama"), "qwen3-coder"),
    expect=_aider_expect,
    secret_files=(".aider.conf.yml",),
)

# --- Continue ---------------------------------------------------------------------------------------------


def _continue_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    config, dotenv = docs["continue_config.yaml"], docs["continue.env"]
    ours = [m for m in config["models"] if m["name"] == "Switchover"]
    assert len(ours) == 1
    entry = ours[0]
    assert entry["model"] == req.model
    var = "SWITCHOVER_" + req.provider.name.upper().replace("-", "_") + "_API_KEY"
    assert entry["apiKey"] == "${{ secrets." + var + " }}"
    assert dotenv[var] == FAKE_KEY
    assert [k for k in dotenv if k.startswith("SWITCHOVER_")] == [var]  # the previous provider's key is gone
    if req.provider.endpoint(Protocol.OPENAI_CHAT):
        assert (entry["provider"], entry["apiBase"]) == ("openai", req.provider.endpoint(Protocol.OPENAI_CHAT).base_url)  # type: ignore[union-attr]
    else:
        anthropic = req.provider.endpoint(Protocol.ANTHROPIC)
        assert (entry["provider"], entry["apiBase"]) == ("anthropic", anthropic.base_url + "/v1/")  # type: ignore[union-attr]


def _continue_strip(data: Data) -> Data:
    data = dict(data)
    data["models"] = [m for m in data.get("models") or [] if m.get("name") != "Switchover"]
    return data


CONTINUE = Golden(
    target=ContinueDev(),
    samples=(
        Sample("continue_config.yaml", lambda e: e.home / ".continue" / "config.yaml", "yaml", _continue_strip),
        Sample("continue.env", lambda e: e.home / ".continue" / ".env", "dotenv",
               lambda d: {k: v for k, v in d.items() if not k.startswith("SWITCHOVER_")}),
    ),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro"),
    second=lambda: request(custom("claude-gw", {Protocol.ANTHROPIC: "https://gw.example.com/anthropic"}),
                           "claude-x"),
    expect=_continue_expect,
    secret_files=(".env",),
)

# --- Zed --------------------------------------------------------------------------------------------------


def _zed_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    settings = docs["zed_settings.json"]
    entry = settings["language_models"]["openai_compatible"]["Switchover"]
    assert entry["api_url"] == req.provider.endpoint(Protocol.OPENAI_CHAT).base_url  # type: ignore[union-attr]
    assert [m["name"] for m in entry["available_models"]] == [m for m in (req.model, req.small_model) if m]
    assert all(m["max_tokens"] > 0 for m in entry["available_models"])
    assert settings["agent"]["default_model"] == {"provider": "Switchover", "model": req.model}


ZED = Golden(
    target=Zed(),
    samples=(Sample("zed_settings.json", lambda e: e.home / ".config" / "zed" / "settings.json", "jsonc",
                    lambda d: without(d, ("language_models", "openai_compatible"), ("agent", "default_model"))),),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat"),
    second=lambda: request(preset("zai"), "glm-5.2"),
    expect=_zed_expect,
)

# --- Goose ------------------------------------------------------------------------------------------------


def _goose_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    import json

    config = docs["goose_config.yaml"]
    assert (config["GOOSE_PROVIDER"], config["GOOSE_MODEL"]) == ("custom_switchover", req.model)
    custom_file = env.home / ".config" / "goose" / "custom_providers" / "custom_switchover.json"
    provider = json.loads(custom_file.read_text())
    assert provider["name"] == "custom_switchover"
    chat = req.provider.endpoint(Protocol.OPENAI_CHAT)
    assert chat is not None
    assert (provider["engine"], provider["base_url"]) == ("openai", chat.base_url + "/chat/completions")
    if req.provider.credential.kind == "none":
        assert (provider["api_key_env"], provider["requires_auth"]) == ("", False)
    else:
        assert provider["api_key_env"] == "SWITCHOVER_" + req.provider.name.upper() + "_API_KEY"


GOOSE = Golden(
    target=Goose(),
    samples=(Sample("goose_config.yaml", lambda e: e.home / ".config" / "goose" / "config.yaml", "yaml",
                    lambda d: without(d, ("GOOSE_PROVIDER",), ("GOOSE_MODEL",))),),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro"),
    second=lambda: request(preset("ollama"), "qwen3-coder"),
    expect=_goose_expect,
)

# --- Kilo Code CLI (an OpenCode fork: same shape, own files) -----------------------------------------------

KILO = Golden(
    target=KiloCode(),
    samples=(Sample("kilo.jsonc", lambda e: e.home / ".config" / "kilo" / "kilo.jsonc", "jsonc",
                    lambda d: without(d, ("model",), ("small_model",), ("provider", "switchover"))),),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat"),
    second=lambda: request(custom("claude-gw", {Protocol.ANTHROPIC: "https://gw.example.com/anthropic"}),
                           "claude-x"),
    expect=lambda _env, req, docs: _opencode_shape(docs["kilo.jsonc"], req),
)

# --- Cline CLI --------------------------------------------------------------------------------------------


def _cline_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    data = docs["cline_providers.json"]
    chat = req.provider.endpoint(Protocol.OPENAI_CHAT)
    provider_id = "openai-compatible" if chat else "anthropic"
    assert data["lastUsedProvider"] == provider_id
    entry = data["providers"][provider_id]
    expected_url = chat.base_url if chat else req.provider.endpoint(Protocol.ANTHROPIC).base_url + "/v1"  # type: ignore[union-attr]
    expected_key = "switchover-local" if req.provider.credential.kind == "none" else FAKE_KEY
    assert entry["settings"] == {"provider": provider_id, "apiKey": expected_key, "model": req.model,
                                 "baseUrl": expected_url}
    assert entry["updatedAt"] and entry["tokenSource"] == "manual"
    assert data["providers"]["openrouter"]["settings"]["apiKey"] == "sk-or-users-own-key"  # the user's own


CLINE = Golden(
    target=Cline(),
    samples=(Sample("cline_providers.json", lambda e: e.home / ".cline" / "data" / "settings" / "providers.json",
                    "json", lambda d: without(d, ("lastUsedProvider",), ("providers", "openai-compatible", "settings"),
                                              ("providers", "anthropic"))),),
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat"),
    second=lambda: request(custom("claude-gw", {Protocol.ANTHROPIC: "https://gw.example.com/anthropic"}),
                           "claude-x"),
    expect=_cline_expect,
    secret_files=("providers.json",),
)

# --- Factory Droid ----------------------------------------------------------------------------------------


def _droid_expect(env: ToolEnv, req: SwitchRequest, docs: dict[str, Any]) -> None:
    settings = docs["droid_settings.json"]
    assert settings["sessionDefaultSettings"]["model"] == f"custom:switchover:{req.model}"
    ours = [m for m in settings["customModels"] if m.get("id", "").startswith("custom:switchover:")]
    assert [m["model"] for m in ours] == [m for m in (req.model, req.small_model) if m]
    anthropic = req.provider.endpoint(Protocol.ANTHROPIC)
    responses = req.provider.endpoint(Protocol.OPENAI_RESPONSES)
    chat = req.provider.endpoint(Protocol.OPENAI_CHAT)
    kind, url = (("anthropic", anthropic.base_url) if anthropic else ("openai", responses.base_url) if responses
                 else ("generic-chat-completion-api", chat.base_url))  # type: ignore[union-attr]
    var = "SWITCHOVER_" + req.provider.name.upper().replace("-", "_") + "_API_KEY"
    expected_key = "switchover-local" if req.provider.credential.kind == "none" else "${" + var + "}"
    for entry in ours:
        assert (entry["provider"], entry["baseUrl"], entry["apiKey"]) == (kind, url, expected_key)
        assert entry["displayName"].endswith(" (Switchover)")
    assert settings["customModels"][0]["displayName"] == "My Ollama"  # the user's own model, still first


DROID = Golden(
    target=FactoryDroid(),
    samples=(Sample("droid_settings.json", lambda e: e.home / ".factory" / "settings.json", "json",
                    lambda d: _droid_strip(d)),),  # noqa: PLW0108 - defined below
    first=lambda: request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat"),
    second=lambda: request(preset("ollama"), "qwen3-coder"),
    expect=_droid_expect,
)


def _droid_strip(data: Data) -> Data:
    data = without(data, ("sessionDefaultSettings", "model"))
    data["customModels"] = [m for m in data.get("customModels", [])
                            if not m.get("id", "").startswith("custom:switchover:")]
    return data


ALL = (CLAUDE, CODEX, GEMINI, OPENCODE, QWEN, AIDER, CONTINUE, ZED, GOOSE, KILO, CLINE, DROID)


@pytest.fixture
def env(isolated_home: Path, tmp_path: Path) -> ToolEnv:
    project = tmp_path / "project"
    project.mkdir()
    return make_env(isolated_home, project)


def _switch(golden: Golden, env: ToolEnv, req: SwitchRequest, originals: dict[str, bytes]) -> None:
    plan = golden.target.plan(env, req)
    assert plan.tool == golden.target.id
    assert plan.changes, "a switch to a new provider must change something"
    _assert_secrets_handled(golden, req, plan.changes)
    apply(plan)
    docs: dict[str, Any] = {}
    for sample in golden.samples:
        after = sample.path(env).read_bytes()
        docs[sample.name] = parse(sample.kind, after)
        before_data = parse(sample.kind, originals[sample.name])
        assert sample.strip(docs[sample.name]) == sample.strip(before_data), f"{sample.name}: unowned data changed"
        assert comments(sample.kind, after) == comments(sample.kind, originals[sample.name]), (
            f"{sample.name}: comments lost or reordered"
        )
    golden.expect(env, req, docs)
    current = golden.target.current(env)
    assert current is not None
    assert (current.base_url, current.model) == (plan.endpoint.base_url, req.model)
    assert current.protocol == plan.endpoint.protocol


def _assert_secrets_handled(golden: Golden, req: SwitchRequest, changes: Any) -> None:
    for change in changes:
        if FAKE_KEY.encode() in change.after:
            assert change.holds_secret, f"{change.path} holds the key but is not marked holds_secret"
            assert change.new_file_mode == 0o600
            assert change.path.name in golden.secret_files
        else:
            assert not change.holds_secret
    needs_key = req.provider.credential.kind != "none"
    if golden.secret_files and needs_key:
        assert any(c.holds_secret for c in changes), "the plaintext key was expected in a secret file"


@pytest.mark.parametrize("golden", ALL, ids=lambda g: g.target.id)
def test_switch_twice_keeps_everything_not_owned(golden: Golden, env: ToolEnv) -> None:
    originals = {s.name: install(s.name, s.path(env)) for s in golden.samples}
    _switch(golden, env, golden.first(), originals)
    second = golden.second()
    _switch(golden, env, second, originals)
    again = golden.target.plan(env, second)
    assert again.changes == (), "planning the same switch again must be a no-op"


@pytest.mark.parametrize("golden", ALL, ids=lambda g: g.target.id)
def test_switch_on_a_fresh_home_creates_working_files(golden: Golden, env: ToolEnv) -> None:
    req = golden.first()
    plan = golden.target.plan(env, req)
    assert all(c.before is None for c in plan.changes)
    _assert_secrets_handled(golden, req, plan.changes)
    apply(plan)
    for change in plan.changes:
        mode = stat.S_IMODE(change.path.stat().st_mode)
        assert mode & 0o077 == 0 if change.holds_secret else True
    current = golden.target.current(env)
    assert current is not None
    assert (current.base_url, current.model) == (plan.endpoint.base_url, req.model)


def test_shell_env_file_exports_without_a_plaintext_key(env: ToolEnv, tmp_path: Path) -> None:
    config_dir = tmp_path / "switchover-config"
    env = make_env(env.home, env.cwd or tmp_path, SWITCHOVER_CONFIG_DIR=str(config_dir))
    target = ShellEnv()
    req = request(preset("deepseek"), "deepseek-v4-pro", "deepseek-chat")
    plan = target.plan(env, req)
    assert [c.path for c in plan.changes] == [config_dir / "env.sh"]
    change = plan.changes[0]
    assert FAKE_KEY.encode() not in change.after and not change.holds_secret
    apply(plan)
    text = (config_dir / "env.sh").read_text()
    assert "_switchover_key=\"$('/opt/switch over/bin/switchover' key deepseek)\"" in text
    assert "export ANTHROPIC_BASE_URL=https://api.deepseek.com/anthropic" in text
    assert "export OPENAI_BASE_URL=https://api.deepseek.com/v1" in text
    assert 'export OPENAI_API_KEY="$_switchover_key"' in text
    assert 'export SWITCHOVER_DEEPSEEK_API_KEY="$_switchover_key"' in text
    current = target.current(env)
    assert current is not None
    assert (current.base_url, current.model) == ("https://api.deepseek.com/anthropic", "deepseek-v4-pro")
    second = target.plan(env, request(preset("ollama"), "qwen3-coder"))
    apply(second)
    text = (config_dir / "env.sh").read_text()
    assert "deepseek" not in text and "switchover key" not in text
    assert "export OPENAI_API_KEY=switchover-local" in text
    assert target.plan(env, request(preset("ollama"), "qwen3-coder")).changes == ()
