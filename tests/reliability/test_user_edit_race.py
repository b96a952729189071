"""The user saves `~/.claude/settings.json` while a switch is between reading it and writing it.

The user's edit must survive: either the engine re-plans from the new bytes (their edit and our keys both
end up in the file) or it refuses with a clear message and leaves their version exactly as saved. The edit
is made from the engine's own crash points, i.e. at precisely the steps between plan and write.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.switching import SwitchEngine, SwitchFailedError
from switchover.core.switching.contract import SwitchPlan, SwitchRequest, ToolEnv
from switchover.targets.claude_code import ClaudeCode
from switchover.targets.registry import all_targets
from tests.reliability.world import SAMPLES

KEY = "sk-fake-RACE-0123456789abcdef"
USER_EDIT = {"theme": "light-daltonized", "addedByUserDuringSwitch": [1, 2, 3]}


def _provider() -> Provider:
    return Provider("racer", (Endpoint.make(Protocol.ANTHROPIC, "http://127.0.0.1:9"),
                              Endpoint.make(Protocol.OPENAI_CHAT, "http://127.0.0.1:9/v1")),
                    models=("race-model",), credential=Credential.keychain(), label="Racer")


def _request() -> SwitchRequest:
    return SwitchRequest(_provider(), "race-model", None, ("/usr/bin/switchover", "key", "racer"), lambda: KEY)


def _env(home: Path) -> ToolEnv:
    return ToolEnv(home, {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": ""}, "linux", home)


def _settings(home: Path) -> Path:
    path = home / ".claude" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((SAMPLES / "claude_settings.json").read_bytes())
    return path


def _user_saves(path: Path, marker: str = "") -> bytes:
    """What an editor does: read, change, write the whole file (not atomically, like many editors)."""
    data = json.loads(path.read_text())
    data.update(USER_EDIT)
    if marker:
        data["marker"] = marker
    text = json.dumps(data, indent=2) + "\n"
    path.write_text(text)
    return text.encode()


def _edit_at(monkeypatch: pytest.MonkeyPatch, step: str, action: Callable[[], None]) -> list[str]:
    """Run `action` when the engine reaches crash point `step` (the real crash points, in this process)."""
    seen: list[str] = []

    def point(name: str) -> None:
        seen.append(name)
        if name == step and seen.count(name) == 1:  # once: undo and later switches run undisturbed
            action()

    monkeypatch.setattr("switchover.core.switching.engine.crashpoint", point)
    return seen


def _assert_merged(path: Path) -> None:
    final = json.loads(path.read_text())
    for key, value in USER_EDIT.items():
        assert final[key] == value, f"the user's {key!r} was lost"
    assert final["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    assert final["env"]["ANTHROPIC_MODEL"] == "race-model"
    original = json.loads((SAMPLES / "claude_settings.json").read_text())
    assert final["permissions"] == original["permissions"]  # everything else kept


# Every step between the engine's read of the file (planning) and its write: the edit must never be lost.
@pytest.mark.parametrize("step", ["locked", "planned", "journal and backups written", "checked"])
def test_user_save_between_read_and_write_is_never_lost(isolated_home: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    path = _settings(isolated_home)
    saved: list[bytes] = []
    seen = _edit_at(monkeypatch, step, lambda: saved.append(_user_saves(path)))
    engine = SwitchEngine(all_targets(), _env(isolated_home), tmp_path / "data")
    try:
        result = engine.use(_request(), ["claude-code", "qwen-code", "zed"])
    except SwitchFailedError as exc:  # refusing is allowed, if it says so and keeps the user's bytes
        assert "left as you saved it" in str(exc) and str(path) in str(exc)
        assert path.read_bytes() == saved[0]
        assert engine.history()[0].state == "rolled back"
    else:
        assert result.switch_id is not None
        _assert_merged(path)
        assert engine.history()[0].state == "done"
    assert step in seen and saved, f"the engine never passed {step!r}: {seen}"


def test_user_keeps_saving_during_the_replan_gets_a_clear_refusal(isolated_home: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = _settings(isolated_home)
    saves: list[bytes] = []

    class BusyEditorClaude(ClaudeCode):
        """The user saves again right after every plan Switchover makes."""

        def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
            plan = super().plan(env, request)
            saves.append(_user_saves(path, marker=f"save {len(saves) + 1}"))
            return plan

    others = [t for t in all_targets() if t.id in ("qwen-code", "zed")]
    zed = isolated_home / ".config" / "zed" / "settings.json"
    engine = SwitchEngine([BusyEditorClaude(), *others], _env(isolated_home), tmp_path / "data")
    with pytest.raises(SwitchFailedError) as failure:
        engine.use(_request(), ["claude-code", "qwen-code", "zed"])
    message = str(failure.value)
    assert "keeps changing" in message and str(path) in message and "rolled back" in message
    assert path.read_bytes() == saves[-1]  # exactly the user's last save
    assert not zed.exists()  # the other tools were rolled back too: no half switch
    assert engine.history()[0].state == "rolled back"


def test_user_deletes_the_file_mid_switch(isolated_home: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = _settings(isolated_home)
    _edit_at(monkeypatch, "journal and backups written", path.unlink)
    engine = SwitchEngine(all_targets(), _env(isolated_home), tmp_path / "data")
    result = engine.use(_request(), ["claude-code"])
    # Re-planned from "no file": a fresh settings.json with only our keys; the deleted content is not resurrected.
    assert result.switch_id is not None
    final = json.loads(path.read_text())
    assert final["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9" and "permissions" not in final
    engine.undo()
    assert not path.exists()  # undo returns to what the user left: no file
