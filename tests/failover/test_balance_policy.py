"""Balance as failover evidence: an empty balance fails the endpoint at once, a low one is a suggestion
(or, when the settings allow, a reason to move), on the monitor's slower balance schedule."""

from __future__ import annotations

import json
from collections.abc import Sequence

from switchover.core.balance.results import BalanceResult, BalanceStatus
from switchover.core.failover.decisions import Action, Decision, DecisionKind, DecisionLog
from switchover.core.failover.monitor import Monitor
from switchover.core.failover.settings import FailoverSettings, settings_from_table
from switchover.core.providers import Provider
from switchover.core.store import Store
from tests.failover.helpers import FakeClock
from tests.failover.test_monitor_units import FakeSwitcher, FakeTools, ScriptedChecker, make_store


class ScriptedBalances:
    """Answers from a table the test edits: provider -> (status, amount); records who was asked."""

    def __init__(self) -> None:
        self.table: dict[str, tuple[BalanceStatus, float | None]] = {}
        self.asked: list[list[str]] = []

    def check(self, providers: Sequence[Provider], store: Store) -> list[BalanceResult]:
        asked = [p.name for p in providers if p.name in self.table]
        self.asked.append(asked)
        results = []
        for name in asked:
            status, amount = self.table[name]
            results.append(BalanceResult(name, status, f"{status.value} for the test", amount=amount, currency="USD",
                                         threshold=5.0 if amount is not None else None, threshold_source="user",
                                         days_left=2.2 if status is BalanceStatus.LOW else None,
                                         spend_per_day=1.0, spend_window_days=7.0, api="deepseek"))
        return results


def monitor_with(store: Store) -> tuple[Monitor, FakeTools, ScriptedChecker, FakeSwitcher, FakeClock, ScriptedBalances]:
    from tests.failover.helpers import ANTHROPIC

    tools = FakeTools(ANTHROPIC.endpoints[0].base_url)
    checker, switcher, clock, balances = ScriptedChecker(), FakeSwitcher(tools), FakeClock(), ScriptedBalances()
    monitor = Monitor(tools=tools, checker=checker, switcher=switcher, clock=clock, history=DecisionLog(),
                      store_loader=lambda: store, balance_checker=balances)
    return monitor, tools, checker, switcher, clock, balances


def test_balance_rounds_run_on_their_own_schedule() -> None:
    monitor, _, checker, _, clock, balances = monitor_with(make_store("suggest", balance_interval_s=600.0))
    balances.table = {"anthropic": (BalanceStatus.OK, 50.0), "zai": (BalanceStatus.OK, 20.0)}
    for _ in range(12):  # 12 minutes of health rounds every 60 s
        monitor.tick()
        clock.advance(60)
    assert len(checker.rounds) == 12
    assert monitor.balance_rounds == 2  # at 0 and at 600 s
    assert balances.asked[0] == ["anthropic", "zai"]  # the active provider and its whole chain


def test_empty_balance_fails_over_at_once_in_auto_mode() -> None:
    monitor, _, _, switcher, _, balances = monitor_with(make_store("auto"))
    balances.table = {"anthropic": (BalanceStatus.EMPTY, 0.0), "zai": (BalanceStatus.OK, 20.0)}
    [decision] = monitor.tick()  # health checks all say ok: the balance alone decides
    assert (decision.kind, decision.action) == (DecisionKind.FAILOVER, Action.SWITCHED)
    assert switcher.calls == ["zai/glm-5.2"]
    assert "balance is used up ($0.00)" in decision.message
    assert [b.status for b in decision.balance] == [BalanceStatus.EMPTY]
    restored = Decision.from_json(json.loads(json.dumps(decision.to_json())))
    assert restored.balance == decision.balance


def test_empty_balance_can_be_left_to_the_health_checks() -> None:
    monitor, _, _, switcher, _, balances = monitor_with(make_store("auto", empty_balance_fails=False))
    balances.table = {"anthropic": (BalanceStatus.EMPTY, 0.0)}
    assert monitor.tick() == [] and switcher.calls == []


