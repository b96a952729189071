"""The real CLI in subprocesses: chain editing, one-shot failover, and `watch` as a service would run it."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from switchover.core import paths
from switchover.core.store import load_store
from tests.failover.conftest import Scenario
from tests.support.cli import REPO_ROOT


def test_chain_set_show_and_clear(scenario: Scenario, cli: Any) -> None:
    done = cli(["chain", "set", "codex", "backup/test-model", "primary"])
    assert done.returncode == 0, done.stderr
    assert load_store().chains["codex"][0].provider == "backup"
    # "primary" without a model: its default model is written out, and the command says so (issue 14)
    assert load_store().chains["codex"][1].model == "test-model"
    assert "primary: no model given, so its default model test-model is used." in done.stdout
    shown = cli(["chain", "show", "--json"])
    data = json.loads(shown.stdout)
    assert data["chains"]["codex"] == ["backup/test-model", "primary/test-model"]
    claude = next(t for t in data["tools"] if t["tool"] == "claude-code")
    assert claude == {"tool": "claude-code", "label": "Claude Code", "source": "own",
                      "chain": ["primary/test-model", "backup/test-model"], "mode": "suggest"}
    text = cli(["chain", "show"]).stdout
    assert "claude-code" in text and "primary/test-model → backup/test-model" in text
    assert cli(["chain", "clear", "codex"]).returncode == 0
    assert "codex" not in load_store().chains


def test_default_chain_applies_to_tools_without_their_own(scenario: Scenario, cli: Any) -> None:
    assert cli(["chain", "set", "default", "backup/test-model"]).returncode == 0
    data = json.loads(cli(["chain", "show", "--json"]).stdout)
    gemini = next(t for t in data["tools"] if t["tool"] == "gemini-cli")
    assert gemini["source"] == "default" and gemini["chain"] == ["backup/test-model"]


@pytest.mark.parametrize(("argv", "message"), [
    (["chain", "set", "claude-code", "nosuch/model"], "Unknown provider(s) nosuch"),
    (["chain", "set", "not-a-tool", "primary/test-model"], "Unknown tool 'not-a-tool'"),
    (["chain", "set", "claude-code", "primary/a", "primary/a"], "appears twice"),
    (["chain", "settings", "--hard", "0"], "failover.hard_threshold must be a whole number from 1 to 100"),
])
def test_bad_chain_input_is_refused_with_a_reason(scenario: Scenario, cli: Any, argv: list[str],
                                                   message: str) -> None:
    before = load_store().chains
    done = cli(argv)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert load_store().chains == before


def test_mode_and_settings_are_stored(scenario: Scenario, cli: Any) -> None:
    assert cli(["chain", "mode", "claude-code", "auto"]).returncode == 0
    assert cli(["chain", "mode", "default", "off"]).returncode == 0
    done = cli(["chain", "settings", "--interval", "30", "--dwell", "120", "--switch-back", "900", "--json"])
    data = json.loads(done.stdout)
    assert data["interval_s"] == 30 and data["dwell_s"] == 120 and data["switch_back_after_s"] == 900
    assert data["mode"] == "off" and data["modes"] == {"claude-code": "auto"}
    assert load_store().sections["failover"]["modes"] == {"claude-code": "auto"}


def test_one_shot_failover_reports_health_when_all_is_well(scenario: Scenario, cli: Any) -> None:
    done = cli(["failover", "--json"])
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["decisions"] == []
    claude = next(t for t in data["tools"] if t["tool"] == "claude-code")
    assert claude["active"] == "primary/test-model" and claude["active_health"]["status"] == "ok"
    assert "sk-test" not in done.stdout


def test_failover_history_explains_decisions(scenario: Scenario, cli: Any) -> None:
    assert cli(["failover", "--history"]).stdout.strip() == "No failover decisions yet."


@contextlib.contextmanager
def _watch(args: list[str]) -> Iterator[subprocess.Popen[str]]:
    """`switchover watch ARGS` in a subprocess; killed (if still running) and its pipes closed at the end."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    with subprocess.Popen([sys.executable, "-m", "switchover", "watch", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
            reader = getattr(process, "reader", None)
            if reader is not None:
                reader.join(10)


def _read_until(process: subprocess.Popen[str], needle: str, timeout: float = 60) -> list[str]:
    """Lines printed until one contains `needle`; fails (never hangs) after `timeout` seconds."""
    assert process.stdout is not None
    lines: queue.Queue[str] = getattr(process, "lines_queue", None) or queue.Queue()
    if not hasattr(process, "lines_queue"):
        process.lines_queue = lines  # type: ignore[attr-defined]
        stream = process.stdout
        reader = threading.Thread(target=lambda: [lines.put(line) for line in iter(stream.readline, "")], daemon=True)
        reader.start()
        process.reader = reader  # type: ignore[attr-defined]
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None and lines.empty():
                break
            continue
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} not printed; got {seen!r}")


