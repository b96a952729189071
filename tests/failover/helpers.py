"""Shared builders for the failover tests: providers, results, a fake clock."""

from __future__ import annotations

import threading
from collections.abc import Callable

from switchover.core.failover.chains import Candidate
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.providers import Credential, Endpoint, Protocol, Provider


def provider(name: str, label: str, url: str, models: tuple[str, ...], protocol: Protocol = Protocol.ANTHROPIC,
             credential: Credential | None = None) -> Provider:
    return Provider(name=name, endpoints=(Endpoint.make(protocol, url),), models=models, label=label,
                    credential=credential or Credential.none())


ANTHROPIC = provider("anthropic", "Anthropic", "https://api.anthropic.com", ("claude-sonnet-4-6",))
ZAI = provider("zai", "Z.ai", "https://api.z.ai/api/anthropic", ("glm-5.2",))
DEEPSEEK = provider("deepseek", "DeepSeek", "https://api.deepseek.com/anthropic", ("deepseek-v4-pro",))
OLLAMA = provider("ollama", "Ollama", "http://127.0.0.1:11434", ("qwen3-coder",))


def candidates(*providers: Provider) -> tuple[Candidate, ...]:
    return tuple(Candidate(i, p, p.models[0], Protocol.ANTHROPIC) for i, p in enumerate(providers))


def result(p: Provider, status: HealthStatus, latency_ms: float | None = 310.0,
           retry_after_s: float | None = None) -> HealthResult:
    return HealthResult(provider=p.name, protocol="anthropic", url=p.endpoints[0].base_url + "/v1/models",
                        tier=Tier.AUTH, status=status, reason=f"{status.value} for the test",
                        latency_ms=latency_ms, retry_after_s=retry_after_s, checked_at=1_700_000_000.0)


class FakeClock:
    """Time moves only when the monitor waits; `on_wait(now)` lets a test change the world at given times.

    `stop_after` ends the run once that much fake time has passed (the test's timeline is over).
    """

    def __init__(self, start: float = 1000.0, wall_offset: float = 1_700_000_000.0,
                 on_wait: Callable[[float], None] | None = None, stop_after: float | None = None,
                 stop: Callable[[], None] | None = None, after_tick: Callable[[float], None] | None = None):
        self.now = start
        self.start = start
        self.wall_offset = wall_offset
        self.on_wait = on_wait
        self.stop_after = stop_after
        self.stop = stop
        self.after_tick = after_tick
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self.wall_offset

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep_machine(self, seconds: float) -> None:
        """Suspend: the wall clock moves, the monotonic one does not."""
        self.wall_offset += seconds

    def wait(self, seconds: float, interrupt: threading.Event) -> None:
        self.waits.append(seconds)
        if self.after_tick is not None:
            self.after_tick(self.now - self.start)  # the world as the round just left it
        if interrupt.is_set():
            return
        self.now += seconds
        if self.on_wait is not None:
            self.on_wait(self.now - self.start)
        if self.stop_after is not None and self.now - self.start >= self.stop_after and self.stop is not None:
            self.stop()
