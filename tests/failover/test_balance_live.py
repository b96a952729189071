"""A balance running low, end to end on real local servers: the primary's balance API (DeepSeek's
documented shape) drops below the threshold; the monitor's balance round (the real probe) turns it into a
suggestion naming the next healthy chain entry before any request fails; accepting it rewrites Claude
Code's real settings.json through the switching engine."""

from __future__ import annotations

import json

from switchover.core.balance.checks import LiveBalanceChecker
from switchover.core.balance.history import BalanceHistory
from switchover.core.balance.results import BalanceStatus
from switchover.core.failover.decisions import Action, Decision, DecisionKind
from switchover.core.failover.monitor import Monitor
from switchover.core.failover.settings import SECTION
from switchover.core.store import edit_store
from switchover.services.failover import TargetDirectory
from tests.failover.conftest import Scenario
from tests.failover.helpers import FakeClock
from tests.failover.test_monitor_live import RecordingChecker, RecordingSwitcher
from tests.support.provider_server import Reply


def _balance(amount: str) -> Reply:
    return Reply.json({"is_available": True, "balance_infos": [
        {"currency": "USD", "total_balance": amount, "granted_balance": "0.00", "topped_up_balance": amount}]})


def test_low_balance_suggests_the_next_entry_before_requests_fail(scenario: Scenario) -> None:
    primary = scenario.servers["primary"]
    primary.on("GET", "/user/balance", _balance("12.00"))
    with edit_store() as store:
        store.section(SECTION).update({"interval_s": 60, "mode": "suggest", "balance_interval_s": 300})
        store.section("balance").update({"providers": {"primary": {
            "api": "deepseek", "url": primary.url + "/user/balance", "low_below": 5.0}}})
    seen: list[tuple[float, Decision]] = []

    def on_wait(elapsed: float) -> None:
        if elapsed >= 400:
            primary.on("GET", "/user/balance", _balance("3.20"))  # spent down, still answering requests

    clock = FakeClock(on_wait=on_wait, stop_after=1000)
    checker = RecordingChecker(clock)
    switcher = RecordingSwitcher()
    balances = LiveBalanceChecker()
    monitor = Monitor(tools=TargetDirectory(), checker=checker, switcher=switcher, clock=clock,
                      balance_checker=balances)
    clock.stop = monitor.stop
    monitor.add_observer(lambda d: seen.append((clock.now - clock.start, d)))
    rounds: list[list[str]] = []
    monitor.add_balance_observer(lambda results: rounds.append([f"{r.provider}:{r.status.value}" for r in results]))
    monitor.run()

    assert rounds[:2] == [["primary:ok"], ["primary:ok"]]  # at 0 and 300 s; backup has no balance API
    assert len(primary.requests_to("/user/balance")) == len(rounds) == 4  # every 300 s, not every 60 s check
    [(at, suggestion)] = [(t, d) for t, d in seen if d.kind is DecisionKind.LOW_BALANCE]
    assert 400 < at <= 600 and suggestion.action is Action.SUGGESTED
    assert suggestion.message.startswith("Claude Code: Primary's balance is low ($3.20 left, below $5.00)")
    assert "Switch to Backup test-model (works, " in suggestion.message
    assert suggestion.message.endswith("before it runs out?")
    assert [b.status for b in suggestion.balance] == [BalanceStatus.LOW]
    assert all(r.status.is_healthy for _, results in checker.rounds for r in results)  # no request failed
    assert switcher.calls == [] and scenario.claude_base_url() == scenario.url("primary")
    assert BalanceHistory().last("primary") is not None

    accepted = monitor.accept(suggestion)
    assert accepted.action is Action.ACCEPTED, accepted.message
    assert scenario.claude_base_url() == scenario.url("backup")
    settings = json.loads(scenario.settings_path.read_text())
    assert settings["env"]["MY_OWN_VAR"] == "keep me"
    [request] = primary.requests_to("/user/balance")[:1]
    assert request.headers["authorization"] == "Bearer sk-test-primary-0123456789abcdef"
