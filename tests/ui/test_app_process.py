"""The app as a process: starts, quits cleanly on --quit-after, and only one instance runs per config dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import REPO_ROOT


def app_env(config_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["SWITCHOVER_REPORT_READY"] = "1"
    if config_dir is not None:
        env["SWITCHOVER_CONFIG_DIR"] = str(config_dir)
        env["SWITCHOVER_DATA_DIR"] = str(config_dir.parent / (config_dir.name + "-data"))
    return env


def launch(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "switchover", "app", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def wait_ready(proc: subprocess.Popen[str], timeout: float = 20) -> dict[str, object]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("{"):
            return dict(json.loads(line))
    raise AssertionError(f"app never reported ready; stderr: {proc.stderr.read() if proc.stderr else ''}")


def finish(proc: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_quit_after_exits_cleanly_and_opens_window_without_tray(tmp_path: Path) -> None:
    proc = launch("--quit-after", "1500", env=app_env(tmp_path / "cfg"))
    ready = wait_ready(proc)
    code, _out, err = finish(proc)
    assert code == 0, err
    assert ready["tray"] is False  # offscreen has no tray ...
    assert ready["window"] is True  # ... so the window opens instead
    assert "Traceback" not in err


def test_second_launch_raises_first_and_exits(tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    first = launch("--quit-after", "6000", env=app_env(config))
    try:
        wait_ready(first)
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "switchover", "app", "--quit-after", "20000"],
            env=app_env(config), capture_output=True, text=True, timeout=30, check=False,
        )
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        assert time.monotonic() - started < 10  # it did not run its own 20 s event loop
        assert first.poll() is None  # the first one keeps running
    finally:
        code, _out, err = finish(first)
    assert code == 0, err
    log = (config.parent / "cfg-data" / "state" / "log" / "switchover.log").read_text()
    assert "another launch asked us to show the window" in log


def test_instances_with_other_config_dirs_do_not_collide(tmp_path: Path) -> None:
    first = launch("--quit-after", "4000", env=app_env(tmp_path / "a"))
    try:
        wait_ready(first)
        second = launch("--quit-after", "500", env=app_env(tmp_path / "b"))
        ready = wait_ready(second)
        code, out, err = finish(second)
        assert code == 0, err
        assert ready["window"] is True  # a real second app, not a forwarded "show"
        assert "already running" not in out
    finally:
        finish(first)
