"""The one vocabulary for health statuses: what each code means to a person, and to the failover policy.

Every surface takes its words from this table: CLI human output, the Health and Tools pages, notifications,
the tray and the wizard. JSON output and the health history keep the codes (`HealthStatus` values).

- `label`: a short title for a person ("Blocked in your region");
- `phrase`: completes "DeepSeek is …" ("region-blocked"), for notifications and failover messages;
- `severity`: how a surface colours it (good, warn, bad);
- `failure`: the failover policy's class. Hard failures need the user or the provider to act and will not
  clear by waiting a minute; soft ones usually clear by themselves (so they are the transient ones). None
  means the endpoint is usable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from switchover.core.health.results import HealthStatus


class Severity(StrEnum):
    GOOD = "good"
    WARN = "warn"
    BAD = "bad"


class FailureClass(StrEnum):
    HARD = "hard"  # needs the user or the provider to act; will not clear by waiting a minute
    SOFT = "soft"  # usually clears by itself


@dataclass(frozen=True)
class StatusInfo:
    code: HealthStatus
    label: str
    phrase: str
    severity: Severity
    failure: FailureClass | None

    @property
    def transient(self) -> bool:
        """Likely to clear by itself (retry later) rather than needing the user to act."""
        return self.failure is FailureClass.SOFT


_S = HealthStatus
_GOOD, _WARN, _BAD = Severity.GOOD, Severity.WARN, Severity.BAD
_HARD, _SOFT = FailureClass.HARD, FailureClass.SOFT

STATUSES: Mapping[HealthStatus, StatusInfo] = MappingProxyType({
    info.code: info
    for info in (
        StatusInfo(_S.OK, "Works", "working", _GOOD, None),
        StatusInfo(_S.SLOW, "Works but slowly", "slow", _WARN, None),
        StatusInfo(_S.RATE_LIMITED, "Rate limited right now", "rate-limiting", _WARN, _SOFT),
        StatusInfo(_S.QUOTA_EXHAUSTED, "Out of quota or credit", "out of quota", _BAD, _HARD),
        StatusInfo(_S.OVERLOADED, "Provider overloaded", "overloaded", _WARN, _SOFT),
        StatusInfo(_S.AUTH_FAILED, "Wrong key", "rejecting the key", _BAD, _HARD),
        StatusInfo(_S.REGION_BLOCKED, "Blocked in your region", "region-blocked", _BAD, _HARD),
        StatusInfo(_S.FORBIDDEN, "Key lacks permission", "refusing access", _BAD, _HARD),
        StatusInfo(_S.MODEL_MISSING, "Model not available", "missing the model", _BAD, _HARD),
        StatusInfo(_S.UNREACHABLE, "Cannot reach the provider", "unreachable", _BAD, _HARD),
        StatusInfo(_S.TIMEOUT, "No answer in time", "timing out", _BAD, _HARD),
        StatusInfo(_S.TLS_ERROR, "Secure connection failed", "failing TLS", _BAD, _HARD),
        # Often a proxy or captive portal hiccup: soft.
        StatusInfo(_S.BAD_RESPONSE, "Unexpected answer", "answering with something unexpected", _BAD, _SOFT),
        StatusInfo(_S.SERVER_ERROR, "Provider error", "returning server errors", _BAD, _SOFT),
    )
})


def status_info(status: HealthStatus) -> StatusInfo:
    return STATUSES[status]


def label(status: HealthStatus) -> str:
    """"Blocked in your region"."""
    return STATUSES[status].label


def phrase(status: HealthStatus) -> str:
    """"region-blocked", as in "DeepSeek is region-blocked"."""
    return STATUSES[status].phrase


def in_sentence(status: HealthStatus, latency_ms: float | None = None) -> str:
    """"works, 310 ms" / "wrong key": the label as it reads inside a sentence, with the latency when known."""
    text = STATUSES[status].label
    text = text[0].lower() + text[1:]
    return text if latency_ms is None else f"{text}, {latency_ms:.0f} ms"


def severity(status: HealthStatus) -> Severity:
    return STATUSES[status].severity


def failure_class(status: HealthStatus) -> FailureClass | None:
    return STATUSES[status].failure


__all__ = ["STATUSES", "FailureClass", "Severity", "StatusInfo", "failure_class", "in_sentence", "label",
           "phrase", "severity", "status_info"]
