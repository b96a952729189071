"""Issue 15, finding 1: each target reports what the tool will actually use, by the tool's own precedence.

A switch that only rewrites the user config is not in effect when the tool ranks something else higher; the
target names it (`CurrentChoice.overrides`: reason, file, key) and, where Switchover can change it, plans that
change only when the request asks for it (`include_overrides`), listing it either way.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from switchover.core.switching import SwitchEngine
from switchover.core.switching.contract import SwitchPlan, SwitchRequest, ToolEnv
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
from switchover.targets.zed import Zed
from tests.targets.support import FAKE_KEY, apply, make_env, preset, request, write


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


# --- OpenCode ---------------------------------------------------------------------------------------------

OPENCODE_USER = """{
  "$schema": "https://opencode.ai/config.json",
  // mine
  "model": "anthropic/claude-sonnet-4-5"%s
}
"""


def _opencode(env: ToolEnv, extra: str) -> Path:
    return write(env.xdg_config_home() / "opencode" / "opencode.json", OPENCODE_USER % extra)


def _oc_plan(env: ToolEnv, include: bool = False) -> SwitchPlan:
    req = request(preset("deepseek"), "deepseek-chat")
    return OpenCode().plan(env, including_overrides(req) if include else req)


@pytest.mark.parametrize(("extra", "key", "fixed"), [
    ('  "enabled_providers": ["anthropic", "openai"]', "enabled_providers", ["anthropic", "openai", "switchover"]),
    ('  "disabled_providers": ["switchover", "openai"]', "disabled_providers", ["openai"]),
])
def test_opencode_provider_lists_that_leave_out_switchover_are_fixed_only_on_request(
        env: ToolEnv, extra: str, key: str, fixed: list[str]) -> None:
    path = _opencode(env, ",\n" + extra)
    plan = _oc_plan(env)
    assert [(o.path, o.key, bool(o.fix)) for o in plan.overrides] == [(path, key, True)]
    assert "(the run fails)" in plan.overrides[0].reason
    apply(plan)
    current = OpenCode().current(env)
    assert current is not None and not current.in_effect and [o.key for o in current.overrides] == [key]
    fixing = _oc_plan(env, include=True)
    assert fixing.overrides == () and [o.key for o in fixing.fixed] == [key]
    apply(fixing)
    assert json.loads(_strip(path.read_text()))[key] == fixed
    assert "// mine" in path.read_text()
    current = OpenCode().current(env)
    assert current is not None and current.in_effect and current.model == "deepseek-chat"


@pytest.mark.parametrize("sections", [("agent",), ("mode",), ("agent", "mode")])
def test_opencode_agent_with_a_model_of_its_own_is_reported_and_fixed_on_request(
        env: ToolEnv, sections: tuple[str, ...]) -> None:
    extra = "".join(f',\n  "{s}": {{"build": {{"model": "anthropic/claude-opus-4", "temperature": 0.2}}}}'
                    for s in sections)
    path = _opencode(env, extra)
    plan = _oc_plan(env)
    winner = "mode" if "mode" in sections else "agent"  # mode (legacy) wins when both are set: verified
    assert [(o.key, o.path) for o in plan.overrides] == [(f"{winner}.build.model", path)]
    assert "the build agent runs with a model of its own, anthropic/claude-opus-4" in plan.overrides[0].reason
    apply(plan)
    current = OpenCode().current(env)
    assert current is not None and current.model == "claude-opus-4" and not current.in_effect
    apply(_oc_plan(env, include=True))
    data = json.loads(_strip(path.read_text()))
    for section in sections:
        assert data[section]["build"] == {"model": "switchover/deepseek-chat", "temperature": 0.2}
    current = OpenCode().current(env)
    assert current is not None and current.in_effect and current.base_url == "https://api.deepseek.com/v1"


def test_opencode_default_agent_decides_which_agent_model_counts(env: ToolEnv) -> None:
    _opencode(env, ',\n  "default_agent": "plan",\n  "agent": {"plan": {"model": "anthropic/x"}, '
                   '"build": {"model": "anthropic/y"}}')
    apply(_oc_plan(env))
    current = OpenCode().current(env)
    assert current is not None and current.model == "x" and current.overrides[0].key == "agent.plan.model"


def test_opencode_project_file_and_inline_config_are_reported_without_a_fix(env: ToolEnv, project: Path) -> None:
    _opencode(env, "")
    project_file = write(project / "opencode.json", '{"model": "anthropic/project-model"}')
    plan = _oc_plan(env)
    assert [(o.path, o.key, o.fix) for o in plan.overrides] == [(project_file, "model", "")]
    assert _oc_plan(env, include=True).fixed == ()
    inline = make_env(env.home, project, OPENCODE_CONFIG_CONTENT='{"model": "anthropic/inline"}')
    apply(plan)
    current = OpenCode().current(inline)
    assert current is not None and current.model == "inline"
    assert [(o.path, o.key) for o in current.overrides] == [(None, "OPENCODE_CONFIG_CONTENT")]
    hostile = make_env(env.home, project, OPENCODE_CONFIG_CONTENT="[" * 100_000 + "]" * 100_000)
    current = OpenCode().current(hostile)  # bad JSON like any other: ignored, never a RecursionError
    assert current is not None and current.model == "project-model"  # the project file, as without it
    assert [(o.path, o.key) for o in current.overrides] == [(project_file, "model")]


def test_opencode_agent_model_equal_to_the_switch_is_no_override(env: ToolEnv) -> None:
    _opencode(env, ',\n  "agent": {"build": {"model": "switchover/deepseek-chat"}}')
    assert _oc_plan(env).overrides == ()


def _strip(text: str) -> str:
    return re.sub(r"(?m)^\s*//.*$", "", text)


# --- Claude Code, Codex, Gemini CLI, Qwen Code, Aider, Goose, Zed -------------------------------------------


def test_claude_code_project_settings_that_set_the_endpoint_are_overrides(env: ToolEnv, project: Path) -> None:
    write(project / ".claude" / "settings.json", '{"env": {"ANTHROPIC_BASE_URL": "https://proxy.example"}}')
    apply(ClaudeCode().plan(env, request(preset("deepseek"), "deepseek-chat")))
    current = ClaudeCode().current(env)
    assert current is not None and current.base_url == "https://proxy.example"
    assert [o.key for o in current.overrides] == ["env.ANTHROPIC_BASE_URL"]
    write(project / ".claude" / "settings.json", '{"env": {"ANTHROPIC_BASE_URL": "https://api.deepseek.com/anthropic"}}')
    current = ClaudeCode().current(env)
    assert current is not None and current.in_effect  # the same value is no override


def test_codex_trusted_project_model_is_an_override_its_provider_is_not(env: ToolEnv, project: Path) -> None:
    """codex 0.169.0: a trusted project's `model` wins; `model_provider` there is ignored; untrusted: nothing."""
    config = write(env.home / ".codex" / "config.toml", f'[projects."{project}"]\ntrust_level = "trusted"\n')
    write(project / ".codex" / "config.toml", 'model = "gpt-5"\nmodel_provider = "openai"\n')
    apply(Codex().plan(env, request(preset("openai"), "gpt-4.1")))
    current = Codex().current(env)
    assert current is not None and current.model == "gpt-5"
    assert current.base_url == "https://api.openai.com/v1" and current.protocol is not None
    assert [(o.key, o.path) for o in current.overrides] == [("model", project / ".codex" / "config.toml")]
    config.write_text(config.read_text().replace('"trusted"', '"untrusted"'))
    current = Codex().current(env)
    assert current is not None and current.in_effect and current.model == "gpt-4.1"


