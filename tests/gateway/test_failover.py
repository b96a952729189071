"""The failover monitor and the gateway: a tool that goes through the gateway is re-routed (its files stay as
they are), and requests through the gateway are health evidence the monitor acts on (one truth)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from switchover.core.failover.decisions import Action, DecisionKind, DecisionLog
from switchover.core.failover.monitor import CheckRequest
from switchover.core.failover.settings import Mode
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.store import load_store
from switchover.services.failover import build_monitor
from switchover.services.gateway_routes import route_choices
from tests.support.cli import run_switchover
from tests.support.gateway import free_port, write_gateway_port


class Checker:
    """Answers every check with a fixed status per provider (none: the provider is not checked at all)."""

    def __init__(self, statuses: dict[str, HealthStatus]):
        self.statuses = statuses
        self.asked: list[str] = []

    def check(self, requests: Sequence[CheckRequest], tier: Tier) -> list[HealthResult]:
        out = []
        for request in requests:
            self.asked.append(request.endpoint_key)
            status = self.statuses.get(request.provider.name)
            if status is not None:
                out.append(HealthResult(request.provider.name, request.protocol.value, "http://x", tier, status,
                                        f"{status.value} (test)", 100.0, checked_at=time.time()))
        return out


@pytest.fixture
def gateway_tool(isolated_home: Path) -> Path:
    """Claude Code pointed at its gateway route, serving alpha; chain alpha → bravo; failover on auto."""
    write_gateway_port(free_port())
    for name in ("alpha", "bravo"):
        added = run_switchover(["provider", "add", name, "--anthropic-url", f"https://{name}.example",
                                "--model", f"model-{name[0]}", "--no-key"])
        assert added.returncode == 0, added.stderr
    for argv in (["chain", "set", "claude-code", "alpha/model-a", "bravo/model-b"],
                 ["chain", "mode", "claude-code", "auto"],
                 ["use", "alpha/model-a", "--tool", "claude-code", "--via-gateway"]):
        done = run_switchover(argv)
        assert done.returncode == 0, done.stdout + done.stderr
    settings = isolated_home / ".claude" / "settings.json"
    assert "/claude-code" in json.loads(settings.read_text())["env"]["ANTHROPIC_BASE_URL"]
    return settings


def test_failover_reroutes_a_gateway_tool_without_touching_its_files(gateway_tool: Path) -> None:
    before = gateway_tool.read_bytes()
    checker = Checker({"alpha": HealthStatus.REGION_BLOCKED, "bravo": HealthStatus.OK})
    monitor = build_monitor(only_tools=["claude-code"], checker=checker, history=DecisionLog(), one_shot=True,
                            mode=Mode.AUTO)
    decisions = monitor.tick()
    switched = [d for d in decisions if d.action is Action.SWITCHED]
    assert [(d.kind, str(d.to_choice)) for d in switched] == [(DecisionKind.FAILOVER, "bravo/model-b")]
    assert route_choices(load_store())["claude-code"].provider == "bravo"
    assert gateway_tool.read_bytes() == before  # re-routed inside the gateway: the tool's file is untouched
    assert "alpha/anthropic" in checker.asked  # the route's choice is what the monitor watched


def test_request_evidence_moves_a_tool_the_checks_cannot_see_failing(gateway_tool: Path) -> None:
    """The gateway saw region blocks on real requests; the monitor's cheap check of alpha says nothing here
    (a model list passes in a blocked region): the requests' evidence is what makes it fail over."""
    now = time.time()
    HealthHistory().record([
        HealthResult("alpha", "anthropic", "https://alpha.example/v1/messages", Tier.DEEP,
                     HealthStatus.REGION_BLOCKED, "Request from claude-code through the gateway: blocked",
                     120.0, 403, checked_at=now - offset) for offset in (2.0, 1.0)
    ])
    checker = Checker({"bravo": HealthStatus.OK})
    monitor = build_monitor(only_tools=["claude-code"], checker=checker, history=DecisionLog(), mode=Mode.AUTO)
    decisions = monitor.tick()
    assert [str(d.to_choice) for d in decisions if d.action is Action.SWITCHED] == ["bravo/model-b"]
    assert route_choices(load_store())["claude-code"].provider == "bravo"
    assert monitor.ledger.get("alpha/anthropic").last is not None
    assert monitor.ledger.get("alpha/anthropic").last.status is HealthStatus.REGION_BLOCKED  # type: ignore[union-attr]
