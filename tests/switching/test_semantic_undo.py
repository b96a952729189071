"""Issue 15, findings 6 and 7: undo after the tool rewrote its own file, read-only files, created folders.

Undo restores byte for byte when nothing changed since the switch. When the tool (or the user) changed the file
since (Qwen Code adds `$version` and re-formats on its first run, Codex records trusted projects, Continue's
user adds a model), undo puts back only the keys the switch changed and keeps the rest, showing a diff; when one
of Switchover's own keys changed too it refuses, and `--force` still restores the backup byte for byte.
"""

from __future__ import annotations

import json
import re
import stat
import tomllib
from pathlib import Path

import pytest

from switchover.core.errors import SwitchoverError
from switchover.core.switching import SwitchEngine, UndoError
from switchover.core.switching.contract import ToolEnv
from switchover.targets.registry import all_targets
from tests.targets.support import make_env, preset, request


@pytest.fixture
def env(isolated_home: Path, tmp_path: Path) -> ToolEnv:
    project = tmp_path / "project"
    project.mkdir()
    return make_env(isolated_home, project)


@pytest.fixture
def engine(env: ToolEnv, tmp_path: Path) -> SwitchEngine:
    return SwitchEngine(all_targets(), env, tmp_path / "data")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


QWEN = """{
  // my qwen settings: keep this comment
  "ui": {"theme": "Default"},
  "modelProviders": {
    "openai": [
      {"id": "qwen3-coder-plus", "name": "My DashScope", "baseUrl": "https://dashscope.example/v1",
       "envKey": "MY_DASHSCOPE_KEY"}
    ]
  },
  "security": {"auth": {"selectedType": "openai"}},
  "model": {"name": "qwen3-coder-plus"}
}
"""


def _qwen_migrates(path: Path) -> None:
    """What Qwen Code 0.24.4 did on its first run with a settings.json without $version (docs/real-tools.md):
    re-formats the `model` object and appends "$version": 4."""
    text = path.read_text()
    block = re.search(r'"model": \{"name": "([^"]+)"\}\n}', text)
    assert block is not None, text
    migrated = f'"model": {{\n    "name": "{block.group(1)}"\n  }},\n  "$version": 4\n}}\n'
    path.write_text(text[: block.start()] + migrated)


def test_undo_after_the_tool_migrated_its_file_keeps_the_migration_and_takes_back_the_switch(
        env: ToolEnv, engine: SwitchEngine) -> None:
    path = write(env.home / ".qwen" / "settings.json", QWEN)
    engine.use(request(preset("deepseek"), "deepseek-chat"), ["qwen-code"])
    _qwen_migrates(path)
    migrated = path.read_text()
    assert '"name": "deepseek-chat"' in migrated and '"$version": 4' in migrated

    result = engine.undo()
    text = path.read_text()
    assert result.kept == (str(path),)
    expected = QWEN.replace('"model": {"name": "qwen3-coder-plus"}\n}',
                            '"model": {\n    "name": "qwen3-coder-plus"\n  },\n  "$version": 4\n}')
    assert text == expected  # the tool's migration kept, every key Switchover set back, byte for byte
    assert '-    "name": "deepseek-chat"' in result.diff and '+    "name": "qwen3-coder-plus"' in result.diff
    with pytest.raises(UndoError, match="no switch to undo"):
        engine.undo()


def test_undo_refuses_when_one_of_switchovers_own_keys_changed_and_force_restores_the_backup(
        env: ToolEnv, engine: SwitchEngine) -> None:
    path = write(env.home / ".qwen" / "settings.json", QWEN)
    engine.use(request(preset("deepseek"), "deepseek-chat"), ["qwen-code"])
    path.write_text(path.read_text().replace('"name": "deepseek-chat"', '"name": "my-pick"'))
    with pytest.raises(UndoError, match=r"settings.json \(model.name changed since the switch\).*--force"):
        engine.undo()
    assert '"name": "my-pick"' in path.read_text()  # nothing was changed
    engine.undo(force=True)
    assert path.read_text() == QWEN


def test_codex_trusting_a_project_after_the_switch_survives_undo(env: ToolEnv, engine: SwitchEngine) -> None:
    original = '# my codex config\nmodel = "gpt-5"\napproval_policy = "on-request"\n\n[tui]\nnotifications = true\n'
    path = write(env.home / ".codex" / "config.toml", original)
    engine.use(request(preset("openai"), "gpt-4.1"), ["codex"])
    with path.open("a") as handle:  # what Codex writes when the user trusts a folder
        handle.write('\n[projects."/home/me/app"]\ntrust_level = "trusted"\n')
    result = engine.undo()
    assert result.kept == (str(path),)
    assert path.read_text() == original + '\n[projects."/home/me/app"]\ntrust_level = "trusted"\n'
    assert tomllib.loads(path.read_text())["model"] == "gpt-5"


