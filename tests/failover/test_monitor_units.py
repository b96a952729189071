"""Monitor behaviour that needs no real server: sleep/wake, restarts, observers, scheduling, history, settings."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import keyring
import pytest

from switchover.core.errors import ConfigFileError, SwitchoverError, ValidationError
from switchover.core.failover.chains import parse_chain, resolve_candidates
from switchover.core.failover.decisions import Action, Decision, DecisionKind, DecisionLog
from switchover.core.failover.monitor import CheckRequest, Monitor, SystemClock, find_active
from switchover.core.failover.settings import FailoverSettings, Mode, load_settings, settings_from_table
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.providers import Credential, Endpoint, Protocol
from switchover.core.store import ChainEntry, Store, load_store, save_store
from switchover.services.failover import LiveHealthChecker
from tests.failover.helpers import ANTHROPIC, OLLAMA, ZAI, FakeClock, provider, result
from tests.support.file_keyring import LockedKeyring


@dataclass
class Config:
    base_url: str | None
    model: str | None
    protocol: Protocol | None = Protocol.ANTHROPIC
    provider: str | None = None


class FakeTools:
    def __init__(self, url: str, model: str = "claude-sonnet-4-6"):
        self.config: Config | None = Config(url, model)

    def tool_ids(self) -> list[str]:
        return ["claude-code"]

    def label(self, tool: str) -> str:
        return "Claude Code"

    def protocols(self, tool: str) -> tuple[Protocol, ...]:
        return (Protocol.ANTHROPIC,)

    def current(self, tool: str) -> Config | None:
        return self.config


class ScriptedChecker:
    """Answers from a status table the test edits; records each round."""

    def __init__(self) -> None:
        self.status: dict[str, HealthStatus] = {"anthropic": HealthStatus.OK, "zai": HealthStatus.OK,
                                                "ollama": HealthStatus.OK}
        self.rounds: list[list[str]] = []

    def check(self, requests: Sequence[CheckRequest], tier: Tier) -> list[HealthResult]:
        self.rounds.append([r.provider.name for r in requests])
        return [result(r.provider, self.status[r.provider.name]) for r in requests]


class FakeSwitcher:
    def __init__(self, tools: FakeTools):
        self.tools = tools
        self.calls: list[str] = []
        self.not_in_effect: str | None = None

    def switch(self, tool: str, provider, model: str, small_model: str | None) -> str | None:  # type: ignore[no-untyped-def]
        self.calls.append(f"{provider.name}/{model}")
        self.tools.config = Config(provider.endpoints[0].base_url, model)
        return self.not_in_effect


def make_store(mode: str = "auto", **settings: object) -> Store:
    store = Store()
    for p in (ANTHROPIC, ZAI, OLLAMA):
        store.add(p)
    store.chains["claude-code"] = [ChainEntry("anthropic", "claude-sonnet-4-6"), ChainEntry("zai", "glm-5.2"),
                                   ChainEntry("ollama", "qwen3-coder")]
    store.section("failover").update({"mode": mode, "interval_s": 60.0, **settings})
    return store


def make_monitor(store: Store, clock: FakeClock | None = None, history: DecisionLog | None = None):  # type: ignore[no-untyped-def]
    tools = FakeTools(ANTHROPIC.endpoints[0].base_url)
    checker = ScriptedChecker()
    switcher = FakeSwitcher(tools)
    clock = clock or FakeClock()
    monitor = Monitor(tools=tools, checker=checker, switcher=switcher, clock=clock, history=history or DecisionLog(),
                      store_loader=lambda: store)
    return monitor, tools, checker, switcher, clock


def test_fast_recheck_after_a_failure_then_back_to_the_interval() -> None:
    monitor, _, checker, _, _ = make_monitor(make_store())
    monitor.tick()
    assert monitor.next_delay() == 60
    checker.status["anthropic"] = HealthStatus.TIMEOUT
    monitor.tick()
    assert monitor.next_delay() == 10  # confirm quickly: min(retry 10 s, interval / 4)
    decisions = monitor.tick()
    assert [d.action for d in decisions] == [Action.SWITCHED]
    assert monitor.next_delay() == 60


def test_only_the_active_and_next_candidates_are_checked_while_healthy() -> None:
    store = make_store()
    store.chains["claude-code"].insert(2, ChainEntry("deepseek", "deepseek-v4-pro"))
    store.add(provider("deepseek", "DeepSeek", "https://api.deepseek.com/anthropic", ("deepseek-v4-pro",)))
    monitor, _, checker, _, _ = make_monitor(store)
    checker.status["deepseek"] = HealthStatus.OK
    monitor.lookahead = 1
    monitor.tick()
    assert checker.rounds[-1] == ["anthropic", "zai"]
    checker.status["anthropic"] = HealthStatus.TIMEOUT
    monitor.tick()
    monitor.tick()  # while the active endpoint fails, the whole chain is checked
    assert sorted(checker.rounds[-1]) == ["anthropic", "deepseek", "ollama", "zai"]


def test_sleep_is_detected_and_counters_restart() -> None:
    stop_after = {"n": 0}
    monitor, _, checker, switcher, clock = make_monitor(make_store(hard_threshold=2))

    def timeline(elapsed: float) -> None:
        stop_after["n"] += 1
        if stop_after["n"] == 1:  # one failure just before the lid closes...
            checker.status["anthropic"] = HealthStatus.UNREACHABLE
        if stop_after["n"] == 2:
            clock.sleep_machine(3600)  # ...an hour asleep (wall clock jumps, monotonic does not)
        if stop_after["n"] >= 6:
            monitor.stop()

    clock.on_wait = timeline
    monitor.run()
    assert monitor.woke_at is not None
    assert 5.0 in clock.waits  # the grace period for the network to come back after wake
    # Failures before and after sleep were not added together: after waking, two fresh failures were needed.
    assert switcher.calls == ["zai/glm-5.2"]
    failover = DecisionLog().recent()[-1]
    assert failover.kind is DecisionKind.FAILOVER and len(failover.evidence) == 3


def test_pause_stops_checks_and_resume_restarts_them() -> None:
    monitor, _, checker, _, clock = make_monitor(make_store())
    monitor.pause()
    round_times: list[float] = []
    real_check = checker.check

    def timed_check(requests, tier):  # type: ignore[no-untyped-def]
        round_times.append(clock.now - clock.start)
        return real_check(requests, tier)

    checker.check = timed_check  # type: ignore[method-assign]

    def timeline(elapsed: float) -> None:
        if elapsed == 180:
            monitor.resume()  # checks again at once, then every interval
        if elapsed >= 300:
            monitor.stop()

    clock.on_wait = timeline
    monitor.run()
    assert round_times == [180, 240]


def test_a_restart_remembers_the_failover_for_switch_back_and_dwell() -> None:
    store = make_store(dwell_s=300, switch_back_after_s=120)
    history = DecisionLog()
    first, tools, checker, _, clock = make_monitor(store, history=history)
    checker.status["anthropic"] = HealthStatus.REGION_BLOCKED
    first.tick()
    assert [d.action for d in first.tick()] == [Action.SWITCHED]
    # A new process (e.g. the service restarted) with the tool where our failover put it.
    second = Monitor(tools=tools, checker=checker, switcher=FakeSwitcher(tools), clock=clock, history=history,
                     store_loader=lambda: store)
    checker.status["anthropic"] = HealthStatus.OK
    for _ in range(3):
        clock.advance(60)
        assert second.tick() == []  # healthy for < 120 s, then dwell (300 s since the switch) still holds
    clock.advance(130)
    decisions = second.tick()
    assert [d.kind for d in decisions] == [DecisionKind.SWITCH_BACK]
    assert tools.config is not None and tools.config.base_url == ANTHROPIC.endpoints[0].base_url


def test_a_manual_change_is_respected_and_stale_suggestions_are_refused() -> None:
    monitor, tools, checker, switcher, _ = make_monitor(make_store(mode="suggest"))
    checker.status["anthropic"] = HealthStatus.REGION_BLOCKED
    monitor.tick()
    (suggestion,) = monitor.tick()
    tools.config = Config(OLLAMA.endpoints[0].base_url, "qwen3-coder")  # the user switched by hand meanwhile
    outcome = monitor.accept(suggestion)
    assert outcome.action is Action.FAILED and "changed since the suggestion" in outcome.message
    assert switcher.calls == []
    with pytest.raises(SwitchoverError):
        monitor.accept(outcome)  # only suggestions can be accepted


def test_an_observer_that_raises_does_not_stop_failover() -> None:
    monitor, _, checker, switcher, _ = make_monitor(make_store())
    seen: list[Decision] = []

    def broken(decision: Decision) -> None:
        raise RuntimeError("UI bug")

    rounds: list[list[HealthResult]] = []
    monitor.add_observer(broken)
    monitor.add_observer(seen.append)
    monitor.add_results_observer(broken)  # type: ignore[arg-type]
    monitor.add_results_observer(rounds.append)
    checker.status["anthropic"] = HealthStatus.TLS_ERROR
    monitor.tick()
    monitor.tick()
    assert switcher.calls == ["zai/glm-5.2"] and [d.kind for d in seen] == [DecisionKind.FAILOVER]
    assert len(rounds) == 2 and rounds[0][0].status is HealthStatus.TLS_ERROR


def test_a_tool_pointing_elsewhere_is_left_alone_without_checks() -> None:
    monitor, tools, checker, switcher, _ = make_monitor(make_store())
    tools.config = Config("https://somewhere.example/anthropic", "x")
    assert monitor.tick() == [] and checker.rounds == [] and switcher.calls == []
    (row,) = monitor.status()
    assert row.active is None and "not a configured provider" in row.notes[0]


def test_a_broken_failover_table_pauses_with_the_file_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = make_store()
    store.section("failover")["hard_threshold"] = "two"
    path = tmp_path / "switchover.toml"
    save_store(store, path)
    monitor, _, checker, _, _ = make_monitor(store)
    monitor._load_store = lambda: load_store(path)
    assert monitor.tick() == [] and checker.rounds == []
    assert monitor.last_error is not None and str(path) in monitor.last_error and "hard_threshold" in monitor.last_error
    with pytest.raises(ConfigFileError):
        load_settings(load_store(path))


def test_settings_validation_and_mode_override() -> None:
    settings = settings_from_table({"interval_s": 30, "mode": "auto", "modes": {"codex": "off", "zed": "suggest"}})
    assert settings.mode_for("codex") is Mode.OFF and settings.mode_for("claude-code") is Mode.AUTO
    forced = settings.with_mode_override(Mode.SUGGEST)
    assert forced.mode_for("zed") is Mode.SUGGEST and forced.mode_for("codex") is Mode.OFF
    assert FailoverSettings(interval_s=1).fast_interval_s == 0.25
    for bad in ({"interval_s": -1}, {"interval_s": True}, {"mode": "sometimes"}, {"tier": "reach"},
                {"soft_threshold": 0}, {"modes": "auto"}):
        with pytest.raises(ValidationError):
            settings_from_table(bad)
    assert settings_from_table(FailoverSettings(dwell_s=42).to_table()) == FailoverSettings(dwell_s=42)


def test_chain_resolution_skips_unusable_entries_with_a_note() -> None:
    store = make_store()
    store.add(provider("gem", "Gemini", "https://generativelanguage.googleapis.com", ("g",), Protocol.GEMINI))
    store.add(provider("nomodel", "No Model", "https://x.example", ()))
    store.chains["claude-code"] = [ChainEntry("gem", "g"), ChainEntry("gone", "m"), ChainEntry("nomodel"),
                                   ChainEntry("zai")]
    candidates, notes = resolve_candidates(store, "claude-code", (Protocol.ANTHROPIC,))
    assert [(c.position, str(c.choice)) for c in candidates] == [(3, "zai/glm-5.2")]
    assert len(notes) == 3 and "does not offer" in notes[0] and "no provider named 'gone'" in notes[1]
    store.chains["default"] = [ChainEntry("ollama")]
    assert [str(c.choice) for c in resolve_candidates(store, "codex", (Protocol.ANTHROPIC,))[0]] == \
        ["ollama/qwen3-coder"]
    with pytest.raises(ValidationError):
        parse_chain([], store)


def test_history_is_bounded_and_survives_a_damaged_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = DecisionLog(tmp_path / "d.jsonl", limit=10)
    base = Decision("claude-code", "Claude Code", DecisionKind.FAILOVER, Action.SWITCHED, "auto", "m",
                    ChainEntry("a", "x"), ChainEntry("b", "y"), (result(ANTHROPIC, HealthStatus.TIMEOUT),), at=1.0)
    for i in range(25):
        log.append(Decision(**{**base.__dict__, "message": f"m{i}", "id": f"id{i}"}))
    with log.path.open("a") as handle:
        handle.write("{not json\n")
    recent = log.recent()
    assert [d.message for d in recent] == [f"m{i}" for i in range(15, 25)]
    assert recent[0].evidence[0].status is HealthStatus.TIMEOUT and recent[0].to_choice == ChainEntry("b", "y")
    assert log.last_switch("claude-code") is not None and log.last_switch("codex") is None
    assert oct(log.path.stat().st_mode & 0o777) == "0o600"
    assert all(json.loads(line)["tool"] == "claude-code" for line in log.path.read_text().splitlines()[:-1])


def test_a_locked_keychain_skips_the_endpoint_instead_of_blaming_the_provider() -> None:
    locked = provider("locked", "Locked", "http://127.0.0.1:9", ("m",), credential=Credential.keychain())
    previous = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    try:
        results = LiveHealthChecker(record_history=False).check([CheckRequest(locked, Protocol.ANTHROPIC)],
                                                                 Tier.AUTH)
    finally:
        keyring.set_keyring(previous)
    assert results == []


def test_a_missing_key_is_a_real_auth_failure() -> None:
    missing = provider("nokey", "No Key", "http://127.0.0.1:9", ("m",), credential=Credential.keychain())
    (found,) = LiveHealthChecker(record_history=False).check([CheckRequest(missing, Protocol.ANTHROPIC)], Tier.AUTH)
    assert found.status is HealthStatus.AUTH_FAILED and "switchover provider key nokey" in found.reason


def test_a_refused_switch_is_recorded_and_retried_only_after_the_dwell_time() -> None:
    monitor, _, checker, switcher, clock = make_monitor(make_store(dwell_s=300))
    attempts: list[str] = []

    def refuse(tool: str, provider, model: str, small_model: str | None) -> None:  # type: ignore[no-untyped-def]
        attempts.append(provider.name)
        raise ConfigFileError(Path("/home/u/.claude/settings.json"), "not valid JSON", 3)

    switcher.switch = refuse  # type: ignore[method-assign]
    checker.status["anthropic"] = HealthStatus.REGION_BLOCKED
    monitor.tick()
    (failed,) = monitor.tick()
    assert failed.action is Action.FAILED and "settings.json, line 3" in (failed.error or "")
    assert failed.message.startswith("Claude Code: could not switch to zai/glm-5.2")
    for _ in range(4):
        clock.advance(60)
        monitor.tick()
    assert attempts == ["zai"]  # not hammered every round
    clock.advance(60)
    monitor.tick()
    assert attempts == ["zai", "zai"]
    assert [d.action for d in DecisionLog().recent()].count(Action.FAILED) == 2


def test_the_loop_thread_stops_promptly_on_the_real_clock() -> None:
    store = make_store()
    store.chains.clear()
    monitor = Monitor(tools=FakeTools("x"), checker=ScriptedChecker(), switcher=FakeSwitcher(FakeTools("x")),
                      history=DecisionLog(), store_loader=lambda: store)
    thread = monitor.start_thread()
    time.sleep(0.1)
    started = time.monotonic()
    monitor.stop()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 1.0
    assert monitor.checks_made == 0


def test_only_one_monitor_runs_at_a_time_the_other_stands_by_and_takes_over(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lock = tmp_path / "monitor.lock"
    store = make_store()
    first, *_ = make_monitor(store, clock=SystemClock())  # type: ignore[arg-type]  # real waits, like the app
    first.exclusive_lock = lock
    first_thread = first.start_thread()
    try:
        deadline = time.monotonic() + 5
        while first.checks_made == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        second, _, second_checker, _, second_clock = make_monitor(store)
        second.exclusive_lock = lock
        problems: list[str | None] = []
        second.add_problem_observer(problems.append)
        waits = {"n": 0}

        def timeline(elapsed: float) -> None:
            waits["n"] += 1
            if waits["n"] == 3:
                first.stop()  # the app quits...
                first_thread.join(5)
            if waits["n"] == 6:
                second.stop()

        second_clock.on_wait = timeline
        second.run()
    finally:
        first.stop()
        first_thread.join(5)
    assert problems[0] is not None and "stands by" in problems[0]
    assert problems[1] is None  # ...and the standby took over
    assert second_checker.rounds and len(second_checker.rounds) <= 4


def test_the_active_provider_is_found_by_base_url_and_protocol() -> None:
    store = make_store()
    both = provider("both", "Both", "https://api.both.example/v1", ("m",), Protocol.OPENAI_CHAT)
    both = replace(both, endpoints=(*both.endpoints, Endpoint.make(Protocol.OPENAI_RESPONSES,
                                                                    "https://api.both.example/v1")))
    store.add(both)
    tools = (Protocol.OPENAI_RESPONSES, Protocol.OPENAI_CHAT)
    found = find_active(store, Config("https://API.both.example/v1/", "m", Protocol.OPENAI_CHAT), tools)
    assert found is not None and found[0].name == "both" and found[1] is Protocol.OPENAI_CHAT
    # The config says a protocol the provider lacks: another one the tool speaks is used, never a missing one.
    found = find_active(store, Config(None, "m", Protocol.ANTHROPIC, provider="both"), tools)
    assert found is not None and found[1] is Protocol.OPENAI_RESPONSES
    assert find_active(store, Config(None, "m", Protocol.OPENAI_CHAT, provider="zai"), tools) is None
    assert find_active(store, Config("https://elsewhere.example", "m"), tools) is None
    anthropic = find_active(store, Config("https://api.anthropic.com", None), (Protocol.ANTHROPIC,))
    assert anthropic is not None and anthropic[0].name == "anthropic"


def test_a_wake_is_noticed_within_seconds_not_a_whole_interval() -> None:
    monitor, _, checker, _, clock = make_monitor(make_store())
    round_times: list[float] = []
    real_check = checker.check

    def timed_check(requests, tier):  # type: ignore[no-untyped-def]
        round_times.append(clock.now - clock.start)
        return real_check(requests, tier)

    checker.check = timed_check  # type: ignore[method-assign]

    def timeline(elapsed: float) -> None:
        if elapsed == 10:
            clock.sleep_machine(8 * 3600)  # the lid was closed overnight during this slice of the wait
        if elapsed >= 100:
            monitor.stop()

    clock.on_wait = timeline
    monitor.run()
    assert round_times[:3] == [0, 15, 75]  # woke at 10 s, 5 s grace for the network, then the interval
    assert monitor.woke_at is not None


def test_a_failover_switch_that_is_not_in_effect_says_so_instead_of_ok() -> None:
    monitor, _, checker, switcher, _ = make_monitor(make_store())
    switcher.not_in_effect = ("Claude Code ranks a project setting higher "
                              "(/p/.claude/settings.json: env.ANTHROPIC_MODEL)")
    monitor.tick()
    checker.status["anthropic"] = HealthStatus.TIMEOUT
    monitor.tick()
    [decision] = monitor.tick()
    assert decision.action is Action.SWITCHED and decision.error == switcher.not_in_effect
    assert decision.message.endswith("Switched but not in effect: Claude Code ranks a project setting higher "
                                     "(/p/.claude/settings.json: env.ANTHROPIC_MODEL)")
