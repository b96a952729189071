"""Issue 15, finding 1, with the real tools: a switch the tool would not use is reported as such, and
`use --include-overrides` makes it take effect (marker `realtools`).

The user's own provider is a stand-in too (bravo), so "the tool kept using the old provider" is observed, not
guessed: before the fix the turn is served by bravo; after `--include-overrides` by alpha, with alpha's model
and key. Two undos give back the user's files byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_turn_served, run_tool, tools_installed
from tests.e2e.standin import StandinProvider
from tests.e2e.test_real_switching import add_provider, key_env
from tests.support.cli import run_switchover

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(),
                       reason="real CLIs not installed: run scripts/install-real-tools (npm, ~45 s, 1.4 GB)"),
]

# The user's build agent runs with a model of their own provider, and an allowlist leaves others out.
OPENCODE_CONFIG = """{
  "$schema": "https://opencode.ai/config.json",
  // mine: keep this comment
  "model": "mine/model-b",
  "enabled_providers": ["mine"],
  "agent": {"build": {"model": "mine/model-b", "temperature": 0.1}},
  "provider": {
    "mine": {"npm": "@ai-sdk/openai-compatible", "name": "Mine",
             "options": {"baseURL": "BRAVO/v1", "apiKey": "{env:MINE_KEY}"}, "models": {"model-b": {}}}
  }
}
"""

# Continue: the user picked their own model with /model in `cn`; Continue keeps that pick in globalContext.json.
CONTINUE_CONFIG = """name: Mine
version: 1.0.0
schema: v1
models:
  - name: My Model
    provider: openai
    model: model-b
    apiBase: BRAVO/v1
    apiKey: BRAVO_KEY
"""
CONTINUE_STATE = '{"cliSelectedModel": "My Model"}'


def snapshot_files(home: Path, relative: list[str]) -> dict[str, bytes | None]:
    return {rel: (home / rel).read_bytes() if (home / rel).exists() else None for rel in relative}


def _use(*args: str) -> tuple[int, str]:
    result = run_switchover(["use", "alpha/model-a", *args], timeout=60)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("tool", ["opencode", "continue"])
def test_switch_not_in_effect_is_reported_and_include_overrides_makes_it_take_effect(
        tool: str, isolated_home: Path, workdir: Path, standin_a: StandinProvider, standin_b: StandinProvider) -> None:
    key_a, key_b = standin_a.state.key, standin_b.state.key
    assert key_a is not None and key_b is not None
    if tool == "opencode":
        files = {".config/opencode/opencode.json": OPENCODE_CONFIG.replace("BRAVO", standin_b.url)}
        expected = [".config/opencode/opencode.json: enabled_providers", ".config/opencode/opencode.json: agent.build"]
    else:
        files = {".continue/config.yaml": CONTINUE_CONFIG.replace("BRAVO_KEY", key_b).replace("BRAVO", standin_b.url),
                 ".continue/index/globalContext.json": CONTINUE_STATE}
        expected = [".continue/index/globalContext.json: cliSelectedModel"]
    for rel, text in files.items():
        (isolated_home / rel).parent.mkdir(parents=True, exist_ok=True)
        (isolated_home / rel).write_text(text)
    original = snapshot_files(isolated_home, [*files, ".continue/.env"])
    add_provider("alpha", standin_a, "model-a")
    extra_env = {**key_env("alpha"), "MINE_KEY": key_b}

    code, output = _use("--tool", tool)
    assert code == 1 and "switched but not in effect" in output, output
    for fragment in expected:
        assert fragment in output, output
    run = run_tool(tool, workdir, extra_env)  # the tool really keeps using the user's own provider
    assert standin_a.model_requests() == [], run.explain()
    if tool == "continue":
        assert_turn_served(run, standin_b, "model-b", key_b, "/v1/chat/completions")

    standin_b.clear()
    code, output = _use("--tool", tool, "--include-overrides")
    assert "also changed (--include-overrides)" in output and "not in effect" not in output, output
    run = run_tool(tool, workdir, extra_env)
    assert_turn_served(run, standin_a, "model-a", key_a, "/v1/chat/completions")
    assert standin_b.model_requests() == []
    if tool == "opencode":
        assert "// mine: keep this comment" in (isolated_home / ".config/opencode/opencode.json").read_text()

    for _ in range(2):
        undone = run_switchover(["undo"], timeout=60)
        assert undone.returncode == 0, undone.stdout + undone.stderr
    assert snapshot_files(isolated_home, [*files, ".continue/.env"]) == original


# A file the tool ranks above the one Switchover edits picks the user's own model (bravo): Droid's
# settings.local.json over settings.json, Kilo's ~/.kilo/ config folder over ~/.config/kilo/.
MINE_DROID = {"id": "custom:mine", "model": "model-b", "displayName": "Mine", "baseUrl": "BRAVO",
              "apiKey": "${MINE_KEY}", "provider": "anthropic"}
MINE_KILO = {"model": "mine/model-b", "provider": {"mine": {
    "npm": "@ai-sdk/openai-compatible", "name": "Mine",
    "options": {"baseURL": "BRAVO/v1", "apiKey": "{env:MINE_KEY}"}, "models": {"model-b": {}}}}}
HIGHER_RANKED = {
    "factory-droid": ({".factory/settings.json": "{}\n",
                       ".factory/settings.local.json": json.dumps({"sessionDefaultSettings": {"model": "custom:mine"},
                                                                   "customModels": [MINE_DROID]})},
                      ".factory/settings.local.json: sessionDefaultSettings.model", "/v1/messages"),
    "kilo-code": ({".config/kilo/kilo.json": '{"$schema": "https://app.kilo.ai/config.json"}\n',
                   ".config/kilo/.bash-permission-migrated": "",
                   ".kilo/kilo.json": json.dumps(MINE_KILO)},
                  ".kilo/kilo.json: model", "/v1/chat/completions"),
}


@pytest.mark.parametrize("tool", sorted(HIGHER_RANKED))
def test_a_higher_ranked_file_is_reported_and_the_real_tool_indeed_keeps_its_model(
        tool: str, isolated_home: Path, workdir: Path, standin_a: StandinProvider, standin_b: StandinProvider) -> None:
    """The in-effect check reads the tool's precedence right: Switchover says "not in effect" and names the
    file, and the real tool's turn goes to the user's own provider, not to the one switched to."""
    if not tools_installed(tool):
        pytest.fail(f"{tool} is not installed (scripts/install-real-tools)")
    key_b = standin_b.state.key
    assert key_b is not None
    files, expected, path = HIGHER_RANKED[tool]
    for rel, text in files.items():
        (isolated_home / rel).parent.mkdir(parents=True, exist_ok=True)
        (isolated_home / rel).write_text(text.replace("BRAVO", standin_b.url))
    add_provider("alpha", standin_a, "model-a")
    code, output = _use("--tool", tool)
    assert code == 1 and "switched but not in effect" in output and expected in output, output
    run = run_tool(tool, workdir, {**key_env("alpha"), "MINE_KEY": key_b})
    assert standin_a.model_requests() == [], run.explain()
    assert_turn_served(run, standin_b, "model-b", key_b, path)
