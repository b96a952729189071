"""The app's in-process engine and a real `switchover use` CLI switch different providers at the same time.

Fifty rounds, with the app starting at a different moment of the CLI's run each round. Every round: each side
either switches or fails with the clear "switch in progress" message; switches never overlap (journal
intervals are disjoint); every tool file parses and holds exactly the bytes the last switch wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from switchover.core.secrets import resolve_key
from switchover.core.store import load_store
from switchover.core.switching import SwitchEngine, SwitchInProgressError
from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.targets.registry import all_targets
from tests.reliability.world import StandIn, World, assert_parses
from tests.support.provider_server import ProviderServer

pytestmark = pytest.mark.slow

ROUNDS = 50
IN_PROGRESS_PHRASE = "switch is in progress"


# Steps of the app's switch at which the CLI is started (all inside the app's locked section).
APP_STEPS = ("locked", "planned", "journal and backups written", "checked")


def _wait_until_blocked_on_lock(cli: subprocess.Popen[bytes], lock: Path, where: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert cli.poll() is None, f"{where}: the CLI exited while the app held the lock: {cli.communicate()}"
        with contextlib.suppress(OSError):
            fds = Path(f"/proc/{cli.pid}/fd")
            if any(os.readlink(fd) == str(lock) for fd in fds.iterdir()):
                return
        time.sleep(0.005)
    raise AssertionError(f"{where}: the CLI never reached the switch lock")


def _wait_for_steps(cli: subprocess.Popen[bytes], steps: Path, count: int) -> None:
    deadline = time.monotonic() + 30
    while cli.poll() is None and time.monotonic() < deadline:
        if steps.exists() and len(steps.read_text().splitlines()) >= count:
            return
        time.sleep(0.002)


def _use_world_env(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app (this process) and the CLI (a subprocess) must see the same home, store and keyring."""
    for name, value in world.env().items():
        monkeypatch.setenv(name, value)


def _app_engine(world: World) -> SwitchEngine:
    # What `switchover.ui.switching.ToolsService.engine()` builds on its worker thread.
    return SwitchEngine(all_targets(), ToolEnv.current())


def _app_request(name: str) -> SwitchRequest:
    provider = load_store().get(name)
    model = provider.default_model
    assert model
    return SwitchRequest(provider, model, provider.small_model, ("/usr/bin/switchover", "key", name),
                         lambda: resolve_key(provider))


def _journal(world: World) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted((world.data / "journal").glob("*.json"))]


def _stamp(text: object) -> float:
    assert isinstance(text, str)
    return datetime.fromisoformat(text).timestamp()


def _assert_files_match_last_writer(world: World, entries: list[dict[str, object]], where: str) -> None:
    last_after: dict[str, str | None] = {}
    for entry in entries:
        if entry["state"] == "done":
            for record in entry["files"]:  # type: ignore[attr-defined]
                last_after[record["path"]] = record["after_sha256"]
    assert last_after, where
    for path, digest in last_after.items():
        data = Path(path).read_bytes() if Path(path).exists() else None
        got = None if data is None else hashlib.sha256(data).hexdigest()
        assert got == digest, f"{where}: {path} does not hold what the last switch wrote (interleaved?)"
        if data is not None:
            assert_parses(Path(path), data)


