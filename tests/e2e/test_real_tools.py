"""The real coding CLIs against stand-in providers on 127.0.0.1 (marker `realtools`).

Layer 1 (this file's first half) proves the harness: each pinned tool, given a hand-written minimal config
(the shapes documented in docs/real-tools.md), sends its turn to the stand-in with the configured model
and key and prints the stand-in's reply. These tests also pin the indirect-key mechanisms Switchover
relies on (Claude Code apiKeyHelper, Codex auth command, OpenCode {env:}/{file:}).

Layer 2 lives in test_real_switching.py: the same tools driven by `switchover use` / `switchover undo`.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_turn_served, run_tool, tools_installed
from tests.e2e.standin import StandinProvider

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(),
                       reason="real CLIs not installed: run scripts/install-real-tools (npm, ~45 s, 1.4 GB)"),
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- hand-written configs


def claude_settings(home: Path, standin: StandinProvider, model: str, **extra: object) -> None:
    env = {"ANTHROPIC_BASE_URL": standin.url, "ANTHROPIC_MODEL": model,
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    env.update({k: str(v) for k, v in extra.pop("env", {}).items()})  # type: ignore[attr-defined]
    write(home / ".claude" / "settings.json", json.dumps({**extra, "env": env}, indent=2))


def configure_claude_token(home: Path, standin: StandinProvider, model: str, key: str) -> dict[str, str]:
    claude_settings(home, standin, model, env={"ANTHROPIC_AUTH_TOKEN": key})
    return {}


def configure_codex_env_key(home: Path, standin: StandinProvider, model: str, key: str) -> dict[str, str]:
    write(home / ".codex" / "config.toml",
          f'model = "{model}"\nmodel_provider = "standin"\n\n[model_providers.standin]\nname = "Stand-in"\n'
          f'base_url = "{standin.url}/v1"\nenv_key = "STANDIN_KEY"\nwire_api = "responses"\n')
    return {"STANDIN_KEY": key}


def configure_gemini_dotenv(home: Path, standin: StandinProvider, model: str, key: str) -> dict[str, str]:
    write(home / ".gemini" / ".env", f"GEMINI_API_KEY={key}\nGOOGLE_GEMINI_BASE_URL={standin.url}\n")
    write(home / ".gemini" / "settings.json",
          json.dumps({"security": {"auth": {"selectedType": "gemini-api-key"}}, "model": {"name": model}}))
    return {}


def opencode_config(home: Path, standin: StandinProvider, model: str, api_key: str) -> None:
    config = {
        "$schema": "https://opencode.ai/config.json",
        "model": f"standin/{model}",
        "provider": {"standin": {"npm": "@ai-sdk/openai-compatible", "name": "Stand-in",
                                 "options": {"baseURL": f"{standin.url}/v1", "apiKey": api_key},
                                 "models": {model: {}}}},
    }
    write(home / ".config" / "opencode" / "opencode.json", json.dumps(config, indent=2))


def configure_opencode_env(home: Path, standin: StandinProvider, model: str, key: str) -> dict[str, str]:
    opencode_config(home, standin, model, "{env:STANDIN_KEY}")
    return {"STANDIN_KEY": key}


def configure_qwen_dotenv(home: Path, standin: StandinProvider, model: str, key: str) -> dict[str, str]:
    settings = {
        "$version": 4,
        "modelProviders": {"openai": [{"id": model, "name": f"Stand-in {model}",
                                       "baseUrl": f"{standin.url}/v1", "envKey": "STANDIN_KEY"}]},
        "security": {"auth": {"selectedType": "openai"}},
        "model": {"name": model},
    }
    write(home / ".qwen" / "settings.json", json.dumps(settings, indent=2))
    write(home / ".qwen" / ".env", f"STANDIN_KEY={key}\n")
    return {}


Configure = Callable[[Path, StandinProvider, str, str], dict[str, str]]
HAND_CONFIGS: dict[str, tuple[Configure, str]] = {
    "claude-code": (configure_claude_token, "/v1/messages"),
    "codex": (configure_codex_env_key, "/v1/responses"),
    "gemini-cli": (configure_gemini_dotenv, "/v1beta/models/model-a:streamGenerateContent"),
    "opencode": (configure_opencode_env, "/v1/chat/completions"),
    "qwen-code": (configure_qwen_dotenv, "/v1/chat/completions"),
}


# ----------------------------------------------------------------------------- layer 1: the harness


@pytest.mark.parametrize("tool", sorted(HAND_CONFIGS))
def test_tool_turn_reaches_standin_with_hand_written_config(
    tool: str, isolated_home: Path, workdir: Path, standin_a: StandinProvider
) -> None:
    configure, path_suffix = HAND_CONFIGS[tool]
    key = standin_a.state.key
    assert key is not None
    extra_env = configure(isolated_home, standin_a, "model-a", key)
    run = run_tool(tool, workdir, extra_env)
    assert_turn_served(run, standin_a, "model-a", key, path_suffix)


def test_tool_with_wrong_key_is_refused_by_standin(
    isolated_home: Path, workdir: Path, standin_a: StandinProvider
) -> None:
    """The stand-in really checks keys, so the key assertions elsewhere can fail."""
    configure_claude_token(isolated_home, standin_a, "model-a", "sk-wrong-key")
    run = run_tool("claude-code", workdir)
    assert standin_a.reply not in run.stdout, run.explain()
    assert {r.status for r in standin_a.requests} == {401}


def test_claude_code_api_key_helper_sends_helper_output_in_both_headers(
    isolated_home: Path, workdir: Path, standin_a: StandinProvider
) -> None:
    key = standin_a.state.key
    assert key is not None
    key_file = write(isolated_home / "key.txt", key + "\n")
    helper = f"{shlex.quote(sys.executable)} -c 'import sys; print(open(sys.argv[1]).read().strip())' " \
             f"{shlex.quote(str(key_file))}"
    # A key exported in the user's shell must not leak next to the helper's: blank it in settings.
    claude_settings(isolated_home, standin_a, "model-a", apiKeyHelper=helper, env={"ANTHROPIC_API_KEY": ""})
    run = run_tool("claude-code", workdir, {"ANTHROPIC_API_KEY": "sk-from-the-users-shell"})
    for request in assert_turn_served(run, standin_a, "model-a", key, "/v1/messages"):
        assert request.headers["authorization"] == f"Bearer {key}"
        assert request.headers["x-api-key"] == key


def test_claude_code_shell_api_key_leaks_into_x_api_key_unless_blanked(
    isolated_home: Path, workdir: Path
) -> None:
    """Why targets must write env.ANTHROPIC_API_KEY = "" next to apiKeyHelper (docs/real-tools.md)."""
    with StandinProvider("open") as open_standin:  # accepts any key: we only look at the headers
        claude_settings(isolated_home, open_standin, "model-a", apiKeyHelper="echo sk-helper-key")
        run = run_tool("claude-code", workdir, {"ANTHROPIC_API_KEY": "sk-from-the-users-shell"})
        assert run.returncode == 0, run.explain()
        (request,) = open_standin.model_requests()
    assert request.headers["authorization"] == "Bearer sk-helper-key"
    assert request.headers["x-api-key"] == "sk-from-the-users-shell"


def test_codex_auth_command_supplies_the_bearer_token(
    isolated_home: Path, workdir: Path, standin_a: StandinProvider
) -> None:
    key = standin_a.state.key
    assert key is not None
    write(isolated_home / ".codex" / "config.toml",
          f'model = "model-a"\nmodel_provider = "standin"\n\n[model_providers.standin]\nname = "Stand-in"\n'
          f'base_url = "{standin_a.url}/v1"\nwire_api = "responses"\n\n'
          f'[model_providers.standin.auth]\ncommand = {json.dumps(sys.executable)}\n'
          f'args = ["-c", "print({key!r})"]\ntimeout_ms = 20000\n')
    run = run_tool("codex", workdir)
    for request in assert_turn_served(run, standin_a, "model-a", key, "/v1/responses"):
        assert request.headers["authorization"] == f"Bearer {key}"


def test_opencode_reads_api_key_from_file_reference(
    isolated_home: Path, workdir: Path, standin_a: StandinProvider
) -> None:
    key = standin_a.state.key
    assert key is not None
    key_file = write(isolated_home / ".local" / "share" / "switchover-test-key", key)
    opencode_config(isolated_home, standin_a, "model-a", f"{{file:{key_file}}}")
    run = run_tool("opencode", workdir)
    assert_turn_served(run, standin_a, "model-a", key, "/v1/chat/completions")
