"""The monitor end to end: real local provider servers whose behaviour flips during the test, the real
health checks, Claude Code's real settings.json in the isolated HOME. Scheduling runs on a fake clock, so
minutes of monitor time pass in well under a second of test time."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence

from switchover.core.failover.decisions import Action, Decision, DecisionKind, DecisionLog
from switchover.core.failover.monitor import CheckRequest, Monitor
from switchover.core.failover.settings import SECTION
from switchover.core.health.results import HealthResult, Tier
from switchover.core.providers import Provider
from switchover.core.store import edit_store
from switchover.services.failover import EngineSwitcher, LiveHealthChecker, TargetDirectory
from tests.failover.conftest import Scenario
from tests.failover.helpers import FakeClock


class RecordingChecker:
    """The real checker, noting the (fake) time and endpoints of every round."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.real = LiveHealthChecker()
        self.rounds: list[tuple[float, list[HealthResult]]] = []

    def check(self, requests: Sequence[CheckRequest], tier: Tier) -> list[HealthResult]:
        results = self.real.check(requests, tier)
        self.rounds.append((self.clock.now - self.clock.start, results))
        return results

    def times_checked(self, provider: str) -> list[float]:
        return [t for t, results in self.rounds if any(r.provider == provider for r in results)]


class RecordingSwitcher:
    """The real switching engine, noting each switch."""

    def __init__(self) -> None:
        self.engine = EngineSwitcher()
        self.calls: list[tuple[str, str, str]] = []

    def switch(self, tool: str, provider: Provider, model: str, small_model: str | None) -> None:
        self.engine.switch(tool, provider, model, small_model)
        self.calls.append((tool, provider.name, model))


def configure(**table: object) -> None:
    with edit_store() as store:
        store.section(SECTION).update(table)


Run = tuple[Monitor, FakeClock, RecordingChecker, RecordingSwitcher, list[tuple[float, Decision]]]


def run_timeline(scenario: Scenario, timeline: dict[float, Callable[[], None]], until: float,
                 probe: Callable[[float], None] | None = None) -> Run:
    """Run the monitor loop on a fake clock; `timeline` changes the servers at given times."""
    pending = dict(sorted(timeline.items()))
    seen: list[tuple[float, Decision]] = []

    def on_wait(elapsed: float) -> None:
        for at in [t for t in pending if t <= elapsed]:
            pending.pop(at)()

    clock = FakeClock(on_wait=on_wait, stop_after=until, after_tick=probe)
    checker = RecordingChecker(clock)
    switcher = RecordingSwitcher()
    monitor = Monitor(tools=TargetDirectory(), checker=checker, switcher=switcher, clock=clock)
    clock.stop = monitor.stop
    monitor.add_observer(lambda d: seen.append((clock.now - clock.start, d)))
    monitor.run()
    return monitor, clock, checker, switcher, seen


def test_suggest_mode_suggests_within_one_interval_and_accept_switches(scenario: Scenario) -> None:
    configure(interval_s=60, mode="suggest")
    monitor, _, _, switcher, seen = run_timeline(
        scenario, {90: lambda: scenario.play("primary", "region_blocked")}, until=400)
    suggestions = [(t, d) for t, d in seen if d.kind is DecisionKind.FAILOVER]
    assert len(suggestions) == 1, seen  # made once, not on every round
    at, suggestion = suggestions[0]
    assert 90 < at <= 90 + 60
    assert suggestion.is_suggestion
    assert suggestion.message.startswith("Claude Code: Primary is region-blocked. Switch to Backup test-model (works, ")
    assert {r.provider for r in suggestion.evidence} == {"primary", "backup"}
    assert switcher.calls == [] and scenario.claude_base_url() == scenario.url("primary")

    accepted = monitor.accept(suggestion)
    assert accepted.action is Action.ACCEPTED, accepted.message
    assert scenario.claude_base_url() == scenario.url("backup")
    settings = json.loads(scenario.settings_path.read_text())
    assert settings["env"]["MY_OWN_VAR"] == "keep me" and settings["theme"] == "dark"
    history = DecisionLog().recent()
    assert [d.action for d in history if d.kind is DecisionKind.FAILOVER] == [Action.SUGGESTED, Action.ACCEPTED]
    assert history[-1].suggestion_id == suggestion.id