def test_app_and_cli_switching_at_once_never_interleave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        provider_server: Callable[..., ProviderServer]) -> None:
    world = World(tmp_path / "world", StandIn(provider_server)).create()
    world.add_local_provider()
    world.add_other_provider()
    world.seed_user_configs()
    _use_world_env(world, monkeypatch)
    tools = [t.id for t in all_targets()]

    seen: set[str] = set()
    cli_read_back_late: list[str] = []
    app_switched = cli_switched = app_waited_out = cli_waited_out = contended = cli_saw_app_switch = 0
    for round_no in range(ROUNDS):
        app_provider, cli_provider = ("local", "other") if round_no % 2 else ("other", "local")
        app_first = round_no % 2 == 1
        where = f"round {round_no} ({'app' if app_first else 'CLI'} takes the lock first)"
        steps = tmp_path / f"steps-{round_no}.txt"
        cli_box: list[subprocess.Popen[bytes]] = []
        app_locked_at: list[float] = []

        def start_cli(box: list[subprocess.Popen[bytes]] = cli_box, provider: str = cli_provider,
                      steps: Path = steps) -> subprocess.Popen[bytes]:
            box.append(world.popen("use", provider, "--all", "--json", SWITCHOVER_TEST_STEPS_FILE=str(steps)))
            return box[0]

        def app_step(name: str, round_no: int = round_no, app_first: bool = app_first, where: str = where,
                     locked_at: list[float] = app_locked_at) -> None:
            if name == "locked":
                locked_at.append(time.time())
            # App first: at a varying step inside its locked section, start the CLI and hold on until the CLI
            # is blocked on the very same lock file (seen in /proc), then finish the switch.
            if app_first and name == APP_STEPS[round_no % len(APP_STEPS)]:
                _wait_until_blocked_on_lock(start_cli(), world.data / "switch.lock", where)

        monkeypatch.setattr("switchover.core.switching.engine.crashpoint", app_step)
        if not app_first:
            # CLI first: the app asks for the lock once the CLI is k steps into its switch (k varies).
            cli = start_cli()
            _wait_for_steps(cli, steps, 1 + round_no % 12)
        app_called = time.time()
        try:
            _app_engine(world).use(_app_request(app_provider), tools, skip_refused=True)
            app_switched += 1
        except SwitchInProgressError as exc:
            assert IN_PROGRESS_PHRASE in str(exc), where
            app_waited_out += 1
        cli = cli_box[0]
        out, err = cli.communicate(timeout=120)
        cli_did_switch = cli.returncode == 0
        if cli_did_switch:
            assert json.loads(out)["ok"] is True, where
        elif out:
            # The CLI switched, then its read-back found the app's switch, which ran right after (the check
            # runs outside the lock). It must say so honestly, per tool, not claim success.
            report = json.loads(out)
            assert report["switch_id"] and report["ok"] is True, where
            problems = [p for v in report["verify"] for p in v["problems"]]
            assert problems and all("expected" in p for p in problems), (where, problems)
            cli_did_switch = True
            cli_saw_app_switch += 1
            cli_read_back_late.append(where)
        else:
            assert IN_PROGRESS_PHRASE in err.decode(), f"{where}: CLI failed unclearly: {err.decode()}"
            cli_waited_out += 1
        cli_switched += cli_did_switch

        entries = _journal(world)
        assert all(e["state"] == "done" for e in entries), where
        spans = sorted((_stamp(e["started"]), _stamp(e["finished"])) for e in entries)
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, f"{where}: two switches overlapped in time"
        fresh = [e for e in entries if e["id"] not in seen]
        seen.update(str(e["id"]) for e in entries)
        cli_entries = [e for e in fresh if e["provider"] == cli_provider]
        app_entries = [e for e in fresh if e["provider"] == app_provider]
        if cli_read_back_late and cli_read_back_late[-1] == where:
            assert app_entries and _stamp(app_entries[0]["started"]) >= _stamp(cli_entries[0]["finished"]), where
        assert len(cli_entries) == cli_did_switch, where
        if app_first:
            contended += 1  # the CLI was seen blocked on the lock the app held
        elif cli_entries and app_locked_at and app_called < _stamp(cli_entries[0]["finished"]) <= app_locked_at[0]:
            contended += 1  # the app asked while the CLI held the lock and got it only after the CLI finished
        _assert_files_match_last_writer(world, entries, where)
        assert world.temp_files() == [], where

    print(f"\nconcurrent rounds: {ROUNDS}; app switched {app_switched}, waited out {app_waited_out}; "
          f"CLI switched {cli_switched}, waited out {cli_waited_out}; rounds where one side waited for the "
          f"other's lock: {contended}; CLI read-backs that saw the app's later switch: {cli_saw_app_switch}")
    assert app_switched + app_waited_out == ROUNDS and cli_switched + cli_waited_out == ROUNDS
    assert app_switched >= ROUNDS // 2 and cli_switched >= ROUNDS // 2
    assert contended >= ROUNDS * 3 // 4, "the two sides hardly ever raced; the test proves nothing"


def test_a_switch_held_past_the_lock_timeout_fails_the_other_side_clearly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider_server: Callable[..., ProviderServer]) -> None:
    world = World(tmp_path / "world", StandIn(provider_server)).create()
    world.add_local_provider()
    world.add_other_provider()
    world.seed_user_configs()
    _use_world_env(world, monkeypatch)
    tools = [t.id for t in all_targets()]
    before = world.tool_files()

    # The app holds the lock (a stuck disk, say) until the CLI has given up: the CLI says why, writes nothing.
    cli_runs: list[tuple[int, bytes, bytes]] = []

    def hold(name: str) -> None:
        if name == "journal and backups written":
            cli = world.popen("use", "other", "--all")
            out, err = cli.communicate(timeout=60)
            cli_runs.append((cli.returncode, out, err))
            assert world.tool_files() == before  # nothing written by either side yet

    monkeypatch.setattr("switchover.core.switching.engine.crashpoint", hold)
    _app_engine(world).use(_app_request("local"), tools, skip_refused=True)
    (code, out, err), = cli_runs
    assert code == 1 and out == b""
    assert IN_PROGRESS_PHRASE in err.decode() and "Traceback" not in err.decode(), err
    assert {e["provider"] for e in _journal(world)} == {"local"}

    # The CLI holds it (paused at a real step): the app's engine gives up with the same clear error.
    monkeypatch.undo()
    _use_world_env(world, monkeypatch)
    marker = tmp_path / "paused"
    cli = world.popen("use", "other", "--all", SWITCHOVER_TEST_PAUSE_AT="journal and backups written",
                      SWITCHOVER_TEST_PAUSE_FILE=str(marker))
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert cli.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        engine = SwitchEngine(all_targets(), ToolEnv.current(), lock_timeout=0.5)
        with pytest.raises(SwitchInProgressError, match=IN_PROGRESS_PHRASE):
            engine.use(_app_request("local"), tools, skip_refused=True)
    finally:
        cli.kill()
        cli.communicate(timeout=30)
    # The killed CLI's switch is rolled back by the app's next call; the app's switch then goes through.
    app_files = world.tool_files()
    engine = _app_engine(world)
    assert engine.recover() and world.tool_files() == app_files  # back to exactly the app's switch
    assert [e.state for e in engine.history()[:2]] == ["interrupted, rolled back", "done"]
    assert _app_engine(world).use(_app_request("other"), tools, skip_refused=True).switch_id
    assert world.temp_files() == []
