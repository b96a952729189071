"""What a health check found: one status from a fixed vocabulary, a sentence saying why, and the numbers."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from switchover.core.providers import endpoint_key


class Tier(StrEnum):
    """How deep a check goes; each tier costs more and proves more."""

    REACH = "reach"  # DNS + TCP + TLS + any HTTP answer; no key sent
    AUTH = "auth"  # the model list with the key: key valid, models exist
    DEEP = "deep"  # a 1-token request: quota and region access (costs tokens)


class HealthStatus(StrEnum):
    OK = "ok"
    SLOW = "slow"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXHAUSTED = "quota_exhausted"
    OVERLOADED = "overloaded"
    AUTH_FAILED = "auth_failed"
    REGION_BLOCKED = "region_blocked"
    FORBIDDEN = "forbidden"
    MODEL_MISSING = "model_missing"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS_ERROR = "tls_error"
    BAD_RESPONSE = "bad_response"
    SERVER_ERROR = "server_error"

    @property
    def is_healthy(self) -> bool:
        """The one definition of "usable right now" (a slow endpoint still answers)."""
        return self in _HEALTHY

    @property
    def is_transient(self) -> bool:
        """Failures likely to clear by themselves (retry later) rather than needing the user to act: the
        failover policy's soft failures (`statuses.FailureClass.SOFT`), so both always agree."""
        from switchover.core.health.statuses import status_info

        return status_info(self).transient


_HEALTHY = frozenset({HealthStatus.OK, HealthStatus.SLOW})


@dataclass(frozen=True)
class HealthResult:
    """One check of one endpoint. Never holds a key: reasons are built from templates and scrubbed."""

    provider: str
    protocol: str
    url: str
    tier: Tier
    status: HealthStatus
    reason: str
    latency_ms: float | None = None
    http_status: int | None = None
    error_code: str | None = None
    retry_after_s: float | None = None
    models: tuple[str, ...] = ()
    checked_at: float = field(default_factory=time.time)

    @property
    def healthy(self) -> bool:
        return self.status.is_healthy

    @property
    def endpoint_key(self) -> str:
        """Identifies the endpoint across checks (history is kept per key)."""
        return endpoint_key(self.provider, self.protocol)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["tier"] = self.tier.value
        data["status"] = self.status.value
        data["models"] = list(self.models)
        if self.latency_ms is not None:
            data["latency_ms"] = round(self.latency_ms, 1)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HealthResult:
        return cls(
            provider=str(data["provider"]),
            protocol=str(data["protocol"]),
            url=str(data["url"]),
            tier=Tier(data["tier"]),
            status=HealthStatus(data["status"]),
            reason=str(data["reason"]),
            latency_ms=_opt_float(data.get("latency_ms")),
            http_status=int(data["http_status"]) if data.get("http_status") is not None else None,
            error_code=str(data["error_code"]) if data.get("error_code") is not None else None,
            retry_after_s=_opt_float(data.get("retry_after_s")),
            models=tuple(str(m) for m in data.get("models", ())),
            checked_at=float(data.get("checked_at", 0.0)),
        )


def _opt_float(value: Any) -> float | None:
    return float(value) if value is not None else None
