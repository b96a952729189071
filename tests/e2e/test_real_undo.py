"""Issue 15, finding 6, with the real Qwen Code: undo after the tool migrated its own settings.json.

Qwen Code 0.24.4 rewrites a settings.json without `"$version"` on its first run (adds `"$version": 4`,
re-formats the object it migrates). Undo used to refuse ("changed after the switch"); now it takes back
Switchover's keys and keeps the migration (marker `realtools`).
"""

from __future__ import annotations

import json
import re
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

# A settings file from before Qwen Code numbered them: no "$version".
QWEN_UNVERSIONED = """{
  // my qwen settings: keep this comment
  "ui": {"theme": "Default"},
  "mcpServers": {
    "docs": {"command": "true", "args": ["my-hook-marker"]}
  },
  "modelProviders": {
    "openai": [
      {"id": "qwen3-coder-plus", "name": "My DashScope", "baseUrl": "http://127.0.0.1:9/v1",
       "envKey": "MY_DASHSCOPE_KEY"}
    ]
  },
  "security": {"auth": {"selectedType": "openai"}},
  "model": {"name": "qwen3-coder-plus"}
}
"""


def _data(text: str) -> object:
    return json.loads(re.sub(r"(?m)^\s*//.*$", "", text))


def test_undo_after_qwen_code_migrated_its_settings_keeps_the_migration(
        isolated_home: Path, workdir: Path, standin_a: StandinProvider) -> None:
    path = isolated_home / ".qwen" / "settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(QWEN_UNVERSIONED)
    add_provider("alpha", standin_a, "model-a")
    used = run_switchover(["use", "alpha/model-a", "--tool", "qwen-code"], timeout=60)
    assert used.returncode == 0, used.stdout + used.stderr

    key = standin_a.state.key
    assert key is not None
    run = run_tool("qwen-code", workdir, key_env("alpha"))
    assert_turn_served(run, standin_a, "model-a", key, "/v1/chat/completions")
    migrated = path.read_text()
    assert '"$version": 4' in migrated, migrated  # the tool rewrote its own file after the switch

    undone = run_switchover(["undo"], timeout=60)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert "changes made since the switch were kept" in undone.stdout
    assert "-" in undone.stdout and '"name": "qwen3-coder-plus"' in undone.stdout  # the diff of what undo did
    text = path.read_text()
    assert "// my qwen settings: keep this comment" in text
    assert _data(text) == {**_data(QWEN_UNVERSIONED), "$version": 4}  # Switchover's keys back, migration kept