def test_auto_mode_switches_then_switches_back_after_recovery(scenario: Scenario) -> None:
    configure(interval_s=60, mode="auto", dwell_s=60, switch_back_after_s=180)
    timeline = {
        90: lambda: scenario.play("primary", "region_blocked"),
        400: lambda: scenario.play("primary", "ok"),
    }
    _, _, _, switcher, seen = run_timeline(scenario, timeline, until=900)
    switches = [(t, d) for t, d in seen if d.switched]
    assert [d.kind for _, d in switches] == [DecisionKind.FAILOVER, DecisionKind.SWITCH_BACK], seen
    (out_at, out), (back_at, _) = switches
    assert 90 < out_at <= 150, out_at
    assert out.action is Action.SWITCHED and out.message.startswith("Claude Code: Primary is region-blocked. Switched")
    assert 400 + 180 <= back_at <= 400 + 180 + 60 + 15, back_at
    assert switcher.calls == [("claude-code", "backup", "test-model"), ("claude-code", "primary", "test-model")]
    assert scenario.claude_base_url() == scenario.url("primary")
    assert json.loads(scenario.settings_path.read_text())["env"]["MY_OWN_VAR"] == "keep me"
    # The evidence explains the switch: the failing results of the primary, the healthy backup.
    assert [r.status.value for r in out.evidence][-1] == "ok"
    assert all(r.status.value == "region_blocked" for r in out.evidence[:-1]) and len(out.evidence) == 3


def test_the_config_file_follows_within_one_interval(scenario: Scenario) -> None:
    configure(interval_s=60, mode="auto")
    observed: list[tuple[float, str | None]] = []
    flip_at = 130.0

    def probe(elapsed: float) -> None:
        observed.append((elapsed, scenario.claude_base_url()))

    run_timeline(scenario, {flip_at: lambda: scenario.play("primary", "auth_failed")},
                 until=400, probe=probe)
    moved = next(t for t, url in observed if url == scenario.url("backup"))
    assert flip_at < moved <= flip_at + 60, observed
    assert all(url == scenario.url("primary") for t, url in observed if t <= flip_at)
    assert observed[-1][1] == scenario.url("backup")  # and it stays there (no flapping back to a bad key)


def test_alternating_failures_do_not_flap(scenario: Scenario) -> None:
    configure(interval_s=30, mode="auto", dwell_s=600, hard_threshold=1, switch_back_after_s=60)
    timeline: dict[float, Callable[[], None]] = {}
    for i, at in enumerate(range(45, 3600, 60)):
        bad, good = ("primary", "backup") if i % 2 == 0 else ("backup", "primary")
        timeline[float(at)] = (lambda b=bad, g=good: (scenario.play(b, "region_blocked"), scenario.play(g, "ok")))
    _, _, _, switcher, seen = run_timeline(scenario, timeline, until=3600)
    times = [t for t, d in seen if d.switched]
    assert times, "the first outage must still be handled"
    assert all(b - a >= 600 for a, b in itertools.pairwise(times)), times
    assert len(switcher.calls) <= 3600 // 600 + 1
    held = [d for _, d in seen if d.kind is DecisionKind.HELD]
    assert held and "minimum 10 min between switches" in held[0].message


def test_rate_limited_endpoint_is_not_checked_before_retry_after(scenario: Scenario) -> None:
    configure(interval_s=5, mode="suggest", soft_threshold=10)
    _, _, checker, _, _ = run_timeline(scenario, {12: lambda: scenario.play("primary", "rate_limited")}, until=200)
    times = checker.times_checked("primary")
    limited = [t for t, results in checker.rounds for r in results
               if r.provider == "primary" and r.status.value == "rate_limited"]
    assert limited, "the server's 429 must be classified as rate_limited"
    for at in limited:
        following = [t for t in times if t > at]
        if following:
            assert following[0] - at >= 30, (at, following[0])  # the canned reply says retry-after: 30
    assert len(times) < 200 / 5 / 2  # far fewer checks than the 5 s interval would make


def test_off_mode_does_nothing_at_all(scenario: Scenario) -> None:
    configure(interval_s=10, modes={"claude-code": "off"})
    before = scenario.settings_path.read_bytes()
    monitor, _, checker, switcher, seen = run_timeline(
        scenario, {5: lambda: scenario.play("primary", "region_blocked")}, until=300)
    assert seen == [] and switcher.calls == [] and checker.rounds == [] and monitor.checks_made == 0
    assert scenario.requests("primary") == 0 and scenario.requests("backup") == 0
    assert scenario.settings_path.read_bytes() == before


def test_no_chain_means_no_network_traffic(scenario: Scenario) -> None:
    with edit_store() as store:
        store.chains.clear()
    monitor, clock, checker, _, seen = run_timeline(scenario, {}, until=600)
    assert checker.rounds == [] and seen == [] and monitor.checks_made == 0
    assert scenario.requests("primary") == 0 and scenario.requests("backup") == 0
    assert monitor.next_delay() == 60 and min(clock.waits) == 5  # idles in 5 s slices; no fast retries