def test_a_model_the_user_added_to_continue_after_the_switch_survives_undo(
        env: ToolEnv, engine: SwitchEngine) -> None:
    original = ("name: Mine\nversion: 1.0.0\nschema: v1\nmodels:\n"
                "  - name: My GPT\n    provider: openai\n    model: gpt-4o\n")
    path = write(env.home / ".continue" / "config.yaml", original)
    engine.use(request(preset("deepseek"), "deepseek-chat"), ["continue"])
    with path.open("a") as handle:
        handle.write("  - name: Added Later\n    provider: ollama\n    model: llama3\n")
    result = engine.undo()
    assert result.kept == (str(path),)
    assert path.read_text() == original + "  - name: Added Later\n    provider: ollama\n    model: llama3\n"
    lines = result.diff.splitlines()
    assert "-  - name: Switchover" in lines  # undo only takes lines out here
    assert not [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    assert not (env.home / ".continue" / ".env").exists()


def test_claude_code_reserialising_its_settings_survives_undo(env: ToolEnv, engine: SwitchEngine) -> None:
    original = '{\n    "theme": "dark",\n    "permissions": {"allow": ["Bash(ls:*)"]}\n}\n'
    path = write(env.home / ".claude" / "settings.json", original)
    engine.use(request(preset("deepseek"), "deepseek-chat"), ["claude-code"])
    data = json.loads(path.read_text())
    data["feedbackSurveyState"] = {"lastShownTime": 1}  # Claude re-serialises the file with a key of its own
    path.write_text(json.dumps(dict(sorted(data.items())), indent=2) + "\n")
    engine.undo()
    assert json.loads(path.read_text()) == {"theme": "dark", "permissions": {"allow": ["Bash(ls:*)"]},
                                            "feedbackSurveyState": {"lastShownTime": 1}}


def test_a_file_the_switch_created_goes_with_undo_when_only_the_tool_added_to_it(
        env: ToolEnv, engine: SwitchEngine) -> None:
    path = env.home / ".qwen" / "settings.json"
    engine.use(request(preset("deepseek"), "deepseek-chat"), ["qwen-code"])
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "ui": {"theme": "Dracula"}}, indent=2) + "\n")  # the tool's own setting
    engine.undo()
    assert json.loads(path.read_text()) == {"ui": {"theme": "Dracula"}}


# -- finding 7: permissions and folders -----------------------------------------------------------------------


def test_a_read_only_config_is_refused_with_a_plain_message_and_left_untouched(
        env: ToolEnv, engine: SwitchEngine) -> None:
    path = write(env.home / ".claude" / "settings.json", '{"theme": "dark"}\n')
    path.chmod(0o444)
    with pytest.raises(SwitchoverError) as refused:
        engine.use(request(preset("deepseek"), "deepseek-chat"), ["claude-code"])
    message = str(refused.value)
    assert f"{path}: is read-only (mode 0444), so Switchover leaves it as it is" in message
    assert f"make it writable first (chmod u+w {path}), or leave Claude Code out" in message
    assert "Nothing was changed" in message
    assert path.read_text() == '{"theme": "dark"}\n' and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert engine.history() == []


def test_undo_refuses_a_file_made_read_only_since(env: ToolEnv, engine: SwitchEngine) -> None:
    path = write(env.home / ".claude" / "settings.json", '{"theme": "dark"}\n')
    engine.use(request(preset("deepseek"), "deepseek-chat"), ["claude-code"])
    switched = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(UndoError, match=r"is read-only \(mode 0444\) now.*chmod u\+w"):
        engine.undo()
    assert path.read_bytes() == switched
    path.chmod(0o644)
    engine.undo()
    assert path.read_text() == '{"theme": "dark"}\n'


def test_undo_removes_the_folders_the_switch_created(env: ToolEnv, engine: SwitchEngine) -> None:
    folder = env.home / ".continue"
    assert not folder.exists()
    engine.use(request(preset("deepseek"), "deepseek-chat"), ["continue"])
    assert (folder / "config.yaml").is_file()
    engine.undo()
    assert not folder.exists()


def test_undo_keeps_a_created_folder_the_tool_filled_since(env: ToolEnv, engine: SwitchEngine) -> None:
    engine.use(request(preset("deepseek"), "deepseek-chat"), ["continue"])
    write(env.home / ".continue" / "sessions" / "one.json", "{}")
    engine.undo()
    assert (env.home / ".continue" / "sessions" / "one.json").is_file()
    assert not (env.home / ".continue" / "config.yaml").exists()


def test_a_rolled_back_switch_removes_the_folders_it_created(env: ToolEnv, engine: SwitchEngine,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from switchover.core.switching import engine as engine_module

    real_write = engine_module._write
    claude = write(env.home / ".claude" / "settings.json", "{}\n")

    def failing(op: object) -> None:
        if getattr(op, "real", None) == claude:
            raise OSError(28, "No space left on device", str(claude))
        real_write(op)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module, "_write", failing)
    with pytest.raises(SwitchoverError, match="rolled back"):
        engine.use(request(preset("deepseek"), "deepseek-chat"), ["continue", "claude-code"])
    assert not (env.home / ".continue").exists()
    assert claude.read_text() == "{}\n"

