"""The failover loop: read what each tool uses, check it and its next candidates, decide, act, tell observers.

Everything outside this module's own logic comes through small interfaces (a clock, a health checker, a view
of the tools, a switcher), so tests drive the loop with a fake clock and the app runs it in a worker thread.

Scheduling: every `interval_s`; sooner (`fast_interval_s`) while an active endpoint is failing but not yet
down; a rate-limited endpoint is not checked again before its Retry-After (or an exponential backoff).
Sleep/wake: when wall time jumps ahead of monotonic time (or a wait overruns by far) the machine slept; all
counters restart and the first check waits `wake_grace_s` for the network. Nothing configured (no chain, or
every tool off) means no check at all: not one packet.

The active choice of a tool is read from its own config (`Target.current`), matched to a store provider by
base URL: the config is the truth, since the user or another program may change it at any time. The
decision history says only whether that choice came from our own failover (then switching back applies).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol as TypingProtocol

from switchover.core import paths
from switchover.core.balance.results import BalanceResult
from switchover.core.errors import SwitchoverError
from switchover.core.failover.chains import Candidate, any_chain, has_own_chain, resolve_candidates
from switchover.core.failover.decisions import Action, Decision, DecisionLog
from switchover.core.failover.policy import (
    FailoverPolicy,
    HealthLedger,
    ToolState,
    ToolView,
    match_position,
    same_choice,
)
from switchover.core.failover.settings import DEFAULT_TOOL, FailoverSettings, Mode, load_settings
from switchover.core.filelock import LockBusyError, locked
from switchover.core.health.results import HealthResult, Tier
from switchover.core.providers import Protocol, Provider, endpoint_key, provider_at
from switchover.core.store import ChainEntry, Store, load_store
from switchover.core.switching.contract import CurrentChoice

log = logging.getLogger(__name__)

STANDBY_MESSAGE = (
    "Another Switchover monitor (the app or `switchover watch`) is already running; this one stands by and "
    "takes over if that one stops."
)
SLEEP_GAP_S = 30.0  # a wait that overran (or a wall clock jump) by more than this means the machine slept
WAKE_POLL_S = 5.0  # longest single wait: how soon a wake from sleep is noticed
MIN_DELAY_S = 0.05


# ---------------------------------------------------------------- the interfaces the loop depends on


class Clock(TypingProtocol):
    def monotonic(self) -> float: ...
    def wall(self) -> float: ...
    def wait(self, seconds: float, interrupt: threading.Event) -> None:
        """Sleep up to `seconds`, returning early when `interrupt` is set."""


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def wait(self, seconds: float, interrupt: threading.Event) -> None:
        interrupt.wait(max(0.0, seconds))


@dataclass(frozen=True)
class CheckRequest:
    """Check `provider` over `protocol`; `models` are the ones the chain would switch to (must be listed)."""

    provider: Provider
    protocol: Protocol
    models: tuple[str, ...] = ()

    @property
    def endpoint_key(self) -> str:
        return endpoint_key(self.provider.name, self.protocol)


class HealthChecker(TypingProtocol):
    def check(self, requests: Sequence[CheckRequest], tier: Tier) -> list[HealthResult]: ...


class BalanceChecker(TypingProtocol):
    def check(self, providers: Sequence[Provider], store: Store) -> list[BalanceResult]:
        """Ask the providers that have a balance API what is left (others are left out)."""


class ToolDirectory(TypingProtocol):
    """The coding tools: which exist, what they speak, what their config points at now."""

    def tool_ids(self) -> list[str]: ...
    def label(self, tool: str) -> str: ...
    def protocols(self, tool: str) -> tuple[Protocol, ...]: ...
    def current(self, tool: str) -> CurrentChoice | None: ...


class Switcher(TypingProtocol):
    def switch(self, tool: str, provider: Provider, model: str, small_model: str | None) -> str | None:
        """Point `tool` at provider/model (with backups and journal); raise SwitchoverError when refused.
        Returns why the switch is not in effect (the tool ranks something else above its config), or None."""


DecisionObserver = Callable[[Decision], None]


# ---------------------------------------------------------------- status for the UI / CLI


@dataclass(frozen=True)
class FailoverStatus:
    """One monitored tool as the last round saw it (`chain show`, `failover`, the app's failover view)."""

    tool: str
    label: str
    mode: Mode
    active: ChainEntry | None
    active_health: HealthResult | None
    chain: tuple[tuple[ChainEntry, HealthResult | None], ...]
    open_suggestion: Decision | None
    notes: tuple[str, ...] = ()


@dataclass
class _Round:
    """What one tick worked with (kept for `status()`)."""

    views: list[ToolView] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)


