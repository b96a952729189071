"""The pure decision logic: thresholds, hysteresis, dwell, switch back, messages, evidence."""

from __future__ import annotations

import itertools
from dataclasses import replace

from switchover.core.failover.decisions import Action, DecisionKind
from switchover.core.failover.policy import FailoverPolicy, HealthLedger, ToolState, ToolView
from switchover.core.failover.settings import FailoverSettings, Mode
from switchover.core.health.results import HealthStatus as S
from switchover.core.health.statuses import failure_class
from switchover.core.store import ChainEntry
from tests.failover.helpers import ANTHROPIC, DEEPSEEK, OLLAMA, ZAI, candidates, result

CHAIN = candidates(ANTHROPIC, ZAI, DEEPSEEK, OLLAMA)
SETTINGS = FailoverSettings(interval_s=60, hard_threshold=2, soft_threshold=3, dwell_s=300,
                            switch_back_after_s=600)


class World:
    def __init__(self, mode: Mode = Mode.SUGGEST, settings: FailoverSettings = SETTINGS, active: int = 0):
        self.settings = settings
        self.ledger = HealthLedger(settings)
        self.policy = FailoverPolicy(settings)
        self.state = ToolState()
        self.mode = mode
        self.now = 0.0
        self.active = active

    def view(self) -> ToolView:
        return ToolView("claude-code", "Claude Code", self.mode, CHAIN, CHAIN[self.active], self.active)

    def observe(self, *pairs: tuple[object, S], retry_after_s: float | None = None, latency_ms: float = 310.0,
                step: float = 10.0):
        self.now += step
        for p, status in pairs:
            self.ledger.record(result(p, status, latency_ms, retry_after_s), self.now)  # type: ignore[arg-type]
        return self.policy.decide(self.view(), self.ledger, self.state, self.now, 1_700_000_000 + self.now)

    def switched(self, decision, position: int) -> None:
        self.state.note_switch(decision, self.now)
        self.active = position


def test_status_classes_match_issue_5() -> None:
    for status in (S.REGION_BLOCKED, S.AUTH_FAILED, S.QUOTA_EXHAUSTED, S.UNREACHABLE, S.TIMEOUT, S.TLS_ERROR):
        assert failure_class(status) == "hard"
    for status in (S.OVERLOADED, S.SERVER_ERROR, S.RATE_LIMITED):
        assert failure_class(status) == "soft"
    assert failure_class(S.OK) is None and failure_class(S.SLOW) is None


def test_one_hard_failure_is_not_enough_two_are() -> None:
    world = World()
    assert world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK)) is None
    decision = world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK))
    assert decision is not None
    assert decision.kind is DecisionKind.FAILOVER and decision.action is Action.SUGGESTED
    assert decision.to_choice == ChainEntry("zai", "glm-5.2")
    assert decision.from_choice == ChainEntry("anthropic", "claude-sonnet-4-6")
    assert decision.message == "Claude Code: Anthropic is region-blocked. Switch to Z.ai glm-5.2 (works, 310 ms)?"
    # Evidence: both failing results of the active endpoint, and the candidate's healthy one.
    assert [r.status for r in decision.evidence] == [S.REGION_BLOCKED, S.REGION_BLOCKED, S.OK]
    assert decision.evidence[-1].provider == "zai"


def test_soft_failures_need_m_in_a_row_and_a_healthy_answer_resets_the_count() -> None:
    world = World()
    assert world.observe((ANTHROPIC, S.OVERLOADED), (ZAI, S.OK)) is None
    assert world.observe((ANTHROPIC, S.SERVER_ERROR), (ZAI, S.OK)) is None
    assert world.observe((ANTHROPIC, S.OK), (ZAI, S.OK)) is None  # reset
    assert world.observe((ANTHROPIC, S.OVERLOADED), (ZAI, S.OK)) is None
    assert world.observe((ANTHROPIC, S.OVERLOADED), (ZAI, S.OK)) is None
    decision = world.observe((ANTHROPIC, S.OVERLOADED), (ZAI, S.OK))
    assert decision is not None and decision.kind is DecisionKind.FAILOVER
    assert "Anthropic is overloaded" in decision.message


def test_hard_threshold_one_switches_on_first_failure() -> None:
    world = World(settings=replace(SETTINGS, hard_threshold=1))
    decision = world.observe((ANTHROPIC, S.AUTH_FAILED), (ZAI, S.OK))
    assert decision is not None and decision.to_choice == ChainEntry("zai", "glm-5.2")