def _finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Wait for the exit; the rest of stdout (after what `_read_until` consumed) and all of stderr."""
    assert process.stderr is not None
    process.wait(timeout=30)
    err = process.stderr.read()
    process.reader.join(10)  # type: ignore[attr-defined]
    lines: queue.Queue[str] = process.lines_queue  # type: ignore[attr-defined]
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    return "".join(rest), err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_watch_prints_suggestions_and_stops_cleanly_on_signals(scenario: Scenario, sig: signal.Signals) -> None:
    with _watch(["--mode", "suggest", "--interval", "0.2"]) as process:
        _read_until(process, "Watching")
        scenario.play("primary", "region_blocked")
        lines = _read_until(process, "Switch to Backup")
        assert "Claude Code: Primary is region-blocked. Switch to Backup test-model (works, " in lines[-1]
        process.send_signal(sig)
        out, err = _finish(process)
    assert process.returncode == 0, err
    assert out.strip().endswith("Stopped.")
    assert "Traceback" not in err
    assert json.loads(scenario.settings_path.read_text())["env"]["ANTHROPIC_BASE_URL"] == scenario.url("primary")


def test_watch_json_lines(scenario: Scenario) -> None:
    with _watch(["--mode", "suggest", "--interval", "0.2", "--json"]) as process:
        time.sleep(0.5)
        scenario.play("primary", "auth_failed")
        line = _read_until(process, '"kind": "failover"')[-1]
        process.terminate()
        _finish(process)
    record = json.loads(line)
    assert record["action"] == "suggested" and record["to"] == "backup/test-model"
    assert [e["status"] for e in record["evidence"]] == ["auth_failed", "auth_failed", "ok"]
    assert process.returncode == 0


def test_systemd_unit_runs_watch() -> None:
    unit = (Path(REPO_ROOT) / "packaging" / "systemd" / "switchover-watch.service").read_text()
    assert "ExecStart=switchover watch" in unit.replace("/usr/bin/env ", "")
    assert "WantedBy=default.target" in unit


def test_one_shot_failover_switches_the_real_config_through_the_engine(scenario: Scenario, cli: Any) -> None:
    scenario.play("primary", "quota_exhausted")
    done = cli(["failover", "--tool", "claude-code"])
    assert done.returncode == 0, done.stderr
    assert "Claude Code: Primary is out of quota. Switched to Backup test-model (works, " in done.stdout
    assert scenario.claude_base_url() == scenario.url("backup")
    settings = json.loads(scenario.settings_path.read_text())
    assert settings["env"]["MY_OWN_VAR"] == "keep me" and settings["permissions"] == {"allow": ["Bash(ls:*)"]}
    assert "sk-test" not in scenario.settings_path.read_text()  # the key stays in the keychain (apiKeyHelper)
    history = json.loads(cli(["failover", "--history", "--json"]).stdout)
    assert [(d["kind"], d["action"], d["to"]) for d in history] == [("failover", "switched", "backup/test-model")]
    assert history[0]["evidence"][0]["status"] == "quota_exhausted"
    # The engine journalled it, so `undo` (the engine's) can restore the previous file byte for byte.
    assert list((paths.data_dir() / "journal").iterdir()), "the switch went through the engine's journal"


def test_one_shot_failover_with_nothing_healthy_exits_1(scenario: Scenario, cli: Any) -> None:
    scenario.play("primary", "region_blocked")
    scenario.play("backup", "auth_failed")
    done = cli(["failover", "--json"])
    assert done.returncode == 1
    (decision,) = json.loads(done.stdout)["decisions"]
    assert decision["kind"] == "no_candidate" and "Backup: wrong key" in decision["message"]
    assert scenario.claude_base_url() == scenario.url("primary")


def _wait_for(condition: Any, timeout: float = 30) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - started


def test_watch_auto_fails_over_and_back_on_the_real_clock(scenario: Scenario, cli: Any) -> None:
    assert cli(["chain", "settings", "--dwell", "0", "--switch-back", "1"]).returncode == 0
    with _watch(["--mode", "auto", "--interval", "0.3"]) as process:
        _read_until(process, "Watching")
        scenario.play("primary", "region_blocked")
        took = _wait_for(lambda: scenario.claude_base_url() == scenario.url("backup"))
        assert took < 10  # prompt; the exact latency is benchmarks/failover_latency.py's job
        _read_until(process, "Switched to Backup test-model")
        scenario.play("primary", "ok")
        _wait_for(lambda: scenario.claude_base_url() == scenario.url("primary"))
        _read_until(process, "Switched back from Backup test-model to Primary test-model")
        process.send_signal(signal.SIGTERM)
        out, err = _finish(process)
    assert process.returncode == 0 and out.strip().endswith("Stopped."), err
    history = json.loads(cli(["failover", "--history", "--json"]).stdout)
    kinds = [d["kind"] for d in history if d["action"] == "switched"]
    assert kinds == ["failover", "switch_back"]