def find_active(
    store: Store, current: CurrentChoice, tool_protocols: Sequence[Protocol]
) -> tuple[Provider, Protocol] | None:
    """The store provider (and the protocol) whose endpoint has the base URL the tool's config names.

    The protocol the config says comes first, then the others the tool speaks; the returned protocol is
    always one the provider offers.
    """
    protocols = list(dict.fromkeys([*([current.protocol] if current.protocol else []), *tool_protocols]))
    if current.provider and current.provider in store.providers:
        provider = store.providers[current.provider]
        protocol = next((p for p in protocols if provider.endpoint(p) is not None), None)
        return (provider, protocol) if protocol is not None else None
    if not current.base_url:
        return None
    for protocol in protocols:
        match = provider_at(store.providers.values(), current.base_url, protocol)
        if match is not None:
            return match[0], protocol
    return None


class Monitor:
    """Runs the failover loop. Thread-safe: `run()` in one thread; `accept`, `stop`, `check_now` from any."""

    def __init__(
        self,
        *,
        tools: ToolDirectory,
        checker: HealthChecker,
        switcher: Switcher,
        clock: Clock | None = None,
        history: DecisionLog | None = None,
        store_loader: Callable[[], Store] = load_store,
        adjust_settings: Callable[[FailoverSettings], FailoverSettings] | None = None,
        only_tools: Sequence[str] | None = None,
        lookahead: int = 2,
        exclusive_lock: Path | None = None,
        balance_checker: BalanceChecker | None = None,
        evidence: Callable[[Sequence[str]], list[HealthResult]] | None = None,
    ):
        self.tools = tools
        # Results recorded elsewhere for these endpoint keys (the gateway's requests, in another process):
        # read each round and counted like the monitor's own checks, so there is one truth, not two.
        self._evidence = evidence
        self.checker = checker
        self.switcher = switcher
        self.clock: Clock = clock or SystemClock()
        self.history = history or DecisionLog()
        self._load_store = store_loader
        self._adjust = adjust_settings
        self._only = set(only_tools) if only_tools else None
        self.lookahead = lookahead
        self._results_observers: list[Callable[[list[HealthResult]], None]] = []
        self.settings = FailoverSettings()
        self.ledger = HealthLedger(self.settings)
        self.policy = FailoverPolicy(self.settings)
        self._states: dict[str, ToolState] = {}
        self._observers: list[DecisionObserver] = []
        self._problem_observers: list[Callable[[str | None], None]] = []
        self._lock = threading.RLock()
        self._interrupt = threading.Event()
        self._stopping = threading.Event()
        self._paused = False
        self._round = _Round()
        self.checks_made = 0  # endpoint checks so far (tests assert "no traffic" with it)
        self.last_error: str | None = None
        self.woke_at: float | None = None
        self.exclusive_lock = exclusive_lock
        self.balance_checker = balance_checker
        self._balance_due_at: float | None = None  # monotonic; None = at the next round
        self._balance_observers: list[Callable[[list[BalanceResult]], None]] = []
        self.balance_rounds = 0

    # ------------------------------------------------------------ observers

    def add_observer(self, observer: DecisionObserver) -> None:
        """`observer(decision)` runs on the monitor's thread after each decision; a Qt UI re-emits it."""
        self._observers.append(observer)

    def _notify(self, decisions: Sequence[Decision]) -> None:
        for decision in decisions:
            for observer in list(self._observers):
                try:
                    observer(decision)
                except Exception:  # an observer's bug must not stop failover
                    log.exception("failover observer failed")

    def add_results_observer(self, observer: Callable[[list[HealthResult]], None]) -> None:
        """`observer(results)` after each round's checks (monitor thread), e.g. to refresh a health view."""
        self._results_observers.append(observer)

    def add_balance_observer(self, observer: Callable[[list[BalanceResult]], None]) -> None:
        """`observer(results)` after each balance round (monitor thread), e.g. to show balances in the app."""
        self._balance_observers.append(observer)

    def add_problem_observer(self, observer: Callable[[str | None], None]) -> None:
        """`observer(text)` when failover cannot work (e.g. the store does not parse); `None` when it can again."""
        self._problem_observers.append(observer)

    def _set_problem(self, problem: str | None) -> None:
        if problem == self.last_error:
            return
        self.last_error = problem
        if problem:
            log.warning("failover paused: %s", problem)
        for observer in list(self._problem_observers):
            try:
                observer(problem)
            except Exception:
                log.exception("failover problem observer failed")

    # ------------------------------------------------------------ one round

    def _refresh_settings(self, store: Store) -> FailoverSettings:
        settings = load_settings(store)
        if self._adjust is not None:
            settings = self._adjust(settings)
        self.settings = self.ledger.settings = self.policy.settings = settings
        return settings

    def _state(self, tool: str, active: Candidate | None) -> ToolState:
        state = self._states.get(tool)
        if state is None:
            state = self._states[tool] = self._state_from_history(tool, active)
        return state

    def _state_from_history(self, tool: str, active: Candidate | None) -> ToolState:
        """After a restart: remember whether the tool sits where our own failover put it, and when."""
        state = ToolState()
        last = self.history.last_switch(tool)
        if last is None:
            return state
        age = max(0.0, self.clock.wall() - last.at)
        state.last_switch_at = self.clock.monotonic() - age
        if active is not None and same_choice(active.choice, last.to_choice):
            state.switched_to = last.to_choice
            state.failed_over = last.moved_away
        return state

    def _views(self, store: Store, settings: FailoverSettings) -> _Round:
        found = _Round()
        if not any_chain(store):
            return found  # nothing configured: do not even read the tools' files
        for tool in self.tools.tool_ids():
            if self._only is not None and tool not in self._only:
                continue
            mode = settings.mode_for(tool)
            if mode is Mode.OFF or not (has_own_chain(store, tool) or store.chains.get(DEFAULT_TOOL)):
                continue
            protocols = self.tools.protocols(tool)
            candidates, notes = resolve_candidates(store, tool, protocols)
            try:
                current = self.tools.current(tool)
            except SwitchoverError as exc:  # e.g. a config that does not parse: leave the tool alone
                notes.append(str(exc))
                current = None
            active, position = self._active(store, current, candidates, protocols)
            if current is not None and active is None:
                notes.append(f"its config points at {current.base_url}, which is not a configured provider")
            found.views.append(ToolView(tool, self.tools.label(tool), mode, tuple(candidates), active, position))
            found.notes[tool] = notes
        return found

    @staticmethod
    def _active(
        store: Store, current: CurrentChoice | None, candidates: Sequence[Candidate], protocols: Sequence[Protocol]
    ) -> tuple[Candidate | None, int | None]:
        if current is None:
            return None, None
        found = find_active(store, current, protocols)
        if found is None:
            return None, None
        provider, protocol = found
        model = current.model or provider.default_model or ""
        position = match_position(candidates, provider.name, model)
        return Candidate(position if position is not None else -1, provider, model, protocol), position

    def _requests(self, views: Sequence[ToolView], now: float) -> list[CheckRequest]:
        """The active endpoints, the next candidates (all of them while the active one fails), and the
        preferred ones when a switch back may be due. One request per endpoint, only when due."""
        wanted: dict[str, tuple[Provider, Protocol, list[str]]] = {}

        def want(candidate: Candidate, with_model: bool) -> None:
            entry = wanted.setdefault(candidate.endpoint_key, (candidate.provider, candidate.protocol, []))
            if with_model and candidate.model not in entry[2]:
                entry[2].append(candidate.model)

        for view in views:
            if view.active is None:
                continue
            active = view.active
            want(active, with_model=False)  # the tool's own model name may be an alias; do not judge it
            state = self._state(view.tool, active)
            failing = self.ledger.is_failing(active.endpoint_key)
            after = [c for c in view.candidates if view.active_position is None or c.position > view.active_position]
            for candidate in after if failing else after[: self.lookahead]:
                want(candidate, with_model=True)
            if state.failed_over and view.active_position is not None:
                for candidate in view.candidates[: view.active_position]:
                    want(candidate, with_model=True)
            if failing:
                for candidate in view.candidates:
                    want(candidate, with_model=True)
        return [
            CheckRequest(provider, protocol, tuple(models))
            for key, (provider, protocol, models) in wanted.items()
            if self.ledger.is_due(key, now)
        ]

    def tick(self) -> list[Decision]:
        """One round: check what is due, decide for every tool, act (auto), record, notify. Never raises for
        a provider or config problem (those become notes or decisions)."""
        with self._lock:
            decisions = self._tick_locked()
        self._notify(decisions)
        return decisions

    def _tick_locked(self) -> list[Decision]:
        try:
            store = self._load_store()
            settings = self._refresh_settings(store)
        except SwitchoverError as exc:
            self._set_problem(str(exc))
            self._round = _Round()
            return []
        self._set_problem(None)
        current = self._views(store, settings)
        self._round = current
        self._ingest_evidence(current.views)
        requests = self._requests(current.views, self.clock.monotonic())
        if requests:
            results = self.checker.check(requests, settings.tier)
            self.checks_made += len(requests)
            checked_at = self.clock.monotonic()
            for result in results:
                self.ledger.record(result, checked_at)
            for results_observer in list(self._results_observers):
                try:
                    results_observer(results)
                except Exception:
                    log.exception("failover results observer failed")
        self._balance_round(store, current.views, settings)
        decisions: list[Decision] = []
        now, wall = self.clock.monotonic(), self.clock.wall()
        for view in current.views:
            state = self._state(view.tool, view.active)
            decision = self.policy.decide(view, self.ledger, state, now, wall)
            if decision is None:
                continue
            if decision.action is Action.SWITCHED:
                decision = self._apply(decision, store, state)
            decisions.append(decision)
        try:
            self.history.extend(decisions)
        except (OSError, SwitchoverError) as exc:
            log.warning("could not record failover decisions: %s", exc)
        return decisions

    def _balance_round(self, store: Store, views: Sequence[ToolView], settings: FailoverSettings) -> None:
        """Balance evidence, on its own slower schedule: the active providers and their chains."""
        now = self.clock.monotonic()
        if self.balance_checker is None or not views or (self._balance_due_at is not None
                                                          and now < self._balance_due_at):
            return
        providers: dict[str, Provider] = {}
        for view in views:
            for candidate in (*([view.active] if view.active else []), *view.candidates):
                providers.setdefault(candidate.provider.name, candidate.provider)
        self._balance_due_at = now + settings.balance_interval_s
        try:
            results = self.balance_checker.check(list(providers.values()), store)
        except Exception:  # a balance probe must never stop failover
            log.exception("balance round failed")
            return
        self.balance_rounds += 1
        checked_at = self.clock.monotonic()
        for result in results:
            self.ledger.record_balance(result, checked_at)
        for observer in list(self._balance_observers):
            try:
                observer(results)
            except Exception:
                log.exception("balance observer failed")

    def observe(self, results: Sequence[HealthResult]) -> None:
        """Health evidence from outside the monitor's own checks (the gateway's requests), recorded like them:
        newer results only, each at the time it was made. Thread-safe."""
        with self._lock:
            self._record_external(results)

    def _record_external(self, results: Sequence[HealthResult]) -> None:
        now, wall = self.clock.monotonic(), self.clock.wall()
        for result in sorted(results, key=lambda r: r.checked_at):
            age = max(0.0, wall - result.checked_at)
            last = self.ledger.get(result.endpoint_key).last
            if (last is not None and result.checked_at <= last.checked_at) or age > self.settings.stale_after_s:
                continue
            self.ledger.record(result, now - age)

    def _ingest_evidence(self, views: Sequence[ToolView]) -> None:
        if self._evidence is None:
            return
        keys = sorted({c.endpoint_key for view in views for c in (*view.candidates, *(
            (view.active,) if view.active else ()))})
        if not keys:
            return
        try:
            self._record_external(self._evidence(keys))
        except Exception:  # evidence is a help, never a reason for a round to fail
            log.exception("could not read request evidence")

    def _apply(self, decision: Decision, store: Store, state: ToolState) -> Decision:
        assert decision.to_choice is not None and decision.to_choice.model is not None
        provider = store.get(decision.to_choice.provider)
        try:
            not_in_effect = self.switcher.switch(decision.tool, provider, decision.to_choice.model,
                                                 provider.small_model)
        except SwitchoverError as exc:
            failed = decision.with_outcome(
                Action.FAILED,
                f"{decision.tool_label}: could not switch to {decision.to_choice}: {exc}",
                error=str(exc),
            )
            state.note_switch(failed, self.clock.monotonic())  # retry only after the dwell time
            return failed
        if not_in_effect:
            decision = decision.with_outcome(decision.action, f"{decision.message} Switched but not in effect: "
                                                              f"{not_in_effect}", error=not_in_effect)
        state.note_switch(decision, self.clock.monotonic())
        return decision

    # ------------------------------------------------------------ accepting a suggestion

    def accept(self, suggestion: Decision) -> Decision:
        """Carry out a suggestion (the notification's one action). Returns the ACCEPTED or FAILED record."""
        with self._lock:
            result = self._accept_locked(suggestion)
            try:
                self.history.append(result)
            except (OSError, SwitchoverError) as exc:
                log.warning("could not record failover decision: %s", exc)
        self._notify([result])
        return result

    def _accept_locked(self, suggestion: Decision) -> Decision:
        wall = self.clock.wall()
        target = suggestion.to_choice
        if not suggestion.is_suggestion or target is None or target.model is None:
            raise SwitchoverError("Only a suggestion to switch can be accepted.")

        def failed(why: str) -> Decision:
            return suggestion.with_outcome(Action.FAILED, f"{suggestion.tool_label}: {why}", error=why, at=wall,
                                           suggestion_id=suggestion.id)

        try:
            store = self._load_store()
            provider = store.get(target.provider)
            current = self.tools.current(suggestion.tool)
        except SwitchoverError as exc:
            return failed(str(exc))
        protocols = self.tools.protocols(suggestion.tool)
        found = find_active(store, current, protocols) if current else None
        now_choice = ChainEntry(found[0].name, current.model) if found and current else None
        if now_choice is None or suggestion.from_choice is None or now_choice.provider != \
                suggestion.from_choice.provider:
            return failed(f"its config changed since the suggestion (it now uses {now_choice or 'something else'}); "
                          "nothing was switched.")
        try:
            not_in_effect = self.switcher.switch(suggestion.tool, provider, target.model, provider.small_model)
        except SwitchoverError as exc:
            return failed(f"could not switch to {target}: {exc}")
        message = f"{suggestion.tool_label}: switched to {provider.display_name} {target.model} (accepted)."
        if not_in_effect:
            message += f" Switched but not in effect: {not_in_effect}"
        accepted = suggestion.with_outcome(Action.ACCEPTED, message, error=not_in_effect, at=wall,
                                           suggestion_id=suggestion.id)
        self._state(suggestion.tool, None).note_switch(accepted, self.clock.monotonic())
        return accepted

    # ------------------------------------------------------------ the loop

    def next_delay(self) -> float:
        """Seconds until the next round: the interval, sooner to confirm a failure or end a backoff."""
        settings = self.settings
        delay = settings.interval_s
        now = self.clock.monotonic()
        for view in self._round.views:
            if view.active is None:
                continue
            key = view.active.endpoint_key
            if self.ledger.is_failing(key) and not self.ledger.is_down(key) and self.ledger.is_due(key, now):
                delay = min(delay, settings.fast_interval_s)
        release = self.ledger.next_release(now)
        if release is not None:
            delay = min(delay, release - now)
        return max(MIN_DELAY_S, delay)

    def run(self) -> None:
        """Loop until `stop()`; exceptions from a round are logged, never fatal.

        With `exclusive_lock`, only one monitor runs across processes (the app and `switchover watch`
        would otherwise both notify and switch): the other stands by and takes over when the first stops.
        """
        self._stopping.clear()
        if self.exclusive_lock is None:
            self._loop()
            return
        while not self._stopping.is_set():
            with contextlib.ExitStack() as stack:
                try:
                    stack.enter_context(locked(self.exclusive_lock, timeout=0, what="failover"))
                except LockBusyError:
                    self._set_problem(STANDBY_MESSAGE)
                    self.clock.wait(self.settings.interval_s, self._interrupt)
                    self._interrupt.clear()
                    continue
                self._loop()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            if not self._paused:
                try:
                    self.tick()
                except Exception:
                    log.exception("failover round failed")
            if self._stopping.is_set():
                break
            self._pause_until_next_round(self.next_delay())

    def _pause_until_next_round(self, delay: float) -> None:
        """Wait `delay` in slices of at most WAKE_POLL_S, so a wake from sleep is noticed within seconds
        (not after a whole interval). Slices cost no network, only a clock read."""
        end = self.clock.monotonic() + delay
        while not self._stopping.is_set():
            remaining = end - self.clock.monotonic()
            if remaining <= 1e-6:
                return
            chunk = min(remaining, WAKE_POLL_S)
            started_mono, started_wall = self.clock.monotonic(), self.clock.wall()
            self.clock.wait(chunk, self._interrupt)
            if self._interrupt.is_set():  # stop() or check_now()
                self._interrupt.clear()
                return
            if self._slept(started_mono, started_wall, chunk):
                self.clock.wait(self.settings.wake_grace_s, self._interrupt)
                self._interrupt.clear()
                return

    def _slept(self, started_mono: float, started_wall: float, delay: float) -> bool:
        """Detect suspend: the wall clock ran ahead of the monotonic one (Linux, macOS), or the wait
        overran by far (platforms whose monotonic clock counts suspend)."""
        mono = self.clock.monotonic() - started_mono
        wall = self.clock.wall() - started_wall
        gap = max(wall - mono, mono - delay)
        if gap < SLEEP_GAP_S:
            return False
        with self._lock:
            self.ledger.forget()
            self._balance_due_at = None
            self.woke_at = self.clock.wall()
        log.info("resumed after about %.0f s of sleep; failover counters restarted", gap)
        return True

    def start_thread(self, name: str = "switchover-failover") -> threading.Thread:
        """Run the loop in a daemon thread (the app's way); `stop()` then `join()` it to end."""
        thread = threading.Thread(target=self.run, name=name, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """End `run()` after the round in progress (safe from signal handlers and other threads)."""
        self._stopping.set()
        self._interrupt.set()

    def check_now(self) -> None:
        """Run the next round right away (e.g. the user pressed "Check now")."""
        self._interrupt.set()

    def pause(self) -> None:
        """No checks until `resume()` (e.g. the OS says it is going to sleep, or the user paused failover)."""
        self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self.ledger.forget()
            self._balance_due_at = None
        self._interrupt.set()

    @property
    def paused(self) -> bool:
        return self._paused

    # ------------------------------------------------------------ status

    def status(self) -> list[FailoverStatus]:
        """What the last round saw, per monitored tool (for the app's failover page and `chain show`)."""
        with self._lock:
            rows = []
            for view in self._round.views:
                state = self._states.get(view.tool, ToolState())
                active_health = self.ledger.get(view.active.endpoint_key).last if view.active else None
                chain = tuple((c.choice, self.ledger.get(c.endpoint_key).last) for c in view.candidates)
                active = view.active.choice if view.active else None
                rows.append(FailoverStatus(view.tool, view.label, view.mode, active, active_health, chain,
                                           state.open_suggestion, tuple(self._round.notes.get(view.tool, ()))))
            return rows


def monitor_lock_file() -> Path:
    return paths.data_dir() / "failover" / "monitor.lock"


def one_shot_settings(settings: FailoverSettings) -> FailoverSettings:
    """`switchover failover`: the user asked to act now, so one failing check is enough and no dwell."""
    return replace(settings, hard_threshold=1, soft_threshold=1, dwell_s=0.0, switch_back_after_s=0.0)