def test_first_healthy_candidate_in_chain_order_is_picked() -> None:
    world = World()
    world.observe((ANTHROPIC, S.TIMEOUT), (ZAI, S.QUOTA_EXHAUSTED), (DEEPSEEK, S.OK), (OLLAMA, S.OK))
    decision = world.observe((ANTHROPIC, S.TIMEOUT), (ZAI, S.QUOTA_EXHAUSTED), (DEEPSEEK, S.OK), (OLLAMA, S.OK))
    assert decision is not None and decision.to_choice == ChainEntry("deepseek", "deepseek-v4-pro")


def test_a_slow_candidate_is_still_usable() -> None:
    world = World()
    world.observe((ANTHROPIC, S.UNREACHABLE), (ZAI, S.SLOW))
    decision = world.observe((ANTHROPIC, S.UNREACHABLE), (ZAI, S.SLOW), latency_ms=5200)
    assert decision is not None and decision.to_choice == ChainEntry("zai", "glm-5.2")
    assert decision.message.endswith("Switch to Z.ai glm-5.2 (works but slowly, 5200 ms)?")


def test_a_stale_healthy_result_does_not_count() -> None:
    world = World()
    world.observe((ZAI, S.OK))
    world.now += SETTINGS.stale_after_s + 1
    world.observe((ANTHROPIC, S.TIMEOUT))
    decision = world.observe((ANTHROPIC, S.TIMEOUT))
    assert decision is not None and decision.kind is DecisionKind.NO_CANDIDATE
    assert decision.action is Action.NOTED and decision.to_choice is None


def test_no_candidate_is_reported_once_then_failover_when_one_recovers() -> None:
    world = World()
    world.observe((ANTHROPIC, S.TLS_ERROR), (ZAI, S.TIMEOUT), (DEEPSEEK, S.AUTH_FAILED), (OLLAMA, S.UNREACHABLE))
    none = world.observe((ANTHROPIC, S.TLS_ERROR), (ZAI, S.TIMEOUT), (DEEPSEEK, S.AUTH_FAILED),
                         (OLLAMA, S.UNREACHABLE))
    assert none is not None and none.kind is DecisionKind.NO_CANDIDATE
    assert "no other choice in its chain is healthy" in none.message
    assert "Z.ai: no answer in time" in none.message
    assert world.observe((ANTHROPIC, S.TLS_ERROR), (ZAI, S.TIMEOUT)) is None  # not repeated
    later = world.observe((ANTHROPIC, S.TLS_ERROR), (OLLAMA, S.OK))
    assert later is not None and later.kind is DecisionKind.FAILOVER
    assert later.to_choice == ChainEntry("ollama", "qwen3-coder")


def test_a_suggestion_is_made_once_and_renewed_only_for_a_new_target() -> None:
    world = World()
    world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK), (DEEPSEEK, S.OK))
    first = world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK), (DEEPSEEK, S.OK))
    assert first is not None and first.is_suggestion
    assert world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK), (DEEPSEEK, S.OK)) is None
    assert world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK), (DEEPSEEK, S.OK)) is None
    changed = world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OVERLOADED), (DEEPSEEK, S.OK))
    assert changed is not None and changed.to_choice == ChainEntry("deepseek", "deepseek-v4-pro")


def test_recovery_is_announced_once_after_a_suggestion() -> None:
    world = World()
    world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK))
    assert world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK)) is not None
    recovered = world.observe((ANTHROPIC, S.OK), (ZAI, S.OK), latency_ms=120)
    assert recovered is not None and recovered.kind is DecisionKind.RECOVERED
    assert recovered.message == "Claude Code: Anthropic is healthy again (works, 120 ms)."
    assert world.state.open_suggestion is None
    assert world.observe((ANTHROPIC, S.OK), (ZAI, S.OK)) is None


def test_auto_switches_then_dwell_prevents_flapping() -> None:
    world = World(mode=Mode.AUTO)
    world.observe((ANTHROPIC, S.UNREACHABLE), (ZAI, S.OK))
    first = world.observe((ANTHROPIC, S.UNREACHABLE), (ZAI, S.OK))
    assert first is not None and first.action is Action.SWITCHED
    assert first.message == "Claude Code: Anthropic is unreachable. Switched to Z.ai glm-5.2 (works, 310 ms)."
    world.switched(first, 1)
    # Now Z.ai fails while Anthropic is fine again: a switch is due, but the dwell time has not passed.
    world.observe((ZAI, S.UNREACHABLE), (ANTHROPIC, S.OK))
    held = world.observe((ZAI, S.UNREACHABLE), (ANTHROPIC, S.OK))
    assert held is not None and held.kind is DecisionKind.HELD and held.action is Action.NOTED
    assert "minimum 5 min between switches" in held.message
    assert world.observe((ZAI, S.UNREACHABLE), (ANTHROPIC, S.OK)) is None  # noted once
    world.now = 0 + 10 + 10 + 300 + 1  # past the dwell time since the switch
    allowed = world.observe((ZAI, S.UNREACHABLE), (ANTHROPIC, S.OK), step=0)
    assert allowed is not None and allowed.action is Action.SWITCHED
    assert allowed.to_choice == ChainEntry("anthropic", "claude-sonnet-4-6")