def test_gemini_model_variable_and_project_settings_are_overrides(env: ToolEnv, project: Path) -> None:
    apply(GeminiCli().plan(env, request(preset("gemini"), "gemini-2.5-pro")))
    shell = make_env(env.home, project, GEMINI_MODEL="gemini-2.5-flash")
    current = GeminiCli().current(shell)
    assert current is not None and current.model == "gemini-2.5-flash"
    assert [(o.path, o.key) for o in current.overrides] == [(None, "GEMINI_MODEL")]
    write(project / ".gemini" / "settings.json", '{"model": {"name": "gemini-exp"}}')
    current = GeminiCli().current(env)
    assert current is not None and current.model == "gemini-exp" and current.overrides[0].key == "model.name"


def test_qwen_project_env_file_setting_the_key_variable_is_an_override(env: ToolEnv, project: Path) -> None:
    apply(QwenCode().plan(env, request(preset("deepseek"), "deepseek-chat")))
    current = QwenCode().current(env)
    assert current is not None and current.in_effect
    shadow = write(project / ".env", "SWITCHOVER_DEEPSEEK_API_KEY=sk-project-key\n")
    current = QwenCode().current(env)
    assert current is not None and [(o.path, o.key) for o in current.overrides] == [
        (shadow, "SWITCHOVER_DEEPSEEK_API_KEY")]
    assert "sk-project-key" not in current.overrides[0].describe()


