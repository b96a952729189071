"""Issue 15, finding 1: each target reports what the tool will actually use, by the tool's own precedence.

A switch that only rewrites the user config is not in effect when the tool ranks something else higher; the
target names it (`CurrentChoice.overrides`: reason, file, key) and, where Switchover can change it, plans that
change only when the request asks for it (`include_overrides`), listing it either way.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.targets.continue_dev import ContinueDev
from tests.targets.support import apply, make_env, preset, request


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


@pytest.fixture
def env(isolated_home: Path, project: Path) -> ToolEnv:
    return make_env(isolated_home, project)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def including_overrides(req: SwitchRequest) -> SwitchRequest:
    return dataclasses.replace(req, include_overrides=True)


# --- Continue ---------------------------------------------------------------------------------------------

CONTINUE = """name: Mine
version: 1.0.0
schema: v1
models:
  - name: Autocomplete
    provider: ollama
    model: small
    roles: [autocomplete]
  - name: My GPT
    provider: openai
    model: gpt-4o
"""


def test_continue_entry_goes_first_so_it_is_the_chat_model_continue_uses(env: ToolEnv) -> None:
    path = write(env.home / ".continue" / "config.yaml", CONTINUE)
    apply(ContinueDev().plan(env, request(preset("deepseek"), "deepseek-chat")))
    names = [m["name"] for m in YAML(typ="safe").load(path.read_text())["models"]]
    assert names == ["Switchover", "Autocomplete", "My GPT"]
    current = ContinueDev().current(env)
    assert current is not None and current.in_effect
    assert (current.model, current.base_url) == ("deepseek-chat", "https://api.deepseek.com/v1")


def test_continue_user_model_listed_first_is_what_it_uses(env: ToolEnv) -> None:
    write(env.home / ".continue" / "config.yaml", CONTINUE + "  - name: Switchover\n    provider: openai\n"
                                                            "    model: deepseek-chat\n")
    current = ContinueDev().current(env)
    assert current is not None and current.model == "gpt-4o"  # what Continue really uses
    assert [(o.key, o.reason) for o in current.overrides] == [
        ("models", "Continue uses the first chat model, “My GPT”")]


def test_continue_model_picked_in_the_cli_menu_is_an_override_fixed_only_on_request(env: ToolEnv) -> None:
    write(env.home / ".continue" / "config.yaml", CONTINUE)
    state = write(env.home / ".continue" / "index" / "globalContext.json",
                  '{"cliSelectedModel": "My GPT", "sharedConfig": {}}')
    req = request(preset("deepseek"), "deepseek-chat")
    plan = ContinueDev().plan(env, req)
    assert [c.path for c in plan.changes] == [env.home / ".continue" / "config.yaml",
                                              env.home / ".continue" / ".env"]
    assert [(o.path, o.key, o.fix) for o in plan.overrides] == [(state, "cliSelectedModel",
                                                                 "pick “Switchover” there instead")]
    apply(plan)
    current = ContinueDev().current(env)
    assert current is not None and not current.in_effect and current.model == "gpt-4o"
    assert "picked with /model, “My GPT”" in current.overrides[0].describe()

    fixing = ContinueDev().plan(env, including_overrides(req))
    assert fixing.overrides == () and [o.key for o in fixing.fixed] == ["cliSelectedModel"]
    apply(fixing)
    assert json.loads(state.read_text()) == {"cliSelectedModel": "Switchover", "sharedConfig": {}}
    current = ContinueDev().current(env)
    assert current is not None and current.in_effect and current.model == "deepseek-chat"


def test_continue_stale_menu_pick_naming_no_model_is_ignored_like_continue_does(env: ToolEnv) -> None:
    write(env.home / ".continue" / "config.yaml", CONTINUE)
    write(env.home / ".continue" / "index" / "globalContext.json", '{"cliSelectedModel": "Gone"}')
    plan = ContinueDev().plan(env, request(preset("deepseek"), "deepseek-chat"))
    assert plan.overrides == ()
    apply(plan)
    current = ContinueDev().current(env)
    assert current is not None and current.in_effect


def test_continue_global_dir_variable_moves_the_folder(isolated_home: Path, project: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    env = make_env(isolated_home, project, CONTINUE_GLOBAL_DIR=str(moved))
    plan = ContinueDev().plan(env, request(preset("deepseek"), "deepseek-chat"))
    assert {c.path for c in plan.changes} == {moved / "config.yaml", moved / ".env"}