def test_alternating_failures_switch_at_most_once_per_dwell() -> None:
    world = World(mode=Mode.AUTO, settings=replace(SETTINGS, hard_threshold=1, dwell_s=300))
    switches = []
    for minute in range(30):
        bad, good = (ANTHROPIC, ZAI) if minute % 2 == 0 else (ZAI, ANTHROPIC)
        decision = world.observe((bad, S.UNREACHABLE), (good, S.OK), step=60)
        if decision is not None and decision.action is Action.SWITCHED:
            switches.append(world.now)
            world.switched(decision, 0 if decision.to_choice.provider == "anthropic" else 1)
    gaps = [b - a for a, b in itertools.pairwise(switches)]
    assert switches, "the first failure must still switch"
    assert all(gap >= 300 for gap in gaps), gaps
    assert len(switches) <= 1 + (30 * 60) // 300


def test_switch_back_after_the_preferred_choice_is_healthy_long_enough() -> None:
    world = World(mode=Mode.AUTO)
    world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK))
    first = world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK))
    world.switched(first, 1)
    world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=60)  # healthy since now
    for _ in range(9):
        assert world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=60) is None  # healthy 60..540 s
    back = world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=60)  # 600 s
    assert back is not None and back.kind is DecisionKind.SWITCH_BACK and back.action is Action.SWITCHED
    assert back.to_choice == ChainEntry("anthropic", "claude-sonnet-4-6")
    assert back.message.startswith("Claude Code: Anthropic has been healthy for 10 min. Switched back from Z.ai")
    world.switched(back, 0)
    assert world.state.failed_over is False


def test_a_blip_restarts_the_switch_back_clock() -> None:
    world = World(mode=Mode.AUTO, settings=replace(SETTINGS, dwell_s=0))
    world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK))
    world.switched(world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK)), 1)
    world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=300)
    world.observe((ZAI, S.OK), (ANTHROPIC, S.OVERLOADED), step=300)  # blip at 600 s
    assert world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=300) is None
    assert world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=300) is None  # healthy 300 s only
    assert world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=300) is not None  # 600 s


def test_switch_back_in_suggest_mode_is_a_suggestion() -> None:
    world = World(mode=Mode.SUGGEST, settings=replace(SETTINGS, switch_back_after_s=60))
    world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK))
    suggestion = world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK))
    accepted = suggestion.with_outcome(Action.ACCEPTED, "accepted", suggestion_id=suggestion.id)
    world.switched(accepted, 1)
    world.observe((ZAI, S.OK), (ANTHROPIC, S.OK))
    back = world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=60)
    assert back is not None and back.kind is DecisionKind.SWITCH_BACK and back.is_suggestion
    assert back.message.endswith("Switch back from Z.ai glm-5.2 to Anthropic claude-sonnet-4-6 (works, 310 ms)?")


def test_a_manual_choice_is_never_switched_back() -> None:
    world = World(mode=Mode.AUTO, active=1)  # the user picked Z.ai by hand; Anthropic is fine
    for _ in range(20):
        assert world.observe((ZAI, S.OK), (ANTHROPIC, S.OK), step=60) is None


def test_off_mode_decides_nothing() -> None:
    world = World(mode=Mode.OFF)
    for _ in range(5):
        assert world.observe((ANTHROPIC, S.REGION_BLOCKED), (ZAI, S.OK)) is None


def test_rate_limit_backoff_honours_retry_after_and_doubles_without_it() -> None:
    world = World()
    key = "anthropic/anthropic"
    world.observe((ANTHROPIC, S.RATE_LIMITED), retry_after_s=42)
    assert world.ledger.get(key).not_before == world.now + 42
    assert not world.ledger.is_due(key, world.now + 41) and world.ledger.is_due(key, world.now + 42)
    world.observe((ANTHROPIC, S.RATE_LIMITED))  # second strike, no header: interval * 2
    assert world.ledger.get(key).not_before == world.now + 120
    world.observe((ANTHROPIC, S.OK))
    assert world.ledger.is_due(key, world.now)


def test_a_retry_after_longer_than_m_intervals_counts_as_down_at_once() -> None:
    world = World()
    decision = world.observe((ANTHROPIC, S.RATE_LIMITED), (ZAI, S.OK), retry_after_s=3600)
    assert decision is not None and decision.kind is DecisionKind.FAILOVER
    assert "rate-limiting" in decision.message