def test_aider_variables_project_env_and_project_config_are_overrides(env: ToolEnv, project: Path) -> None:
    apply(Aider().plan(env, request(preset("deepseek"), "deepseek-chat")))
    current = Aider().current(env)
    assert current is not None and current.in_effect
    dotenv = write(project / ".env", "AIDER_OPENAI_API_BASE=http://127.0.0.1:9/v1\n")
    current = Aider().current(env)
    assert current is not None and current.base_url == "http://127.0.0.1:9/v1"
    assert [(o.path, o.key) for o in current.overrides] == [(dotenv, "AIDER_OPENAI_API_BASE")]
    dotenv.unlink()
    (project / ".git").mkdir()
    config = write(project / ".aider.conf.yml", "model: gpt-4o\n")
    current = Aider().current(env)
    assert current is not None and current.model == "gpt-4o"
    assert [(o.path, o.key) for o in current.overrides] == [(config, "model")]


def test_goose_variables_are_overrides(env: ToolEnv, project: Path) -> None:
    apply(Goose().plan(env, request(preset("deepseek"), "deepseek-chat")))
    current = Goose().current(make_env(env.home, project, GOOSE_MODEL="other"))
    assert current is not None and current.model == "other"
    assert [(o.path, o.key) for o in current.overrides] == [(None, "GOOSE_MODEL")]


def test_zed_with_ai_turned_off_is_not_in_effect(env: ToolEnv) -> None:
    path = write(env.xdg_config_home() / "zed" / "settings.json", '{\n  "disable_ai": true\n}\n')
    plan = Zed().plan(env, request(preset("deepseek"), "deepseek-chat"))
    assert [(o.path, o.key) for o in plan.overrides] == [(path, "disable_ai")]


# --- Cline CLI, Factory Droid, Kilo Code CLI -----------------------------------------------------------------


def test_cline_acp_variables_are_overrides_only_when_they_say_something_else(env: ToolEnv) -> None:
    """An editor running Cline as its agent (`cline --acp`) takes $CLINE_PROVIDER/$CLINE_MODEL/$CLINE_API_KEY
    over providers.json (the pinned CLI's code); a terminal run has no project file or variable above it."""
    apply(Cline().plan(env, request(preset("deepseek"), "deepseek-chat")))
    current = Cline().current(env)
    assert current is not None and current.in_effect and current.model == "deepseek-chat"
    same = make_env(env.home, env.cwd or env.home, CLINE_PROVIDER="openai-compatible", CLINE_MODEL="deepseek-chat",
                    CLINE_API_KEY=FAKE_KEY)
    current = Cline().current(same)
    assert current is not None and current.in_effect, [o.describe() for o in current.overrides]
    other = make_env(env.home, env.cwd or env.home, CLINE_PROVIDER="anthropic", CLINE_MODEL="claude-x",
                     CLINE_API_KEY="sk-someone-else-0123456789")
    current = Cline().current(other)
    assert current is not None and [(o.path, o.key) for o in current.overrides] == [
        (None, "CLINE_PROVIDER"), (None, "CLINE_MODEL"), (None, "CLINE_API_KEY")]
    assert "when an editor runs Cline as its agent (ACP)" in current.overrides[0].describe()
    assert all("sk-someone-else" not in o.describe() for o in current.overrides)
    plan = Cline().plan(other, request(preset("deepseek"), "deepseek-chat"))
    assert [o.key for o in plan.overrides] == ["CLINE_PROVIDER", "CLINE_MODEL", "CLINE_API_KEY"]
    assert all(not o.fix for o in plan.overrides)  # only the user can unset a variable


