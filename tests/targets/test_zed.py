"""Issue 15, finding 2: Zed's `agent.default_model` is edited inside (siblings and comments stay), and the
legacy `assistant` key is handled the way Zed's own settings migration reads it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from switchover.core.switching.contract import ToolEnv
from switchover.targets.zed import Zed
from tests.targets.support import apply, make_env, preset, request


@pytest.fixture
def env(isolated_home: Path, tmp_path: Path) -> ToolEnv:
    return make_env(isolated_home, tmp_path)


def _settings(env: ToolEnv, text: str) -> Path:
    path = env.home / ".config" / "zed" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _data(path: Path) -> dict[str, object]:
    text = re.sub(r"(?m)^\s*//.*$", "", path.read_text())
    text = re.sub(r"//[^\n\"]*$", "", text, flags=re.MULTILINE)
    loaded: dict[str, object] = json.loads(text)
    return loaded


def test_default_model_is_edited_inside_keeping_sibling_keys_and_comments(env: ToolEnv) -> None:
    path = _settings(env, """{
  "agent": {
    "default_model": {
      // my favourite
      "provider": "anthropic",
      "model": "claude-sonnet-4-5",
      "enable_thinking": true
    },
    "always_allow_tool_actions": false
  }
}
""")
    apply(Zed().plan(env, request(preset("deepseek"), "deepseek-chat")))
    text = path.read_text()
    assert """    "default_model": {
      // my favourite
      "provider": "Switchover",
      "model": "deepseek-chat",
      "enable_thinking": true
    },""" in text
    current = Zed().current(env)
    assert current is not None and current.model == "deepseek-chat"


def test_legacy_assistant_alone_is_what_zed_reads_so_it_is_edited(env: ToolEnv) -> None:
    path = _settings(env, '{\n  "assistant": {\n    "version": "2",\n    "default_model": {"provider": "openai", '
                          '"model": "gpt-4o"},\n    "dock": "right"\n  }\n}\n')
    plan = Zed().plan(env, request(preset("deepseek"), "deepseek-chat"))
    apply(plan)
    data = _data(path)
    assert "agent" not in data  # no second key Zed would have to reconcile
    assert data["assistant"] == {"version": "2", "default_model": {"provider": "Switchover", "model": "deepseek-chat"},
                                 "dock": "right"}
    current = Zed().current(env)
    assert current is not None and (current.model, current.base_url) == ("deepseek-chat",
                                                                         "https://api.deepseek.com/v1")
    assert not any("legacy" in w for w in plan.warnings)


@pytest.mark.parametrize(("order", "used", "ignored"), [(("agent", "assistant"), "assistant", "agent"),
                                                         (("assistant", "agent"), "agent", "assistant")])
def test_with_both_keys_the_later_one_wins_and_the_user_is_told(env: ToolEnv, order: tuple[str, str], used: str,
                                                                ignored: str) -> None:
    blocks = {key: f'  "{key}": {{\n    "default_model": {{"provider": "openai", "model": "{key}-model"}}\n  }}'
              for key in order}
    path = _settings(env, "{\n" + ",\n".join(blocks[k] for k in order) + "\n}\n")
    plan = Zed().plan(env, request(preset("deepseek"), "deepseek-chat"))
    apply(plan)
    data = _data(path)
    assert data[used] == {"default_model": {"provider": "Switchover", "model": "deepseek-chat"}}
    assert data[ignored] == {"default_model": {"provider": "openai", "model": f"{ignored}-model"}}
    warning = next(w for w in plan.warnings if "legacy" in w)
    assert f"uses “{used}”" in warning and f"ignores “{ignored}”" in warning
    current = Zed().current(env)
    assert current is not None and current.model == "deepseek-chat"
