"""Kill a real switch process at every step; the next start must roll back to byte-identical files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from switchover.core.fileio import TEMP_PREFIX
from switchover.core.switching import SwitchEngine
from tests.support.cli import REPO_ROOT
from tests.switching.crash_child import TOOLS, targets
from tests.switching.fakes import env_for, request, write_config

pytestmark = pytest.mark.slow


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, str(Path(REPO_ROOT) / "desktop"),
                                                       env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _run(home: Path, data: Path, action: str, extra: dict[str, str], model: str = "chat-1") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.switching.crash_child", str(home), str(data), action, model],
        cwd=REPO_ROOT, env=_child_env(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _finish(child: subprocess.Popen[str]) -> None:
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err


def _seed(home: Path) -> dict[Path, bytes | None]:
    env = env_for(home)
    files: dict[Path, bytes | None] = {}
    for target in targets():
        path = target.config(env)
        files[path] = None
    alpha, _, gamma = (t.config(env) for t in targets())
    files[alpha] = write_config(alpha, {"model": "old", "theme": "dark"})
    gamma.parent.mkdir(parents=True, exist_ok=True)
    gamma.write_bytes(b'// my settings\n{\n  "model": "old", // pinned\n}\n')
    files[gamma] = gamma.read_bytes()
    return files


def _snapshot(files: dict[Path, bytes | None]) -> dict[Path, bytes | None]:
    return {p: (p.read_bytes() if p.exists() else None) for p in files}


def _steps(tmp_path: Path, action: str) -> list[str]:
    home, data = tmp_path / "count-home", tmp_path / "count-data"
    _seed(home)
    steps_file = tmp_path / f"steps-{action}.txt"
    if action == "undo":
        _finish(_run(home, data, "use", {}))
    child = _run(home, data, action, {"SWITCHOVER_TEST_STEPS_FILE": str(steps_file)})
    _out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    return steps_file.read_text().splitlines()


def _kill_at(home: Path, data: Path, action: str, step: int, marker: Path) -> None:
    child = _run(home, data, action, {"SWITCHOVER_TEST_PAUSE_AT": str(step), "SWITCHOVER_TEST_PAUSE_FILE": str(marker)})
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert child.poll() is None, child.communicate()[1]
        assert time.monotonic() < deadline, "child never reached the crash point"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)


@pytest.mark.parametrize("action", ["use", "undo"])
def test_killed_at_every_step_rolls_back_cleanly(tmp_path: Path, action: str) -> None:
    steps = _steps(tmp_path, action)
    assert len(steps) >= 6  # (locked,) planned, journal+backups, checked, 3 writes, done
    for number, name in (line.split(" ", 1) for line in steps):
        home, data = tmp_path / f"h-{action}-{number}", tmp_path / f"d-{action}-{number}"
        files = _seed(home)
        if action == "undo":
            _finish(_run(home, data, "use", {}))
        before = _snapshot(files)
        # A stray temp file, as if the kill had landed inside an atomic write.
        stray = next(iter(files)).parent / f"{TEMP_PREFIX}stray"
        _kill_at(home, data, action, int(number), tmp_path / f"marker-{action}-{number}")
        journaled = name not in ("locked", "planned", "done")
        if journaled:
            stray.write_text("half a file")

        engine = SwitchEngine(targets(), env_for(home), data)
        history = engine.history()  # any start of use/undo/history recovers first
        after = _snapshot(files)
        if name == "done":  # killed after the journal said "done": the switch stands
            assert history[0].state == "done" and history[0].kind == ("undo" if action == "undo" else "switch")
        elif name in ("locked", "planned"):  # before the journal entry: nothing was touched, nothing to do
            assert after == before
            assert [e.kind for e in history] == ([] if action == "use" else ["switch"])
        else:
            assert after == before, f"step {number} ({name}) left changed files"
            assert history[0].state == "interrupted, rolled back", (number, name, history[0].state)
        for path in (p for p in files if p.parent.is_dir()):
            leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]
            assert leftovers == [], (number, name, leftovers)
        assert all(e.state != "in progress" for e in history)
        # And the tools keep working: a fresh switch after recovery succeeds.
        assert engine.use(request(model="chat-9"), list(TOOLS)).switch_id
