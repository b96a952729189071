"""The switching engine: plan every tool first, then back up, journal, write atomically, roll back on failure.

Targets only read and plan (`switchover.core.switching.contract`); everything that touches the user's files is here,
so every tool gets the same guarantees:

* nothing is written until every selected tool has planned;
* a journal entry (state "in progress") exists before the first write, with a backup of every file;
* each file is written atomically and re-checked just before: if the user changed it since we planned,
  the tool is re-planned from the new bytes (once), never clobbered;
* a read-only config (no owner write bit) is refused, never replaced through its folder;
* a failure rolls back the files already written (and folders it created); a killed process is rolled back on
  the next start;
* `undo` restores the last switch byte for byte (files and folders we created are removed); a file the tool
  changed since gets only Switchover's keys back, the rest kept (`semantic`); `--force` restores the backup;
* one switch at a time across processes (the app and the CLI), via a lock file.

Layering: the engine owns the target contract; core never imports `switchover.targets`, callers pass the
targets (and a `SwitchRequest`) in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import NoReturn

from switchover.core import paths, validation
from switchover.core.errors import ConfigFileError, SwitchoverError
from switchover.core.fileio import TEMP_PREFIX, atomic_write, describe_os_error, resolve_target
from switchover.core.filelock import LockBusyError, locked
from switchover.core.suggestions import did_you_mean
from switchover.core.switching.contract import (
    CurrentChoice,
    Detection,
    FileChange,
    Override,
    SwitchPlan,
    SwitchRequest,
    Target,
    ToolEnv,
)
from switchover.core.switching.crashpoints import crashpoint
from switchover.core.switching.diff import unified_diff
from switchover.core.switching.exposure import ExposedFile, ExposureRecord
from switchover.core.switching.journal import (
    DONE,
    IN_PROGRESS,
    INTERRUPTED,
    ROLLED_BACK,
    FileRecord,
    Journal,
    JournalEntry,
    RouteKeeper,
    RouteRecord,
    new_switch_id,
    now_iso,
    sha256,
)
from switchover.core.switching.semantic import KeyChangedSince, owned_changes, restore
from switchover.core.switching.trust import check_record, declared_files, require_private

log = logging.getLogger(__name__)

DEFAULT_MAX_BACKUPS = 30  # switches whose backups are kept; older ones can no longer be undone
DEFAULT_LOCK_TIMEOUT = 3.0
JOURNAL_LIMIT = 500  # journal entries kept for `history`
# File writes run concurrently (each is its own atomic temp+fsync+rename); threads are cheap and reused.
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="switchover-write")


class SwitchInProgressError(SwitchoverError):
    """Another Switchover process (the app or a CLI) is switching right now."""


class SwitchRefusedError(SwitchoverError):
    """Planning failed for a tool the user asked for explicitly; nothing was written."""


class SwitchFailedError(SwitchoverError):
    """Writing failed part-way; every file already written was restored."""


class UndoError(SwitchoverError):
    pass


class _NotOursAlone(Exception):
    pass


@dataclass(frozen=True)
class ToolOutcome:
    tool: str
    label: str
    status: str  # "switched" | "unchanged" | "planned" | "refused" | "error" | "not installed"
    message: str = ""
    files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    overrides: tuple[Override, ...] = ()  # would still keep the switch from taking effect (see Override.fix)
    fixed: tuple[Override, ...] = ()  # overrides this switch also changed, as asked

    @property
    def fixable(self) -> tuple[Override, ...]:
        """Overrides `--include-overrides` (the preview's checkbox) would also change."""
        return tuple(o for o in self.overrides if o.fix)


@dataclass(frozen=True)
class SwitchResult:
    switch_id: str | None
    dry_run: bool
    provider: str
    model: str
    small_model: str | None
    outcomes: tuple[ToolOutcome, ...]
    plans: tuple[SwitchPlan, ...] = ()
    diff: str = ""
    recovered: tuple[str, ...] = ()  # messages about interrupted switches rolled back first
    request: SwitchRequest | None = field(default=None, repr=False, compare=False)
    # What each switched tool read back right after the write, inside the switch's lock (so a concurrent
    # switch can never make `verify` compare against someone else's write): tool -> (choice, problem).
    readback: dict[str, tuple[CurrentChoice | None, str | None]] = field(default_factory=dict, repr=False,
                                                                           compare=False)

    @property
    def ok(self) -> bool:
        return all(o.status in ("switched", "unchanged", "planned") for o in self.outcomes)


@dataclass(frozen=True)
class UndoResult:
    switch_id: str
    undid: str
    files: tuple[str, ...]
    recovered: tuple[str, ...] = ()
    # Files changed since the switch (by the tool itself, or the user): only Switchover's keys went back, the
    # rest was kept; `diff` shows what undo changed in them (files holding a key are named, not shown).
    kept: tuple[str, ...] = ()
    diff: str = ""
    routes: tuple[str, ...] = ()  # tools whose gateway route the undone switch had re-pointed
    routes_kept: tuple[str, ...] = ()  # of those, routes changed again since (left as they are), and why


@dataclass(frozen=True)
class ToolStatus:
    """One row of `switchover tools`."""

    tool: str
    label: str
    detection: Detection
    current: CurrentChoice | None
    error: str | None = None
    existing_overrides: tuple[Path, ...] = ()


@dataclass(frozen=True)
class VerifyReport:
    tool: str
    ok: bool
    expected_base_url: str
    expected_model: str
    actual: CurrentChoice | None
    problems: tuple[str, ...] = ()
    health: str | None = None  # filled by the health hook when given

    @property
    def in_effect(self) -> bool:
        """False: switched, but the tool ranks something else higher (`actual.overrides` says what)."""
        return self.actual is None or self.actual.in_effect


# The health helper plugs in here: (tool id, what the tool now uses, the plan) -> (ok, one-line summary).
HealthHook = Callable[[str, CurrentChoice, SwitchPlan], tuple[bool, str]]


@dataclass
class _Op:
    """One file operation: write `after` (or remove the file when `after` is None)."""

    tool: str
    path: Path  # as named by the tool (may be a symlink)
    real: Path
    before: bytes | None
    after: bytes | None
    new_file_mode: int = 0o644
    holds_secret: bool = False
    record: FileRecord | None = field(default=None, repr=False)
    kind: str = ""  # the format, when edited key by key (for a semantic undo later)


@dataclass
class _Backups:
    """Where one journal entry keeps its backups, and the journal record of each file it writes."""

    data_dir: Path
    root: Path  # data_dir/backups/<entry id>
    exposure: dict[str, dict[str, object]]  # the exposure record before this entry (kept for undo)
    settled_sha256: Callable[[str, Path, bytes | None], str | None]  # the engine's, per tool
    count: int = 0

    def record_for(self, op: _Op) -> FileRecord:
        backup = None
        if op.before is not None:
            backup = str((self.root / f"{self.count:02d}-{op.real.name}").relative_to(self.data_dir))
            self.count += 1
        changes = owned_changes(op.kind, op.real, op.before, op.after) if op.kind else None
        return FileRecord(op.tool, str(op.real), sha256(op.before), sha256(op.after), backup, op.holds_secret,
                          self.exposure.get(str(op.real)), self.settled_sha256(op.tool, op.real, op.after),
                          op.kind or None, changes, _missing_folders(op.real.parent) if op.before is None else [])

    def write(self, op: _Op) -> None:
        if op.record is not None and op.record.backup is not None and op.before is not None:
            atomic_write(self.data_dir / op.record.backup, op.before, mode=0o600)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot be read ({exc.strerror or exc})") from None


class SwitchEngine:
    """Applies target plans safely. One instance per process is fine; all state lives on disk."""

    def __init__(
        self,
        targets: Sequence[Target],
        env: ToolEnv,
        data_dir: Path | None = None,
        *,
        max_backups: int = DEFAULT_MAX_BACKUPS,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        routes: RouteKeeper | None = None,
    ):
        self.targets = {t.id: t for t in targets}
        self.routes = routes  # where gateway routes live, so undo can put them back (None: no gateway)
        self.env = env  # a `ToolEnv`: where the tools' files are (injectable for tests and --home)
        self.data_dir = data_dir or paths.data_dir()
        self.journal = Journal(self.data_dir / "journal")
        self.backup_dir = self.data_dir / "backups"
        self.exposure_record = ExposureRecord(self.data_dir / "exposure.json")
        self.max_backups = max_backups
        self.lock_timeout = lock_timeout

    # -- locking and recovery -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            paths.ensure_private_dir(self.data_dir)
        except OSError as exc:
            why = describe_os_error(exc, "create")
            raise SwitchoverError(f"Switchover cannot use its data folder: {why}.") from exc
        self._require_trusted()
        try:
            with locked(self.data_dir / "switch.lock", timeout=self.lock_timeout, what="your tools' configs"):
                yield
        except LockBusyError:
            raise SwitchInProgressError(
                "A switch is in progress in another Switchover process (the app or a CLI); "
                "try again when it has finished."
            ) from None

    def recover(self) -> list[str]:
        """Roll back switches a killed process left "in progress"; returns what was done, for the user."""
        with self._locked():
            return self._recover_locked()

    def _require_trusted(self, *files: Path) -> None:
        """Our folders (and `files` in them) must be the user's own and not writable by others (trust.py)."""
        require_private([self.data_dir, self.journal.directory, self.backup_dir, *files], "its switch journal")

    def _untrusted_record(self, record: FileRecord, declared: dict[str, set[str]]) -> str | None:
        """Why recovery or undo must not act on `record`: a path no tool declares, a backup elsewhere."""
        refusal = check_record(record.tool, record.path, record.backup, declared, self.data_dir, self.backup_dir)
        if refusal is None and record.backup is not None:
            require_private([self.data_dir / record.backup], "its backups")
        return refusal

    def _recover_locked(self) -> list[str]:
        # Every start recovers under the lock before writing, so only the newest entry can be in progress.
        messages = []
        for entry in self.journal.newest(1):
            if entry.state != IN_PROGRESS:
                continue
            self._require_trusted(*self.journal.files())
            declared = declared_files(self.targets.values(), self.env)
            problems = []
            acted: list[FileRecord] = []
            for record in reversed(entry.files):
                refusal = self._untrusted_record(record, declared)
                if refusal:  # written only where a tool declares its config, never anywhere a journal says
                    problems.append(refusal)
                    continue
                acted.append(record)
                problem = self._rollback_record(record, interrupted=True)
                if problem:
                    problems.append(problem)
            for directory in {Path(r.path).parent for r in acted}:
                _remove_temp_files(directory)
            entry.state = INTERRUPTED
            entry.finished = now_iso()
            entry.problems = problems
            self.journal.write(entry)
            what = "undo" if entry.kind == "undo" else f"switch to {entry.provider}/{entry.model}"
            message = f"An interrupted {what} (started {entry.started}) was rolled back."
            if problems:
                message += " Not restored (changed since): " + "; ".join(problems)
            log.warning(message)
            messages.append(message)
        return messages

    def _rollback_record(self, record: FileRecord, interrupted: bool) -> str | None:
        """Put one file back as it was before the entry; only if it still holds what we wrote."""
        real = Path(record.path)
        current = _read(real)
        current_sha = sha256(current)
        if current_sha == record.before_sha256:
            return None  # never written, or already restored
        if current_sha != record.after_sha256:  # someone else wrote it since: never clobber that
            when = "after the interruption" if interrupted else "while the switch ran"
            return f"{real} (edited {when}; left as is)"
        if record.before_sha256 is None:
            real.unlink(missing_ok=True)
            _remove_empty_folders(record.created_dirs)
            return None
        if record.backup is None:
            return f"{real} (no backup)"
        data = _read(self.data_dir / record.backup)
        if data is None or sha256(data) != record.before_sha256:
            return f"{real} (backup missing or damaged)"
        atomic_write(real, data, private=bool(record.exposure_before))
        return None

    # -- planning -----------------------------------------------------------------------------------------

    def _select(self, tools: Sequence[str] | None) -> list[Target]:
        if tools is None:
            return [t for t in self.targets.values() if t.detect(self.env).installed]
        unknown = [t for t in tools if t not in self.targets]
        if unknown:
            hints = "".join(did_you_mean(t, self.targets) for t in unknown)
            raise SwitchRefusedError(
                f"Unknown tool {', '.join(unknown)}.{hints} Known tools: {', '.join(self.targets)}"
            )
        return [self.targets[t] for t in dict.fromkeys(tools)]

    def use(
        self,
        request: SwitchRequest,
        tools: Sequence[str] | None = None,
        *,
        dry_run: bool = False,
        want_diff: bool = False,
        skip_refused: bool | None = None,
        per_tool: Mapping[str, SwitchRequest] | None = None,
        routes: Sequence[RouteRecord] = (),
    ) -> SwitchResult:
        """Point `tools` (None: every detected tool) at `request.provider` / `request.model`.

        `request` is a `switchover.core.switching.contract.SwitchRequest`. Tools named explicitly must all plan, or
        nothing is written (SwitchRefusedError). With tools=None (or `skip_refused=True`, e.g. `--all`) a
        tool that cannot take this provider is reported and skipped; the others are switched.
        `per_tool` gives some tools their own request (each tool's gateway route has its own URL); `routes` are
        the gateway re-routes made with this switch, journaled in the same entry so one undo takes back both.
        """
        if skip_refused is None:
            skip_refused = tools is None
        provider, model, small_model = request.provider, request.model, request.small_model
        validation.model_id(model, "model")  # whoever built the request (CLI, app, failover), before any plan
        validation.optional_model_id(small_model, "small model")
        with self._locked():
            recovered = tuple(self._recover_locked())
            crashpoint("locked")
            selected = self._select(tools)
            requests = dict(per_tool or {})
            outcomes, plans = self._plan_all(selected, request, skip_refused, requests)
            ops = [self._op(target.id, change) for target, plan in plans for change in plan.changes]
            diff = ""
            if dry_run or want_diff:
                diff = unified_diff(((op.path, op.before, op.after) for op in ops), self._secrets(ops, request))
            for target, plan in plans:
                files = tuple(str(c.path) for c in plan.changes)
                status = "planned" if dry_run else ("switched" if files else "unchanged")
                outcomes[target.id] = ToolOutcome(
                    target.id, target.label, status, "", files, plan.warnings, plan.notes, plan.overrides,
                    plan.fixed,
                )
            ordered = tuple(outcomes[t.id] for t in selected)
            plan_list = tuple(p for _, p in plans)
            if dry_run or not (ops or routes):
                return SwitchResult(None, dry_run, provider.name, model, small_model, ordered, plan_list, diff,
                                    recovered, request)
            entry = JournalEntry(
                id=new_switch_id(), kind="switch", state=IN_PROGRESS, started=now_iso(), provider=provider.name,
                model=model, small_model=small_model,
                tools=list(dict.fromkeys([*(t.id for t, p in plans if p.changes), *(r.tool for r in routes)])),
                routes=list(routes),
            )
            by_id = {target.id: target for target, _ in plans}

            def redo(tool: str) -> list[_Op]:
                plan = by_id[tool].plan(self.env, requests.get(tool, request))
                return [self._op(tool, change) for change in plan.changes]

            self._apply(entry, ops, redo, provider.name)
            readback = {plan.tool: self._read_current(plan.tool) for plan in plan_list}
            return SwitchResult(entry.id, False, provider.name, model, small_model, ordered, plan_list, diff,
                                recovered, request, readback)

    def _settled_sha256(self, tool: str, path: Path, data: bytes | None) -> str | None:
        target = self.targets.get(tool)
        if target is None or data is None:
            return None
        return sha256(target.settled_form(path, data))

    def _changed_since(self, record: FileRecord, current: bytes | None) -> bool:
        """Whether the file differs from what the switch wrote, beyond the tool's own rewrites."""
        if sha256(current) == record.after_sha256:
            return False
        if record.after_settled_sha256 is None or current is None:
            return True
        return self._settled_sha256(record.tool, Path(record.path), current) != record.after_settled_sha256

    def _plan_all(self, selected: list[Target], request: SwitchRequest, skip_refused: bool,
                  per_tool: Mapping[str, SwitchRequest] | None = None,
                  ) -> tuple[dict[str, ToolOutcome], list[tuple[Target, SwitchPlan]]]:
        """Every selected tool plans (nothing is written). Tools that cannot get an outcome saying why; unless
        `skip_refused`, one such tool refuses the whole switch."""
        outcomes: dict[str, ToolOutcome] = {}
        plans: list[tuple[Target, SwitchPlan]] = []
        for target in selected:
            try:
                plan = target.plan(self.env, (per_tool or {}).get(target.id, request))
                for change in plan.changes:
                    _refuse_read_only(change.path, change.before is not None, target.label)
                plans.append((target, plan))
            except SwitchoverError as exc:  # TargetRefusal, ConfigFileError (file left untouched)
                status = "error" if isinstance(exc, ConfigFileError) else "refused"
                outcomes[target.id] = ToolOutcome(target.id, target.label, status, str(exc))
        if outcomes and not skip_refused:
            raise SwitchRefusedError(
                "Nothing was changed. " + " ".join(f"{o.label}: {o.message}" for o in outcomes.values())
            )
        return outcomes, plans

    def _op(self, tool: str, change: FileChange) -> _Op:
        return _Op(tool, change.path, resolve_target(change.path), change.before, change.after,
                   change.new_file_mode, change.holds_secret, kind=change.kind)

    def _secrets(self, ops: list[_Op], request: SwitchRequest) -> tuple[str, ...]:
        if not any(op.holds_secret for op in ops):
            return ()
        try:
            key = request.resolve_key()
        except SwitchoverError:
            return ()
        return (key,) if key else ()

    # -- applying -----------------------------------------------------------------------------------------

    def _apply(self, entry: JournalEntry, ops: list[_Op], redo: Callable[[str], list[_Op]] | None,
               provider: str) -> None:
        """Journal + backups (durable) -> re-check each file -> write all -> journal "done".

        Files are independent and every one is backed up and journaled before any is written, so the
        durable steps run concurrently: fsync latency, not CPU, dominates a switch. Any failure from the first
        write on rolls back what was written (`_roll_back`).
        """
        exposure = self.exposure_record.load()
        backups = _Backups(self.data_dir, self.backup_dir / entry.id, exposure, self._settled_sha256)
        self._journal_and_back_up(entry, ops, backups)
        written: list[_Op] = []
        try:
            ready = self._recheck(entry, ops, redo, backups)
            crashpoint("checked")
            self._write_all(ready, written)
            entry.state = DONE
            entry.finished = now_iso()
            self.journal.write(entry)
        except BaseException as exc:
            self._roll_back(entry, written, exc)
        crashpoint("done")
        self._bookkeeping(entry, written, provider, exposure, backups.root)

    def _journal_and_back_up(self, entry: JournalEntry, ops: list[_Op], backups: _Backups) -> None:
        """Record every file in the journal entry and back it up, durably, before any config file is touched."""
        for op in ops:
            op.record = backups.record_for(op)
        entry.files = [op.record for op in ops if op.record is not None]
        crashpoint("planned")
        try:
            if any(op.before is not None for op in ops):
                paths.ensure_private_dir(backups.root)
            # From the moment the journal entry is on disk, a crash is rolled back on the next start; backups
            # are durable before any config file is replaced.
            _all(self._pool, [partial(self.journal.write, entry), *(partial(backups.write, op) for op in ops)])
        except OSError as exc:  # disk full, file size limit, permissions: no config file was touched yet
            with contextlib.suppress(OSError):
                self.journal.remove(entry.id)
            with contextlib.suppress(OSError):
                _remove_folder(backups.root)
            raise SwitchFailedError(
                f"Nothing was changed: {describe_os_error(exc)} (Switchover's journal and backups go in "
                f"{self.data_dir})."
            ) from exc
        crashpoint("journal and backups written")

    def _recheck(self, entry: JournalEntry, ops: list[_Op], redo: Callable[[str], list[_Op]] | None,
                 backups: _Backups) -> list[_Op]:
        """The operations to write: each tool's as planned, or re-planned once if the user saved since."""
        ready: list[_Op] = []
        replanned: set[str] = set()
        for tool in dict.fromkeys(op.tool for op in ops):
            group = [op for op in ops if op.tool == tool]
            if any(_read(op.real) != op.before for op in group):
                group = self._replan(entry, tool, group, redo, replanned, backups)
            ready.extend(group)
        return ready

    def _write_all(self, ready: list[_Op], written: list[_Op]) -> None:
        """Write every file concurrently; `written` collects the ones that landed (for a rollback). The first
        failure is raised once all writes have finished."""
        futures = {self._pool.submit(_write, op): op for op in ready}
        failure: BaseException | None = None
        for future in as_completed(futures):
            op = futures[future]
            try:
                future.result()
            except BaseException as exc:
                failure = failure or exc
                continue
            written.append(op)
            crashpoint(f"wrote {op.real.name}")
        if failure is not None:
            raise failure

    def _roll_back(self, entry: JournalEntry, written: list[_Op], exc: BaseException) -> NoReturn:
        """Restore the files already written, journal the entry as rolled back, and say what happened."""
        problems = []
        for op in reversed(written):
            assert op.record is not None
            try:
                problem = self._rollback_record(op.record, interrupted=False)
            except OSError as rollback_exc:
                problem = f"{op.real} ({rollback_exc})"
            if problem:
                problems.append(problem)
        detail = (str(exc) if isinstance(exc, SwitchoverError) else describe_os_error(exc)
                  if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}")
        entry.state = ROLLED_BACK
        entry.finished = now_iso()
        entry.error = detail if isinstance(exc, Exception) else type(exc).__name__
        entry.problems = problems
        try:
            self.journal.write(entry)
        except OSError:  # the entry stays "in progress"; the next start finds the files restored already
            log.warning("could not record the rolled-back switch %s", entry.id, exc_info=True)
        if not isinstance(exc, Exception):
            raise exc
        message = f"Switch failed and was rolled back ({len(written)} file(s) restored): {detail}"
        if problems:
            message += " Could not restore: " + "; ".join(problems)
        raise SwitchFailedError(message) from exc

    def _bookkeeping(self, entry: JournalEntry, written: list[_Op], provider: str,
                     exposure: dict[str, dict[str, object]], backup_root: Path) -> None:
        """After a done switch: exposure record, undo's temporary backups, pruning. The switch is done and
        journaled, so a failure here must not report it as failed."""
        try:
            self._update_exposure(entry, written, provider, exposure)
            if entry.kind == "undo":
                _remove_folder(backup_root)  # only needed while the undo ran; an undo is not itself undone
            self._prune()
        except OSError:
            log.warning("after switch %s: bookkeeping failed", entry.id, exc_info=True)

    @property
    def _pool(self) -> ThreadPoolExecutor:
        return _POOL

    def _replan(self, entry: JournalEntry, tool: str, group: list[_Op], redo: Callable[[str], list[_Op]] | None,
                replanned: set[str], backups: _Backups) -> list[_Op]:
        """The user saved one of this tool's files after we planned: plan again from the new bytes, once."""
        changed = [str(op.real) for op in group if _read(op.real) != op.before]
        if redo is None or tool in replanned:
            raise SwitchFailedError(
                f"{', '.join(changed)} changed while Switchover was writing it; it was left as you saved it."
            )
        replanned.add(tool)
        log.info("%s changed since planning; re-planning %s from the new content", ", ".join(changed), tool)
        fresh = redo(tool)
        if any(_read(op.real) != op.before for op in fresh):
            raise SwitchFailedError(
                f"{', '.join(changed)} keeps changing while Switchover writes it; it was left as you saved it."
            )
        old_records = {id(op.record) for op in group}
        entry.files = [r for r in entry.files if id(r) not in old_records]
        for op in fresh:
            op.record = backups.record_for(op)
            entry.files.append(op.record)
        for op in fresh:
            backups.write(op)
        self.journal.write(entry)
        return fresh

    def _update_exposure(self, entry: JournalEntry, written: list[_Op], provider: str,
                         exposure: dict[str, dict[str, object]]) -> None:
        changed = False
        for op in written:
            key = str(op.real)
            if entry.kind == "undo":
                assert op.record is not None
                restored = op.record.exposure_before
                if restored:
                    exposure[key] = restored
                else:
                    exposure.pop(key, None)
            elif op.holds_secret and op.after is not None:
                exposure[key] = {"tool": op.tool, "provider": provider, "since": entry.started}
            else:
                exposure.pop(key, None)
            changed = True
        if changed and exposure != self.exposure_record.load():
            self.exposure_record.save(exposure)

    def _prune(self) -> None:
        """Keep backups of the last `max_backups` switches and the last JOURNAL_LIMIT journal entries."""
        if self.backup_dir.is_dir():
            folders = sorted(p for p in self.backup_dir.iterdir() if p.is_dir())
            for folder in folders[: max(0, len(folders) - self.max_backups)]:
                _remove_folder(folder)
        self.journal.prune(JOURNAL_LIMIT)

    # -- undo, history, exposure --------------------------------------------------------------------------

    def _undoable(self, newest_first: Iterator[JournalEntry]) -> JournalEntry | None:
        undone: set[str | None] = set()
        for entry in newest_first:
            if entry.kind == "undo" and entry.state == DONE:
                undone.add(entry.undoes)
            elif entry.kind == "switch" and entry.state == DONE and entry.id not in undone:
                return entry
        return None

    def undo(self, *, force: bool = False) -> UndoResult:
        """Restore every file of the last switch that has not been undone, byte for byte."""
        with self._locked():
            recovered = tuple(self._recover_locked())
            target = self._undoable(self.journal.newest())
            if target is None:
                raise UndoError("There is no switch to undo.")
            self._require_trusted(*self.journal.files())
            declared = declared_files(self.targets.values(), self.env)
            refusals = [r for r in (self._untrusted_record(rec, declared) for rec in target.files) if r]
            if refusals:
                raise UndoError("Nothing was changed: " + "; ".join(refusals) + ".")
            ops: list[_Op] = []
            conflicts = []
            kept: list[tuple[FileRecord, bytes | None, bytes | None]] = []
            for record in target.files:
                real = Path(record.path)
                current = _read(real)
                after = self._backup_of(record, target)
                if self._changed_since(record, current) and not force:
                    try:  # the tool (or the user) changed it since: take back only Switchover's keys
                        after = self._semantic(record, after, current)
                    except _NotOursAlone as why:
                        conflicts.append(f"{real} ({why})")
                        continue
                    kept.append((record, current, after))
                if current == after:
                    continue
                protected = _write_protected(real) if current is not None else None
                if protected is not None:
                    raise UndoError(f"{real} {protected} now, so undo leaves it as it is; nothing was changed. Make it "
                                    f"writable (chmod u+w {real}) and undo again.")
                # Bytes that held a key we wrote (exposure_before) go back private, whatever the mode is now.
                op = _Op(record.tool, real, real, current, after, 0o644, bool(record.exposure_before))
                ops.append(op)
                op.record = None
            if conflicts and not force:
                raise UndoError(
                    "These files changed after the switch, so undo would lose your edits: "
                    + ", ".join(conflicts) + ". Nothing was changed (use --force to restore them anyway)."
                )
            entry = JournalEntry(
                id=new_switch_id(), kind="undo", state=IN_PROGRESS, started=now_iso(), provider=target.provider,
                model=target.model, small_model=target.small_model, tools=list(target.tools), undoes=target.id,
            )
            # Undo restores each file's exposure to what it was before the switch being undone.
            by_path = {r.path: r for r in target.files}
            self._apply_undo(entry, ops, by_path)
            for record in target.files:  # folders the switch created for a file that is gone again
                if record.before_sha256 is None and not Path(record.path).exists():
                    _remove_empty_folders(record.created_dirs)
            routes_kept: list[str] = []
            if target.routes:
                if self.routes is None:
                    routes_kept = [f"{r.tool} (no gateway store here)" for r in target.routes]
                else:
                    routes_kept = self.routes.revert(target.routes)
            return UndoResult(entry.id, target.id, tuple(str(op.real) for op in ops), recovered,
                              tuple(r.path for r, _, _ in kept), _kept_diff(kept),
                              tuple(r.tool for r in target.routes), tuple(routes_kept))

    def _backup_of(self, record: FileRecord, switch: JournalEntry) -> bytes | None:
        """The bytes before the switch (None: it created the file), checked against the journal."""
        if record.before_sha256 is None:
            return None
        data = _read(self.data_dir / record.backup) if record.backup else None
        if data is None or sha256(data) != record.before_sha256:
            raise UndoError(
                f"The backup of {record.path} from {switch.started} is gone (only the last {self.max_backups} "
                "switches keep backups); nothing was changed."
            )
        return data

    def _semantic(self, record: FileRecord, before: bytes | None, current: bytes | None) -> bytes | None:
        """The file as it is now with Switchover's keys as they were before the switch (`semantic.restore`)."""
        if record.changes is None or not record.kind:
            raise _NotOursAlone("changed since the switch")
        try:
            return restore(record.kind, Path(record.path), before, current, record.changes)
        except KeyChangedSince as exc:
            raise _NotOursAlone(f"{exc.key} changed since the switch") from None
        except ConfigFileError as exc:
            raise _NotOursAlone(f"no longer parses: {exc.detail}") from None

    def _apply_undo(self, entry: JournalEntry, ops: list[_Op], originals: dict[str, FileRecord]) -> None:
        self._apply(entry, ops, None, entry.provider)
        exposure = self.exposure_record.load()
        for path, record in originals.items():
            if record.exposure_before:
                exposure[path] = record.exposure_before
            else:
                exposure.pop(path, None)
        self.exposure_record.save(exposure)

    def history(self, limit: int | None = None) -> list[JournalEntry]:
        """Switches and undos, newest first (interrupted ones are rolled back first)."""
        with self._locked():
            self._recover_locked()
            entries = list(reversed(self.journal.entries()))
        return entries[:limit] if limit else entries

    def exposure(self) -> list[ExposedFile]:
        """Files we wrote that hold a plaintext key, and our backups of such files (kept for a byte-exact
        undo, so they hold the key too; they go when their switch's backups are pruned)."""
        files = self.exposure_record.entries()
        for entry in self.journal.newest():
            for record in entry.files:
                if not record.exposure_before or record.backup is None:
                    continue
                backup = self.data_dir / record.backup
                if backup.is_file():
                    provider = str(record.exposure_before.get("provider", ""))
                    files.append(ExposedFile(str(backup), record.tool, provider, entry.started))
        return files

    # -- inspection and verification ----------------------------------------------------------------------

    def tools(self) -> list[ToolStatus]:
        rows = []
        for target in self.targets.values():
            detection = target.detect(self.env)
            current, error = None, None
            try:
                current = target.current(self.env)
            except SwitchoverError as exc:
                error = str(exc)
            except Exception as exc:  # one odd file makes that tool "unreadable", never `tools`/`status` fail
                log.warning("reading %s's config failed", target.id, exc_info=True)
                error = f"its config could not be read ({type(exc).__name__}: {exc})"
            overrides = tuple(p for p in detection.overrides if p.exists())
            rows.append(ToolStatus(target.id, target.label, detection, current, error, overrides))
        return rows

    def _read_current(self, tool: str) -> tuple[CurrentChoice | None, str | None]:
        """What `tool` reads now, or why it could not be read (never raises)."""
        try:
            return self.targets[tool].current(self.env), None
        except Exception as exc:  # SwitchoverError (a clear message) or a bug reading an odd file
            return None, str(exc) if isinstance(exc, SwitchoverError) else f"{type(exc).__name__}: {exc}"

    def verify(self, result: SwitchResult, health: HealthHook | None = None, *, fresh: bool = False
               ) -> list[VerifyReport]:
        """Compare what each switched tool reads with what was asked.

        A result from `use` carries what each tool read back right after the write, inside the switch's lock,
        so another switch finishing in between cannot make this one look failed; other results (or `fresh`)
        are read now.
        `health`, when given, is called with exactly what the tool reads (base URL, model) so the health
        check probes that, not what we meant to write.
        """
        reports = []
        for plan in result.plans:
            problems = []
            actual, problem = (None if fresh else result.readback.get(plan.tool)) or self._read_current(plan.tool)
            if problem:
                problems.append(problem)
            endpoint = plan.endpoint
            if actual is not None and actual.protocol is not None and result.request is not None:
                # A tool configured for several protocols (the shell file) reports the one it would use.
                endpoint = result.request.provider.endpoint(actual.protocol) or endpoint
            expected_url = endpoint.base_url.rstrip("/")
            if actual is None:
                problems.append("the tool's config could not be read back")
            elif actual.overrides:  # the file says what was asked, but the tool will use something else
                problems += [f"switched but not in effect: {o.describe()}" for o in actual.overrides]
            else:
                if (actual.base_url or "").rstrip("/") != expected_url:
                    problems.append(f"base URL is {actual.base_url!r}, expected {expected_url!r}")
                if actual.model != plan.model:
                    problems.append(f"model is {actual.model!r}, expected {plan.model!r}")
            health_text = None
            if health is not None and actual is not None and not problems:
                ok, health_text = health(plan.tool, actual, plan)
                if not ok:
                    problems.append(health_text)
            reports.append(VerifyReport(plan.tool, not problems, expected_url, plan.model, actual,
                                        tuple(problems), health_text))
        return reports


def _write(op: _Op) -> None:
    # Re-check right before replacing: the user may have saved after the re-plan check (writes run
    # concurrently, so that check can be a while ago); their save must never be clobbered.
    if _read(op.real) != op.before:
        raise SwitchFailedError(f"{op.real} changed while Switchover was writing it; it was left as you saved it.")
    if op.after is None:
        op.real.unlink(missing_ok=True)
    else:
        atomic_write(op.path, op.after, mode=op.new_file_mode, private=op.holds_secret)


def _all(pool: ThreadPoolExecutor, jobs: list[Callable[[], None]]) -> None:
    """Run jobs concurrently; re-raise the first failure after all have finished."""
    for future in [pool.submit(job) for job in jobs]:
        future.result()


def _remove_folder(folder: Path) -> None:
    if not folder.is_dir():
        return
    for file in folder.iterdir():
        file.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


def _kept_diff(kept: Sequence[tuple[FileRecord, bytes | None, bytes | None]]) -> str:
    """What undo changed in files whose later changes it kept; a file that holds a key is only named."""
    shown = [(Path(r.path), now, new) for r, now, new in kept if not (r.holds_secret or r.exposure_before)]
    hidden = [r.path for r, _, _ in kept if r.holds_secret or r.exposure_before]
    return unified_diff(shown) + "".join(f"(not shown: {path} holds a key)\n" for path in hidden)


def _missing_folders(folder: Path) -> list[str]:
    """The folders that do not exist yet on the way to `folder`, deepest first (a write creates them)."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(str(folder))
        folder = folder.parent
    return missing


def _remove_empty_folders(folders: Sequence[str]) -> None:
    """Remove folders a switch created, deepest first, while they are empty (a tool may have filled them)."""
    for folder in folders:
        try:
            os.rmdir(folder)
        except OSError:
            return


def _write_protected(path: Path) -> str | None:
    """Why the file must not be replaced although its folder would let a rename do it, or None.

    A config without its owner's write bit (chmod 444), or another user's file we cannot write, is protected
    on purpose; replacing it through the folder would override that silently. (A file the system refuses to
    replace, e.g. `chattr +i`, fails at the write instead and the switch is rolled back.)
    """
    real = resolve_target(path)
    try:
        info = real.stat()
    except OSError:
        return None
    mode = stat.S_IMODE(info.st_mode)
    if not mode & stat.S_IWUSR:
        return f"is read-only (mode {mode:04o})"
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid() and not os.access(real, os.W_OK):
        return f"belongs to another user and is not writable by you (mode {mode:04o})"
    return None


def _refuse_read_only(path: Path, exists: bool, label: str) -> None:
    """A read-only config is the user's way of saying "leave it": refuse, with how to proceed."""
    why = _write_protected(path) if exists else None
    if why is not None:
        raise ConfigFileError(path, f"{why}, so Switchover leaves it as it is. To switch {label}, make it writable "
                                    f"first (chmod u+w {path}), or leave {label} out")


def _remove_temp_files(directory: Path) -> None:
    """Temp files an interrupted atomic write left behind (ours only: they carry our prefix)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.startswith(TEMP_PREFIX):
            with contextlib.suppress(OSError):
                (directory / name).unlink()


__all__ = [
    "HealthHook",
    "SwitchEngine",
    "SwitchFailedError",
    "SwitchInProgressError",
    "SwitchRefusedError",
    "SwitchResult",
    "ToolOutcome",
    "ToolStatus",
    "UndoError",
    "UndoResult",
    "VerifyReport",
]
