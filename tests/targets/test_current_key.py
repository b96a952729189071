"""Each target finds the key its tool uses now (issue 14, finding 1): literally in its file, by the variable
it names, or Switchover's own indirection, so adoption can take the key into the keychain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from switchover.core.providers import AuthStyle, Credential
from switchover.core.switching.contract import FoundKey, Target, ToolEnv
from switchover.targets.registry import all_targets, get_target
from tests.targets.support import FAKE_KEY, apply, custom, make_env, request, write

KEY = "sk-user-ORIGINAL-0123456789abcdef"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    (path / ".config").mkdir(parents=True, exist_ok=True)
    return path


def env_at(home: Path, **environ: str) -> ToolEnv:
    cwd = home / "project"
    cwd.mkdir(exist_ok=True)
    return make_env(home, cwd, **environ)


def found(tool: str, env: ToolEnv) -> FoundKey | None:
    return get_target(tool).current_key(env)


def test_claude_code_auth_token_in_settings_env_is_a_bearer_key_in_plaintext(home: Path) -> None:
    settings = write(home / ".claude/settings.json", json.dumps({"env": {
        "ANTHROPIC_BASE_URL": "https://gw.example.com/anthropic", "ANTHROPIC_AUTH_TOKEN": KEY}}))
    key = found("claude-code", env_at(home))
    assert key is not None and key.value == KEY and key.auth is AuthStyle.BEARER
    assert key.plaintext_in == settings and "env.ANTHROPIC_AUTH_TOKEN" in key.where
    assert KEY not in repr(key)


def test_claude_code_api_key_from_the_environment_when_settings_have_none(home: Path) -> None:
    write(home / ".claude/settings.json", json.dumps({"model": "sonnet"}))
    key = found("claude-code", env_at(home, ANTHROPIC_API_KEY=KEY))
    assert key is not None and key.value == KEY and key.auth is AuthStyle.X_API_KEY
    assert key.plaintext_in is None and key.env_var == "ANTHROPIC_API_KEY"


def test_claude_code_own_helper_is_not_run(home: Path) -> None:
    write(home / ".claude/settings.json", json.dumps({"apiKeyHelper": "cat ~/secret"}))
    key = found("claude-code", env_at(home))
    assert key is not None and key.value is None and not key.ours and "not run" in key.note


def test_codex_env_key_names_the_variable_and_its_value(home: Path) -> None:
    write(home / ".codex/config.toml", 'model = "m"\nmodel_provider = "gw"\n[model_providers.gw]\n'
          'base_url = "https://gw.example.com/v1"\nenv_key = "GW_KEY"\nwire_api = "responses"\n')
    key = found("codex", env_at(home, GW_KEY=KEY))
    assert key is not None and key.value == KEY and key.env_var == "GW_KEY" and key.plaintext_in is None
    unset = found("codex", env_at(home))
    assert unset is not None and unset.value is None and "not set" in unset.note


def test_codex_builtin_openai_key_in_auth_json(home: Path) -> None:
    write(home / ".codex/config.toml", 'model = "gpt-5"\n')
    write(home / ".codex/auth.json", json.dumps({"OPENAI_API_KEY": KEY, "tokens": None}))
    key = found("codex", env_at(home))
    assert key is not None and key.value == KEY and "auth.json" in key.where
    assert key.plaintext_in is None  # Codex's login file is never edited
    write(home / ".codex/auth.json", json.dumps({"OPENAI_API_KEY": None, "tokens": {"id_token": "x"}}))
    login = found("codex", env_at(home))
    assert login is not None and login.value is None and "ChatGPT" in login.note


def test_gemini_key_in_its_dotenv_and_the_environment_wins(home: Path) -> None:
    write(home / ".gemini/settings.json", "{}")
    dotenv = write(home / ".gemini/.env", f"GEMINI_API_KEY={KEY}\n")
    key = found("gemini-cli", env_at(home))
    assert key is not None and key.value == KEY and key.plaintext_in == dotenv
    exported = found("gemini-cli", env_at(home, GEMINI_API_KEY="sk-exported-0123456789"))
    assert exported is not None and exported.value == "sk-exported-0123456789" and exported.plaintext_in is None


@pytest.mark.parametrize(("api_key", "environ", "expected", "var"), [
    (KEY, {}, KEY, None),
    ("{env:GW_KEY}", {"GW_KEY": KEY}, KEY, "GW_KEY"),
])
def test_opencode_entry_key_literal_or_env_reference(home: Path, api_key: str, environ: dict[str, str],
                                                      expected: str, var: str | None) -> None:
    options = {"baseURL": "https://gw.example.com/v1", "apiKey": api_key}
    write(home / ".config/opencode/opencode.json", json.dumps({
        "model": "gw/m1", "provider": {"gw": {"npm": "@ai-sdk/openai-compatible", "options": options}}}))
    key = found("opencode", env_at(home, **environ))
    assert key is not None and key.value == expected and key.env_var == var


def test_opencode_file_reference(home: Path) -> None:
    write(home / ".secrets/gw", KEY + "\n")
    write(home / ".config/opencode/opencode.json", json.dumps({
        "model": "gw/m1", "provider": {"gw": {"options": {"baseURL": "https://gw.example.com/v1",
                                                          "apiKey": "{file:~/.secrets/gw}"}}}}))
    key = found("opencode", env_at(home))
    assert key is not None and key.value == KEY and "~/.secrets/gw" in key.where


def test_qwen_env_key_from_its_dotenv(home: Path) -> None:
    write(home / ".qwen/settings.json", json.dumps({
        "security": {"auth": {"selectedType": "openai"}}, "model": {"name": "m1"},
        "modelProviders": {"openai": [{"id": "m1", "baseUrl": "https://gw.example.com/v1", "envKey": "GW_KEY"}]}}))
    write(home / ".qwen/.env", f"GW_KEY={KEY}\n")
    key = found("qwen-code", env_at(home))
    assert key is not None and key.value == KEY and key.env_var == "GW_KEY"


def test_aider_key_in_its_config_and_env_override(home: Path) -> None:
    conf = write(home / ".aider.conf.yml", f"model: openai/m1\nopenai-api-base: https://gw.example.com/v1\n"
                                          f"openai-api-key: {KEY}\n")
    key = found("aider", env_at(home))
    assert key is not None and key.value == KEY and key.plaintext_in == conf
    override = found("aider", env_at(home, AIDER_OPENAI_API_KEY="sk-aider-env-0123456789"))
    assert override is not None and override.value == "sk-aider-env-0123456789"


def test_continue_secret_reference_resolved_from_its_dotenv(home: Path) -> None:
    write(home / ".continue/config.yaml", "models:\n  - name: Mine\n    provider: openai\n    model: m1\n"
          "    apiBase: https://gw.example.com/v1\n    apiKey: ${{ secrets.GW_KEY }}\n")
    write(home / ".continue/.env", f"GW_KEY={KEY}\n")
    key = found("continue", env_at(home))
    assert key is not None and key.value == KEY and key.env_var == "GW_KEY"


def test_goose_api_key_env_from_environment_or_secrets_file(home: Path) -> None:
    write(home / ".config/goose/config.yaml", "GOOSE_PROVIDER: custom_gw\nGOOSE_MODEL: m1\n")
    write(home / ".config/goose/custom_providers/custom_gw.json", json.dumps({
        "name": "custom_gw", "engine": "openai", "base_url": "https://gw.example.com/v1/chat/completions",
        "api_key_env": "GW_KEY"}))
    assert (found("goose", env_at(home, GW_KEY=KEY)) or FoundKey("")).value == KEY
    write(home / ".config/goose/secrets.yaml", f"GW_KEY: {KEY}\n")
    key = found("goose", env_at(home))
    assert key is not None and key.value == KEY and "secrets.yaml" in key.where


@pytest.mark.parametrize("target", [t for t in all_targets() if t.id != "shell-env"], ids=lambda t: t.id)
def test_after_a_switch_the_key_is_switchovers_own_or_the_plaintext_it_had_to_write(home: Path,
                                                                                     target: Target) -> None:
    """What Switchover wrote is recognised: nothing to adopt, or (plaintext-only tools) exactly its key."""
    protocol = target.protocols[0]
    provider = custom("gw", {protocol: "https://gw.example.com" + ("/v1" if "openai" in protocol else "")},
                      Credential.keychain())
    env = env_at(home)
    apply(target.plan(env, request(provider)))
    key = target.current_key(env)
    if target.id in ("gemini-cli", "aider", "cline"):  # these read nothing but a plaintext key in their own file
        assert key is not None and key.value == FAKE_KEY
    elif target.id == "zed":
        assert key is None or key.ours  # Zed's key lives in its own keychain
    else:
        assert key is not None and key.ours and key.value is None, key
