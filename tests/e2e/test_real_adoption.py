"""Adoption round trip with the real tools (issue 14, finding 1): the user's own setup works before, is
adopted by `switchover import`, the tool is switched away and back, and the stand-in then sees the original
key again (marker `realtools`).

Claude Code's key sits in plaintext in settings.json (ANTHROPIC_AUTH_TOKEN); Codex names a variable
(`env_key`). After the switch back both fetch the key from the keychain by `switchover key NAME`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_turn_served, run_tool, tools_installed
from tests.e2e.standin import StandinProvider
from tests.support.cli import run_switchover

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(), reason="real CLIs not installed (scripts/install-real-tools)"),
]


def switchover(*args: str, env: dict[str, str] | None = None,
               stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = run_switchover(list(args), input=stdin, env=None if env is None else dict(os.environ) | env, timeout=90)
    assert result.returncode == 0, f"switchover {' '.join(args)} exited {result.returncode}\n" \
                                   f"{result.stdout}\n{result.stderr}"
    return result


def adopted_provider(tool: str, env: dict[str, str] | None = None) -> str:
    data = json.loads(switchover("import", "--tool", tool, "--json", env=env).stdout)
    [adoption] = data["adoptions"]
    assert adoption["key"] == "to-keychain", adoption
    return str(adoption["provider"])


def test_claude_code_import_switch_away_and_back_sends_the_original_key(
        isolated_home: Path, workdir: Path, standin_a: StandinProvider, standin_b: StandinProvider) -> None:
    key_a, key_b = standin_a.state.key, standin_b.state.key
    assert key_a and key_b
    settings = isolated_home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": standin_a.url, "ANTHROPIC_AUTH_TOKEN": key_a,
                                            "ANTHROPIC_MODEL": "model-a"}}, indent=2))
    assert_turn_served(run_tool("claude-code", workdir), standin_a, "model-a", key_a, "/v1/messages")  # before

    name = adopted_provider("claude-code")
    switchover("provider", "add", "bravo", "--anthropic-url", standin_b.url, "--model", "model-b", "--key-stdin",
               stdin=key_b + "\n")
    switchover("use", "bravo/model-b", "--tool", "claude-code")
    standin_b.clear()
    assert_turn_served(run_tool("claude-code", workdir), standin_b, "model-b", key_b, "/v1/messages")

    switchover("use", f"{name}/model-a", "--tool", "claude-code")
    assert key_a not in settings.read_text()  # now fetched by the key helper, not written
    standin_a.clear()
    standin_b.clear()
    assert_turn_served(run_tool("claude-code", workdir), standin_a, "model-a", key_a, "/v1/messages")
    assert standin_b.requests == []


def test_codex_env_key_import_switch_away_and_back_sends_the_original_key(
        isolated_home: Path, workdir: Path, standin_a: StandinProvider, standin_b: StandinProvider) -> None:
    key_a, key_b = standin_a.state.key, standin_b.state.key
    assert key_a and key_b
    config = isolated_home / ".codex" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'model = "model-a"\nmodel_provider = "mine"\n\n[model_providers.mine]\nname = "Mine"\n'
                      f'base_url = "{standin_a.url}/v1"\nenv_key = "MINE_KEY"\nwire_api = "responses"\n')
    mine = {"MINE_KEY": key_a}
    assert_turn_served(run_tool("codex", workdir, mine), standin_a, "model-a", key_a, "/v1/responses")

    name = adopted_provider("codex", env=mine)  # the key is read from the variable Codex names
    switchover("provider", "add", "bravo", "--responses-url", f"{standin_b.url}/v1", "--model", "model-b",
               "--key-stdin", stdin=key_b + "\n")
    switchover("use", "bravo/model-b", "--tool", "codex")
    standin_b.clear()
    assert_turn_served(run_tool("codex", workdir), standin_b, "model-b", key_b, "/v1/responses")

    switchover("use", f"{name}/model-a", "--tool", "codex")
    standin_a.clear()
    standin_b.clear()
    # Started without MINE_KEY now: the key comes from the keychain through Codex's auth command.
    assert_turn_served(run_tool("codex", workdir), standin_a, "model-a", key_a, "/v1/responses")
    assert standin_b.requests == []
