"""The failover monitor with 200 configured endpoints (10 tools x 20-long chains) for simulated time.

Endpoints flap (timeouts, rate limits with Retry-After, quota, recoveries), so the loop switches, backs off
and re-checks whole chains. Memory, measured with tracemalloc while the monitor runs, must stay flat, and
everything it keeps (ledger, per-tool state, decision history on disk) must stay bounded.
"""

from __future__ import annotations

import gc
import threading
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from switchover.core.failover.decisions import DecisionLog
from switchover.core.failover.monitor import CheckRequest, Monitor
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry, Store
from tests.failover.helpers import FakeClock

pytestmark = pytest.mark.slow

TOOLS = 10
CHAIN = 20
ENDPOINTS = TOOLS * CHAIN
HISTORY_LIMIT = 500
OWN_CODE = str(Path(__file__).resolve().parents[2] / "desktop" / "switchover" / "*")


@dataclass
class Config:
    base_url: str | None
    model: str | None
    protocol: Protocol | None = Protocol.ANTHROPIC
    provider: str | None = None


def _provider(index: int) -> Provider:
    return Provider(f"p{index:03d}", (Endpoint.make(Protocol.ANTHROPIC, f"http://127.0.0.1:9/p{index:03d}"),),
                    models=(f"model-{index:03d}",), label=f"Provider {index}", credential=Credential.none())


PROVIDERS = [_provider(i) for i in range(ENDPOINTS)]


class Tools:
    """Ten tools, each starting on the head of its own chain; the switcher moves them."""

    def __init__(self) -> None:
        self.configs = {f"tool-{t}": Config(PROVIDERS[t * CHAIN].endpoints[0].base_url, PROVIDERS[t * CHAIN].models[0])
                        for t in range(TOOLS)}

    def tool_ids(self) -> list[str]:
        return list(self.configs)

    def label(self, tool: str) -> str:
        return tool.title()

    def protocols(self, tool: str) -> tuple[Protocol, ...]:
        return (Protocol.ANTHROPIC,)

    def current(self, tool: str) -> Config | None:
        return self.configs[tool]


class Switcher:
    def __init__(self, tools: Tools):
        self.tools = tools
        self.switches = 0

    def switch(self, tool: str, provider: Provider, model: str, small_model: str | None) -> None:
        self.switches += 1
        self.tools.configs[tool] = Config(provider.endpoints[0].base_url, model)


class FlappingChecker:
    """Each endpoint's health follows its own cycle of 30-second slots: ok, then a failure kind, then ok."""

    KINDS = (HealthStatus.TIMEOUT, HealthStatus.RATE_LIMITED, HealthStatus.QUOTA_EXHAUSTED,
             HealthStatus.UNREACHABLE, HealthStatus.SERVER_ERROR)

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.checks = 0

    def status(self, index: int) -> HealthStatus:
        slot = int((self.clock.monotonic() - self.clock.start) // 30)
        phase = (slot + index) % 5
        return HealthStatus.OK if phase < 3 else self.KINDS[index % len(self.KINDS)]

    def check(self, requests: Sequence[CheckRequest], tier: Tier) -> list[HealthResult]:
        self.checks += len(requests)
        out = []
        for request in requests:
            index = int(request.provider.name[1:])
            status = self.status(index)
            out.append(HealthResult(
                provider=request.provider.name, protocol="anthropic",
                url=request.provider.endpoints[0].base_url + "/v1/models", tier=tier, status=status,
                reason=f"{status.value} (simulated)", latency_ms=120.0 if status is HealthStatus.OK else None,
                retry_after_s=30.0 if status is HealthStatus.RATE_LIMITED else None,
                checked_at=self.clock.wall()))
        return out


def _store() -> Store:
    store = Store()
    for provider in PROVIDERS:
        store.add(provider)
    for t in range(TOOLS):
        store.chains[f"tool-{t}"] = [ChainEntry(p.name, p.models[0]) for p in PROVIDERS[t * CHAIN:(t + 1) * CHAIN]]
    store.section("failover").update({"mode": "auto", "interval_s": 30.0})
    return store


def _run(minutes: float, tmp_path: Path) -> dict[str, object]:
    store = _store()
    tools = Tools()
    switcher = Switcher(tools)
    samples: list[tuple[float, int]] = []
    stop = threading.Event()
    clock = FakeClock(stop_after=minutes * 60)
    history = DecisionLog(tmp_path / "decisions.jsonl", limit=HISTORY_LIMIT)
    checker = FlappingChecker(clock)
    monitor = Monitor(tools=tools, checker=checker, switcher=switcher, clock=clock, history=history,
                      store_loader=lambda: store)
    observed: list[int] = []
    monitor.add_results_observer(lambda results: observed.append(len(results)))

    def sample(elapsed: float) -> None:
        """Once per simulated minute: the live heap allocated by Switchover's own code (garbage collected
        first, so cycles awaiting collection do not count; the test's own bookkeeping is filtered out)."""
        if samples and elapsed < samples[-1][0] + 60:
            return
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, OWN_CODE)])
        samples.append((elapsed, sum(stat.size for stat in snapshot.statistics("filename"))))

    clock.after_tick = sample
    clock.stop = lambda: (stop.set(), monitor.stop())
    tracemalloc.start()
    try:
        monitor.run()
    finally:
        tracemalloc.stop()
    assert stop.is_set(), "the simulated timeline did not finish"
    return {"monitor": monitor, "samples": samples, "checker": checker, "switcher": switcher, "history": history,
            "rounds": len(observed)}


def test_monitor_with_200_endpoints_keeps_memory_flat_and_history_bounded(tmp_path: Path) -> None:
    run = _run(10, tmp_path)
    monitor: Monitor = run["monitor"]  # type: ignore[assignment]
    samples: list[tuple[float, int]] = run["samples"]  # type: ignore[assignment]
    checker: FlappingChecker = run["checker"]  # type: ignore[assignment]
    switcher: Switcher = run["switcher"]  # type: ignore[assignment]
    history: DecisionLog = run["history"]  # type: ignore[assignment]

    # It really worked hard: many rounds, whole chains checked while failing, many switches.
    assert run["rounds"] >= 20 and checker.checks >= 5 * ENDPOINTS and switcher.switches >= 2 * TOOLS, (
        run["rounds"], checker.checks, switcher.switches)
    # Memory: after the first two simulated minutes (caches warm), the traced heap does not grow.
    warm = [mem for elapsed, mem in samples if 120 <= elapsed < 240]
    late = [mem for elapsed, mem in samples if elapsed >= 480]
    assert warm and late
    growth = max(late) - max(warm)
    print(f"\nmonitor load: {ENDPOINTS} endpoints, {run['rounds']} rounds in 10 simulated minutes, "
          f"{checker.checks} checks, {switcher.switches} switches; traced heap warm {max(warm) / 1024:.0f} KiB, "
          f"late {max(late) / 1024:.0f} KiB (growth {growth / 1024:.1f} KiB)")
    assert growth < 32 * 1024, f"the monitor's memory grew by {growth / 1024:.0f} KiB in 6 simulated minutes"
    # Bounded state: one ledger entry per endpoint, one state per tool, a capped history file.
    assert len(monitor.ledger._endpoints) <= ENDPOINTS
    assert len(monitor._states) <= TOOLS
    for health in monitor.ledger._endpoints.values():
        assert len(health.failures) <= max(monitor.settings.hard_threshold, monitor.settings.soft_threshold) + 2
    lines = history.path.read_text().splitlines()
    assert 0 < len(lines) <= HISTORY_LIMIT