def test_cline_and_droid_and_kilo_variables_set_in_shell_files_are_conflicts(env: ToolEnv) -> None:
    from switchover.services.conflicts import find_conflicts

    write(env.home / ".bashrc", "export CLINE_DIR=/elsewhere\nexport FACTORY_RUNTIME_SETTINGS_PATH=/x.json\n"
                                "export KILO_CONFIG_CONTENT='{}'\nexport OPENAI_API_KEY=sk-shell-0123456789\n")
    found = {(c.tool, c.var): c for c in find_conflicts([Cline(), FactoryDroid(), KiloCode()], env,
                                                         installed_only=False)}
    assert found[("cline", "CLINE_DIR")].overrides and found[("cline", "CLINE_DIR")].setting.line == 1
    assert found[("factory-droid", "FACTORY_RUNTIME_SETTINGS_PATH")].overrides
    assert found[("kilo-code", "KILO_CONFIG_CONTENT")].overrides
    assert not found[("cline", "OPENAI_API_KEY")].overrides  # read only without an apiKey, which we write


DROID_MINE = {"id": "custom:mine", "model": "mine-model", "displayName": "Mine", "baseUrl": "https://proxy.example",
              "apiKey": "${MINE_KEY}", "provider": "anthropic"}


def test_droid_project_settings_that_pick_a_model_are_overrides(env: ToolEnv, project: Path) -> None:
    apply(FactoryDroid().plan(env, request(preset("deepseek"), "deepseek-chat")))
    current = FactoryDroid().current(env)
    assert current is not None and current.in_effect and current.model == "deepseek-chat"
    shared = write(project / ".factory" / "settings.json", json.dumps(
        {"sessionDefaultSettings": {"model": "custom:mine"}, "customModels": [DROID_MINE]}))
    current = FactoryDroid().current(env)
    assert current is not None and (current.model, current.base_url) == ("mine-model", "https://proxy.example")
    assert [(o.path, o.key) for o in current.overrides] == [(shared, "sessionDefaultSettings.model")]
    # The project's settings.local.json ranks above its settings.json; naming our model is no override.
    write(project / ".factory" / "settings.local.json", '{"sessionDefaultSettings": {"model": '
                                                         '"custom:switchover:deepseek-chat"}}')
    current = FactoryDroid().current(env)
    assert current is not None and current.in_effect and current.model == "deepseek-chat"
    # The plan says it before anything is written.
    (project / ".factory" / "settings.local.json").unlink()
    plan = FactoryDroid().plan(env, request(preset("deepseek"), "deepseek-reasoner"))
    assert [(o.path, o.key) for o in plan.overrides] == [(shared, "sessionDefaultSettings.model")]


def test_droid_runtime_settings_rank_above_the_project_and_a_broken_layer_is_reported(
        env: ToolEnv, project: Path, tmp_path: Path) -> None:
    apply(FactoryDroid().plan(env, request(preset("deepseek"), "deepseek-chat")))
    write(project / ".factory" / "settings.json", json.dumps({"model": "custom:mine", "customModels": [DROID_MINE]}))
    runtime = write(tmp_path / "runtime.json", json.dumps(
        {"sessionDefaultSettings": {"model": "custom:switchover:deepseek-chat"}}))
    current = FactoryDroid().current(make_env(env.home, project, FACTORY_RUNTIME_SETTINGS_PATH=str(runtime)))
    assert current is not None and current.in_effect and current.model == "deepseek-chat"
    current = FactoryDroid().current(env)
    assert current is not None and current.model == "mine-model" and current.overrides[0].key == "model"  # legacy
    broken = write(env.home / ".factory" / "settings.local.json", '{"sessionDefaultSettings": ')
    current = FactoryDroid().current(env)
    assert current is not None and broken in [o.path for o in current.overrides]


