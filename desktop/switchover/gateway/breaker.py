"""Circuit breakers per upstream, pure: outcomes and times in, "may I send this request there?" out.

- closed: requests flow. A hard failure (region block, bad key, quota, unreachable, ...) opens the circuit
  at once: the next request would fail the same way. Soft failures (overloaded, 5xx, rate limits) open it
  after `soft_threshold` in a row; a Retry-After opens it for at least that long.
- open: requests skip the upstream until the cool-down is over; each re-opening doubles it (capped).
- half-open: after the cool-down one request is let through as the probe; its success closes the circuit,
  its failure opens it again. Other requests keep skipping it meanwhile.
No clock of its own and no I/O, so tests drive it with plain numbers (house style: the failover policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from switchover.core.health.results import HealthStatus
from switchover.core.health.statuses import FailureClass, failure_class


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Permission(StrEnum):
    ALLOW = "allow"
    PROBE = "probe"  # allowed as the half-open probe: report its outcome
    DENY = "deny"


@dataclass(frozen=True)
class BreakerSettings:
    soft_threshold: int = 3
    base_cooldown_s: float = 15.0
    max_cooldown_s: float = 300.0
    probe_timeout_s: float = 900.0  # a probe that never reported (crash, cancel) frees the slot after this


@dataclass
class Circuit:
    state: CircuitState = CircuitState.CLOSED
    soft_failures: int = 0
    opened_at: float = 0.0
    cooldown_s: float = 0.0
    openings: int = 0  # consecutive openings without a success (drives the backoff)
    probe_since: float | None = None
    last_status: HealthStatus | None = None
    last_change: float = 0.0

    def reopen_at(self) -> float:
        return self.opened_at + self.cooldown_s


class Breakers:
    """All circuits of one gateway. Not thread-safe: the gateway's event loop is its only user."""

    def __init__(self, settings: BreakerSettings | None = None):
        self.settings = settings or BreakerSettings()
        self._circuits: dict[str, Circuit] = {}

    def circuit(self, key: str) -> Circuit:
        return self._circuits.setdefault(key, Circuit())

    def would_allow(self, key: str, now: float) -> bool:
        """Whether `permit` would let a request through now (without taking the probe slot)."""
        circuit = self._circuits.get(key)
        if circuit is None or circuit.state is CircuitState.CLOSED:
            return True
        if circuit.state is CircuitState.OPEN:
            return now >= circuit.reopen_at()
        return self._probe_expired(circuit, now)

    def permit(self, key: str, now: float) -> Permission:
        circuit = self.circuit(key)
        if circuit.state is CircuitState.CLOSED:
            return Permission.ALLOW
        if circuit.state is CircuitState.OPEN:
            if now < circuit.reopen_at():
                return Permission.DENY
            circuit.state, circuit.probe_since, circuit.last_change = CircuitState.HALF_OPEN, now, now
            return Permission.PROBE
        if self._probe_expired(circuit, now):
            circuit.probe_since = now
            return Permission.PROBE
        return Permission.DENY

    def _probe_expired(self, circuit: Circuit, now: float) -> bool:
        return circuit.probe_since is None or now - circuit.probe_since >= self.settings.probe_timeout_s

    def success(self, key: str, now: float) -> None:
        circuit = self.circuit(key)
        if circuit.state is not CircuitState.CLOSED:
            circuit.last_change = now
        circuit.state = CircuitState.CLOSED
        circuit.soft_failures = circuit.openings = 0
        circuit.probe_since = None
        circuit.last_status = HealthStatus.OK

    def failure(self, key: str, status: HealthStatus, now: float, retry_after_s: float | None = None) -> None:
        circuit = self.circuit(key)
        circuit.last_status = status
        kind = failure_class(status)
        if kind is None:
            return
        circuit.soft_failures += 1
        trip = (
            circuit.state is CircuitState.HALF_OPEN
            or kind is FailureClass.HARD
            or circuit.soft_failures >= self.settings.soft_threshold
            or retry_after_s is not None
        )
        if trip:
            self._open(circuit, now, retry_after_s)

    def release(self, key: str) -> None:
        """A probe ended without a verdict (the client went away): let the next request probe."""
        circuit = self._circuits.get(key)
        if circuit is not None and circuit.state is CircuitState.HALF_OPEN:
            circuit.probe_since = None

    def _open(self, circuit: Circuit, now: float, retry_after_s: float | None) -> None:
        settings = self.settings
        cooldown = min(settings.base_cooldown_s * 2 ** circuit.openings, settings.max_cooldown_s)
        if retry_after_s is not None:
            cooldown = max(cooldown, min(retry_after_s, settings.max_cooldown_s * 12))
        circuit.state = CircuitState.OPEN
        circuit.opened_at, circuit.cooldown_s, circuit.last_change = now, cooldown, now
        circuit.openings += 1
        circuit.soft_failures = 0
        circuit.probe_since = None

    def snapshot(self, now: float) -> dict[str, dict[str, object]]:
        """Per upstream: state, last status, seconds until a probe is allowed (for status output)."""
        out: dict[str, dict[str, object]] = {}
        for key, circuit in sorted(self._circuits.items()):
            out[key] = {
                "state": circuit.state.value,
                "last_status": circuit.last_status.value if circuit.last_status else None,
                "retry_in_s": round(max(0.0, circuit.reopen_at() - now), 1)
                if circuit.state is CircuitState.OPEN else 0.0,
            }
        return out