def test_low_balance_is_a_suggestion_even_in_auto_mode_then_accept_switches() -> None:
    monitor, tools, _, switcher, _, balances = monitor_with(make_store("auto"))
    balances.table = {"anthropic": (BalanceStatus.LOW, 3.2), "zai": (BalanceStatus.OK, 40.0)}
    [suggestion] = monitor.tick()
    assert (suggestion.kind, suggestion.action) == (DecisionKind.LOW_BALANCE, Action.SUGGESTED)
    assert suggestion.to_choice is not None and str(suggestion.to_choice) == "zai/glm-5.2"
    assert suggestion.message == (
        "Claude Code: Anthropic's balance is low ($3.20 left, below $5.00). At the last 7 days' rate, Anthropic "
        "runs out in about 2 days. Switch to Z.ai glm-5.2 (works, 310 ms) before it runs out?")
    assert switcher.calls == []
    assert monitor.tick() == []  # asked once, not every round
    accepted = monitor.accept(suggestion)
    assert accepted.action is Action.ACCEPTED and switcher.calls == ["zai/glm-5.2"]
    assert tools.config is not None and tools.config.base_url == "https://api.z.ai/api/anthropic"


def test_low_balance_moves_the_tool_when_the_setting_allows() -> None:
    monitor, _, _, switcher, _, balances = monitor_with(make_store("auto", low_balance_prefers_next=True))
    balances.table = {"anthropic": (BalanceStatus.LOW, 3.2), "zai": (BalanceStatus.LOW, 1.0),
                      "ollama": (BalanceStatus.OK, 9.0)}
    [decision] = monitor.tick()
    assert (decision.kind, decision.action) == (DecisionKind.LOW_BALANCE, Action.SWITCHED)
    assert switcher.calls == ["ollama/qwen3-coder"]  # the next entry that is not running low too


def test_low_balance_with_nowhere_to_go_is_noted_once() -> None:
    store = make_store("suggest")
    store.chains["claude-code"] = store.chains["claude-code"][:1]
    monitor, _, _, _, _, balances = monitor_with(store)
    balances.table = {"anthropic": (BalanceStatus.LOW, 3.2)}
    [note] = monitor.tick()
    assert (note.kind, note.action) == (DecisionKind.NO_CANDIDATE, Action.NOTED)
    assert "balance is low" in note.message and "no other choice" in note.message
    assert monitor.tick() == []


def test_a_failed_balance_probe_keeps_the_last_verdict_and_a_top_up_clears_it() -> None:
    monitor, _, _, _, clock, balances = monitor_with(make_store("suggest", balance_interval_s=120.0))
    balances.table = {"anthropic": (BalanceStatus.LOW, 3.2), "zai": (BalanceStatus.OK, 40.0)}
    [suggestion] = monitor.tick()
    assert suggestion.kind is DecisionKind.LOW_BALANCE
    balances.table["anthropic"] = (BalanceStatus.TIMEOUT, None)
    clock.advance(120)
    monitor.tick()
    assert monitor.ledger.balance("anthropic") is not None
    assert monitor.ledger.balance("anthropic").status is BalanceStatus.LOW  # type: ignore[union-attr]
    balances.table["anthropic"] = (BalanceStatus.OK, 80.0)
    clock.advance(120)
    assert monitor.tick() == []
    assert monitor.status()[0].open_suggestion is None  # topped up: the suggestion is moot


def test_switching_back_after_a_top_up() -> None:
    monitor, _, _, switcher, clock, balances = monitor_with(
        make_store("auto", low_balance_prefers_next=True, switch_back_after_s=300.0, dwell_s=0.0,
                   balance_interval_s=120.0))
    balances.table = {"anthropic": (BalanceStatus.LOW, 3.2), "zai": (BalanceStatus.OK, 40.0)}
    monitor.tick()
    assert switcher.calls == ["zai/glm-5.2"]
    for _ in range(4):  # still low: never back to it
        clock.advance(120)
        monitor.tick()
    assert switcher.calls == ["zai/glm-5.2"]
    balances.table["anthropic"] = (BalanceStatus.OK, 100.0)
    switched_back = []
    for _ in range(6):
        clock.advance(120)
        switched_back += [d for d in monitor.tick() if d.kind is DecisionKind.SWITCH_BACK]
    assert switcher.calls == ["zai/glm-5.2", "anthropic/claude-sonnet-4-6"]
    assert switched_back and switched_back[0].action is Action.SWITCHED


def test_settings_round_trip_and_validation() -> None:
    settings = settings_from_table({"balance_interval_s": 300, "empty_balance_fails": False,
                                    "low_balance_prefers_next": True})
    assert (settings.balance_interval_s, settings.empty_balance_fails, settings.low_balance_prefers_next) == \
        (300.0, False, True)
    assert settings_from_table(settings.to_table()) == settings
    assert FailoverSettings().empty_balance_fails and not FailoverSettings().low_balance_prefers_next
    import pytest

    from switchover.core.errors import ValidationError

    with pytest.raises(ValidationError, match="true or false"):
        settings_from_table({"empty_balance_fails": "yes"})
    with pytest.raises(ValidationError, match="between 60"):
        settings_from_table({"balance_interval_s": 5})