def test_kilo_config_folders_and_its_own_inline_variable_are_overrides(env: ToolEnv, project: Path) -> None:
    apply(KiloCode().plan(env, request(preset("deepseek"), "deepseek-chat")))
    current = KiloCode().current(env)
    assert current is not None and current.in_effect
    # OpenCode's variable means nothing to Kilo; Kilo's own inline config wins over every file.
    current = KiloCode().current(make_env(env.home, project, OPENCODE_CONFIG_CONTENT='{"model": "x/y"}'))
    assert current is not None and current.in_effect
    current = KiloCode().current(make_env(env.home, project, KILO_CONFIG_CONTENT='{"model": "x/y"}'))
    assert current is not None and [(o.path, o.key) for o in current.overrides] == [(None, "KILO_CONFIG_CONTENT")]
    # A config folder in the home (~/.kilo) ranks above ~/.config/kilo; so does $KILO_CONFIG_DIR.
    home_dir = write(env.home / ".kilo" / "kilo.json", '{"model": "other/model-a"}')
    current = KiloCode().current(env)
    assert current is not None and [(o.path, o.key) for o in current.overrides] == [(home_dir, "model")]
    home_dir.unlink()
    extra = write(env.home / "kilo-extra" / "kilo.jsonc", '{"model": "other/model-b"}')
    current = KiloCode().current(make_env(env.home, project, KILO_CONFIG_DIR=str(extra.parent)))
    assert current is not None and [(o.path, o.key) for o in current.overrides] == [(extra, "model")]
    # The nearer project file wins over the outer one; KILO_DISABLE_PROJECT_CONFIG turns both off.
    (project / ".git").mkdir()
    outer = write(project / "kilo.json", '{"model": "outer/m"}')
    inner = write(project / "sub" / "kilo.json", '{"model": "inner/m"}')
    deeper = make_env(env.home, project / "sub")
    assert KiloCode().override_paths(deeper) == (outer, inner)
    current = KiloCode().current(deeper)
    assert current is not None and [(o.path, o.key) for o in current.overrides] == [(inner, "model")]
    quiet = make_env(env.home, project / "sub", KILO_DISABLE_PROJECT_CONFIG="1")
    current = KiloCode().current(quiet)
    assert current is not None and current.in_effect


# --- the engine: `use` lists what would keep the switch from taking effect, `verify` says it -----------------


def test_engine_verify_reports_switched_but_not_in_effect_and_include_overrides_fixes_it(
        env: ToolEnv, tmp_path: Path) -> None:
    path = _opencode(env, ',\n  "enabled_providers": ["anthropic"]')
    engine = SwitchEngine([OpenCode()], env, tmp_path / "data")
    req = request(preset("deepseek"), "deepseek-chat")
    result = engine.use(req, ["opencode"])
    outcome = result.outcomes[0]
    assert outcome.status == "switched" and [o.key for o in outcome.fixable] == ["enabled_providers"]
    report = engine.verify(result)[0]
    assert not report.ok and not report.in_effect
    assert report.problems == (f"switched but not in effect: OpenCode loads only the providers in enabled_providers, "
                               f"and “switchover” is not one of them (the run fails) ({path}: enabled_providers)",)

    fixed = engine.use(including_overrides(req), ["opencode"])
    assert [o.key for o in fixed.outcomes[0].fixed] == ["enabled_providers"] and fixed.outcomes[0].overrides == ()
    report = engine.verify(fixed)[0]
    assert report.ok and report.in_effect
    engine.undo()  # the allowlist entry is part of the switch: undo takes it back
    assert json.loads(_strip(path.read_text()))["enabled_providers"] == ["anthropic"]
