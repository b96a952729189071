"""The switching engine on real files in a temp home: plan-all-first, backups, journal, rollback, undo."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.synchronize
import stat
from pathlib import Path

import pytest

from switchover.core.filelock import locked
from switchover.core.switching import (
    SwitchEngine,
    SwitchFailedError,
    SwitchInProgressError,
    SwitchRefusedError,
    UndoError,
)
from tests.switching.fakes import SECRET, FakeTarget, env_for, request, write_config


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def engine(home: Path, data: Path, *targets: FakeTarget, **kw: object) -> SwitchEngine:
    return SwitchEngine(list(targets), env_for(home), data, **kw)  # type: ignore[arg-type]


def test_use_writes_backs_up_journals_and_undo_restores_bytes(home: Path, data: Path) -> None:
    a, b = FakeTarget("alpha"), FakeTarget("beta")
    original = write_config(a.config(env_for(home)), {"theme": "dark", "model": "old"})
    eng = engine(home, data, a, b)
    result = eng.use(request(), ["alpha", "beta"])
    assert result.ok and result.switch_id
    assert [o.status for o in result.outcomes] == ["switched", "switched"]
    written = json.loads(a.config(env_for(home)).read_text())
    assert written == {"theme": "dark", "model": "chat-1", "base_url": "https://api.example.com/v1"}
    assert b.config(env_for(home)).exists()

    [entry] = eng.history()
    assert entry.state == "done" and entry.provider == "deepseek" and entry.tools == ["alpha", "beta"]
    backups = list((data / "backups" / entry.id).iterdir())
    assert [p.read_bytes() for p in backups] == [original]  # beta's file did not exist: nothing to back up

    undo = eng.undo()
    assert undo.undid == entry.id
    assert a.config(env_for(home)).read_bytes() == original
    assert not b.config(env_for(home)).exists()  # we created it, undo removes it
    assert [e.kind for e in eng.history()] == ["undo", "switch"]
    with pytest.raises(UndoError, match="no switch to undo"):
        eng.undo()


def test_undo_walks_back_through_earlier_switches(home: Path, data: Path) -> None:
    a = FakeTarget("alpha")
    path = a.config(env_for(home))
    original = write_config(path, {"model": "m0"})
    eng = engine(home, data, a)
    eng.use(request(model="chat-1"), ["alpha"])
    after_first = path.read_bytes()
    eng.use(request(model="chat-2"), ["alpha"])
    eng.undo()
    assert path.read_bytes() == after_first
    eng.undo()
    assert path.read_bytes() == original


def test_dry_run_writes_nothing_and_redacts_the_key(home: Path, data: Path) -> None:
    a = FakeTarget("alpha", secret=True)
    original = write_config(a.config(env_for(home)), {"model": "old"})
    result = engine(home, data, a).use(request(), ["alpha"], dry_run=True)
    assert result.dry_run and result.switch_id is None
    assert result.outcomes[0].status == "planned"
    assert a.config(env_for(home)).read_bytes() == original
    assert '-    "model": "old"' in result.diff
    assert '"model": "chat-1"' in result.diff
    assert SECRET not in result.diff
    assert "sk-…6789" in result.diff
    assert not (data / "journal").exists()


def test_failure_part_way_rolls_back_files_already_written(home: Path, data: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    a, broken = FakeTarget("alpha"), FakeTarget("broken", path=blocker / "config.json")
    original = write_config(a.config(env_for(home)), {"model": "old"})
    eng = engine(home, data, a, broken)
    with pytest.raises(SwitchFailedError, match="rolled back"):
        eng.use(request(), ["alpha", "broken"])
    assert a.config(env_for(home)).read_bytes() == original
    [entry] = eng.history()
    assert entry.state == "rolled back" and entry.error
    with pytest.raises(UndoError):
        eng.undo()


def test_explicit_tool_that_refuses_means_nothing_is_written(home: Path, data: Path) -> None:
    a, r = FakeTarget("alpha"), FakeTarget("refuser", refuse=True)
    eng = engine(home, data, a, r)
    with pytest.raises(SwitchRefusedError, match="Refuser cannot use deepseek"):
        eng.use(request(), ["alpha", "refuser"])
    assert not a.config(env_for(home)).exists()


def test_default_selection_skips_refusals_and_uninstalled_tools(home: Path, data: Path) -> None:
    a, r, gone = FakeTarget("alpha"), FakeTarget("refuser", refuse=True), FakeTarget("gone", installed=False)
    result = engine(home, data, a, r, gone).use(request())
    assert [(o.tool, o.status) for o in result.outcomes] == [("alpha", "switched"), ("refuser", "refused")]
    assert not result.ok
    assert a.config(env_for(home)).exists() and not gone.config(env_for(home)).exists()


def test_config_that_does_not_parse_is_left_untouched_with_its_line(home: Path, data: Path) -> None:
    a = FakeTarget("alpha")
    path = a.config(env_for(home))
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{\n  "model": "x",\n}\n')
    with pytest.raises(SwitchRefusedError) as caught:
        engine(home, data, a).use(request(), ["alpha"])
    assert f"{path}, line 2" in str(caught.value)
    assert path.read_bytes() == b'{\n  "model": "x",\n}\n'


def test_file_edited_between_plan_and_write_is_replanned_not_clobbered(home: Path, data: Path) -> None:
    def user_edits(target: FakeTarget) -> None:
        if target.plans == 1:
            write_config(target.config(env_for(home)), {"model": "old", "user_added": True})

    a = FakeTarget("alpha", after_plan=user_edits)
    write_config(a.config(env_for(home)), {"model": "old"})
    eng = engine(home, data, a)
    eng.use(request(), ["alpha"])
    assert a.plans == 2
    assert json.loads(a.config(env_for(home)).read_text()) == {
        "model": "chat-1", "user_added": True, "base_url": "https://api.example.com/v1"
    }
    eng.undo()  # the backup is of the user's edited file, not the stale one
    assert json.loads(a.config(env_for(home)).read_text()) == {"model": "old", "user_added": True}


def test_file_that_keeps_changing_fails_and_keeps_the_users_bytes(home: Path, data: Path) -> None:
    def user_edits(target: FakeTarget) -> None:
        write_config(target.config(env_for(home)), {"model": "old", "edit": target.plans})

    a = FakeTarget("alpha", after_plan=user_edits)
    write_config(a.config(env_for(home)), {"model": "old"})
    with pytest.raises(SwitchFailedError, match="keeps changing"):
        engine(home, data, a).use(request(), ["alpha"])
    assert json.loads(a.config(env_for(home)).read_text()) == {"model": "old", "edit": 2}


def test_symlinks_and_permissions_are_kept(home: Path, data: Path, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "alpha.json"
    write_config(real, {"model": "old"})
    real.chmod(0o640)
    a = FakeTarget("alpha")
    link = a.config(env_for(home))
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    eng = engine(home, data, a)
    eng.use(request(), ["alpha"])
    assert link.is_symlink()
    assert json.loads(real.read_text())["model"] == "chat-1"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    eng.undo()
    assert link.is_symlink() and json.loads(real.read_text()) == {"model": "old"}


def test_new_file_gets_the_planned_mode(home: Path, data: Path) -> None:
    a = FakeTarget("alpha")
    engine(home, data, a).use(request(), ["alpha"])
    assert stat.S_IMODE(a.config(env_for(home)).stat().st_mode) == 0o600


def test_undo_refuses_when_the_user_edited_after_the_switch(home: Path, data: Path) -> None:
    a = FakeTarget("alpha")
    path = a.config(env_for(home))
    original = write_config(path, {"model": "old"})
    eng = engine(home, data, a)
    eng.use(request(), ["alpha"])
    path.write_text('{"model": "mine"}\n')
    with pytest.raises(UndoError, match="would lose your edits"):
        eng.undo()
    assert path.read_text() == '{"model": "mine"}\n'
    eng.undo(force=True)
    assert path.read_bytes() == original


class StampingTarget(FakeTarget):
    """A tool that re-saves its config on every run with a fresh `stamp` (as Cline does with `updatedAt`)."""

    def settled_form(self, path: Path, data: bytes) -> bytes | None:
        parsed = json.loads(data)
        parsed.pop("stamp", None)
        return json.dumps(parsed, sort_keys=True).encode()


def _tool_run(path: Path, stamp: str) -> None:
    """What the tool does when it runs: re-serialise the file and restamp it."""
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "stamp": stamp}, indent=4))


def test_undo_accepts_the_tools_own_rewrites_but_not_the_users_edits(home: Path, data: Path) -> None:
    a = StampingTarget("alpha")
    path = a.config(env_for(home))
    original = write_config(path, {"model": "old", "stamp": "t0"})
    eng = engine(home, data, a)
    eng.use(request(), ["alpha"])
    _tool_run(path, "t1")
    after_run = path.read_bytes()
    eng.use(request(model="chat-2"), ["alpha"])
    _tool_run(path, "t2")
    eng.undo()  # only the tool's stamp and layout changed: not an edit
    assert path.read_bytes() == after_run
    path.write_text(path.read_text().replace('"old"', '"mine"').replace('"chat-1"', '"mine"'))
    with pytest.raises(UndoError, match="would lose your edits"):
        eng.undo()  # the model changed: that is the user's (or someone's) edit
    _tool_run(path, "t3")
    path.write_text(json.dumps({**json.loads(path.read_text()), "model": "chat-1"}))
    eng.undo()  # back to what the switch wrote, apart from the stamp
    assert path.read_bytes() == original


def test_a_tool_without_a_settled_form_records_none(home: Path, data: Path) -> None:
    a = FakeTarget("alpha")
    eng = engine(home, data, a)
    eng.use(request(), ["alpha"])
    [entry] = eng.history()
    assert [f.after_settled_sha256 for f in entry.files] == [None]


def test_exposure_lists_files_holding_a_key_until_undone(home: Path, data: Path) -> None:
    a, b = FakeTarget("alpha", secret=True), FakeTarget("beta")
    eng = engine(home, data, a, b)
    eng.use(request(), ["alpha", "beta"])
    exposed = eng.exposure()
    assert [(e.path, e.tool, e.provider) for e in exposed] == [(str(a.config(env_for(home))), "alpha", "deepseek")]
    assert SECRET not in (data / "exposure.json").read_text()
    assert all(SECRET not in p.read_text() for p in (data / "journal").iterdir())
    eng.undo()
    assert eng.exposure() == []


def test_unchanged_tools_write_nothing(home: Path, data: Path) -> None:
    a = FakeTarget("alpha")
    eng = engine(home, data, a)
    eng.use(request(), ["alpha"])
    again = eng.use(request(), ["alpha"])
    assert again.switch_id is None and again.outcomes[0].status == "unchanged"
    assert len(eng.history()) == 1


def test_backups_are_bounded(home: Path, data: Path) -> None:
    a = FakeTarget("alpha")
    write_config(a.config(env_for(home)), {"model": "old"})
    eng = engine(home, data, a, max_backups=3)
    for i in range(6):
        eng.use(request(model=f"m{i}"), ["alpha"])
    assert len(list((data / "backups").iterdir())) == 3
    for _ in range(3):
        eng.undo()
    with pytest.raises(UndoError, match=r"backup .* is gone"):
        eng.undo()


def test_verify_reads_back_each_tool(home: Path, data: Path) -> None:
    a = FakeTarget("alpha")
    eng = engine(home, data, a)
    result = eng.use(request(), ["alpha"])
    calls = []

    def health(tool: str, actual: object, plan: object) -> tuple[bool, str]:
        calls.append(tool)
        return True, "auth ok"

    [report] = eng.verify(result, health)
    assert report.ok and report.health == "auth ok" and calls == ["alpha"]
    write_config(a.config(env_for(home)), {"base_url": "https://elsewhere/v1", "model": "chat-1"})
    [report] = eng.verify(result)  # what the switch read back inside its lock: a later write is not its fault
    assert report.ok
    [report] = eng.verify(result, fresh=True)
    assert not report.ok
    assert "base URL is 'https://elsewhere/v1'" in report.problems[0]


def test_tools_lists_detection_and_current_choice(home: Path, data: Path) -> None:
    a, broken = FakeTarget("alpha"), FakeTarget("beta")
    write_config(a.config(env_for(home)), {"base_url": "https://x/v1", "model": "m"})
    broken.config(env_for(home)).parent.mkdir(parents=True)
    broken.config(env_for(home)).write_text("{oops")
    rows = {r.tool: r for r in engine(home, data, a, broken).tools()}
    assert rows["alpha"].current is not None and rows["alpha"].current.model == "m"
    assert rows["beta"].current is None and "line 1" in (rows["beta"].error or "")


def _hold_lock(lock: str, ready: multiprocessing.synchronize.Event, release: multiprocessing.synchronize.Event) -> None:
    with locked(Path(lock)):
        ready.set()
        release.wait(10)


def test_second_process_waits_then_fails_clearly(home: Path, data: Path) -> None:
    data.mkdir(parents=True)
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(data / "switch.lock"), ready, release))
    holder.start()
    try:
        assert ready.wait(20)
        a = FakeTarget("alpha")
        with pytest.raises(SwitchInProgressError, match="switch is in progress"):
            engine(home, data, a, lock_timeout=0.3).use(request(), ["alpha"])
        assert not a.config(env_for(home)).exists()
    finally:
        release.set()
        holder.join(10)
    engine(home, data, FakeTarget("alpha")).use(request(), ["alpha"])  # free again

