"""What an upstream's answer means for the request: success, a failure to fail over from, or the client's
own error to hand back. HTTP errors are read with the same signatures as the health checks
(`resources/error_signatures.toml`), so a request and a check name the same failure the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from switchover.core.health.classify import parse_retry_after
from switchover.core.health.results import HealthResult, HealthStatus
from switchover.core.health.scrub import scrub
from switchover.core.health.signatures import SignatureBook, parse_provider_error

REQUEST_EVIDENCE_MARK = "through the gateway"  # in the reason of every health result a request produced


def is_request_evidence(result: HealthResult) -> bool:
    """A health result made from a request through the gateway (rather than by a check)."""
    return REQUEST_EVIDENCE_MARK in result.reason.split(":", 1)[0]


# Failures another upstream may not have: try the next one.
FAILOVER_STATUSES = frozenset(
    {
        HealthStatus.RATE_LIMITED,
        HealthStatus.QUOTA_EXHAUSTED,
        HealthStatus.OVERLOADED,
        HealthStatus.AUTH_FAILED,
        HealthStatus.REGION_BLOCKED,
        HealthStatus.FORBIDDEN,
        HealthStatus.MODEL_MISSING,
        HealthStatus.UNREACHABLE,
        HealthStatus.TIMEOUT,
        HealthStatus.TLS_ERROR,
        HealthStatus.SERVER_ERROR,
    }
)


@dataclass(frozen=True)
class Outcome:
    status: HealthStatus
    reason: str
    http_status: int | None = None
    error_code: str | None = None
    retry_after_s: float | None = None
    failover: bool = True  # False: the request itself is at fault; hand the error to the tool as it is

    @property
    def is_health_evidence(self) -> bool:
        """Does this say something about the upstream (rather than about one bad request)?"""
        return self.status.is_healthy or self.failover


def classify_http_error(
    provider: str,
    protocol: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    book: SignatureBook,
    key: str | None = None,
) -> Outcome:
    error = parse_provider_error(body)
    retry_after = parse_retry_after(headers.get("retry-after") or headers.get("Retry-After"))
    found = book.classify(
        provider=provider, protocol=protocol, http_status=status, error=error, has_retry_after=retry_after is not None
    )
    if found is None:
        health = HealthStatus.SERVER_ERROR if status >= 500 else HealthStatus.BAD_RESPONSE
        reason, code = f"{provider} answered HTTP {status}.", error.primary_code
    else:
        health, reason, code = found.status, found.reason, found.error_code
    if error.message:
        reason += f" The provider said: “{scrub(error.message, key)}”."
    # A 4xx the signatures do not name is the request's own fault (too long, malformed): no other upstream
    # would take it either. A 404/405 means the URL is wrong for this upstream: try the next one.
    failover = health in FAILOVER_STATUSES or (health is HealthStatus.BAD_RESPONSE and status in (404, 405))
    if 300 <= status < 400:
        health, failover = HealthStatus.BAD_RESPONSE, True
        reason = f"{provider} answered with a redirect (HTTP {status}); the gateway never follows redirects " \
                 "with a key. Check the provider's base URL."
    return Outcome(health, scrub(reason, key, max_chars=None), status, code and scrub(code, key), retry_after,
                   failover)


def success(latency_note: str = "") -> Outcome:
    return Outcome(HealthStatus.OK, f"Answered a request{latency_note}.", 200, failover=False)
