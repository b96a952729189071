"""What a balance probe found: one status, the amount left and its currency, and a sentence saying why."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the catalog imports this module; the key-helper path must not load the health package
    from switchover.core.health.results import HealthStatus


class BalanceStatus(StrEnum):
    OK = "ok"  # money left, above the low threshold (or no threshold is known)
    LOW = "low"  # below the provider's low threshold: time to top up or move on
    EMPTY = "empty"  # nothing left (or the provider says the balance cannot pay for calls): requests will fail
    UNAVAILABLE = "unavailable"  # no figure to show: no balance API, or the answer carries no amount
    # The usual failure statuses of a health check, for when the balance API itself could not be asked.
    AUTH_FAILED = "auth_failed"
    FORBIDDEN = "forbidden"
    REGION_BLOCKED = "region_blocked"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS_ERROR = "tls_error"
    BAD_RESPONSE = "bad_response"
    SERVER_ERROR = "server_error"

    @property
    def has_amount(self) -> bool:
        return self in (BalanceStatus.OK, BalanceStatus.LOW, BalanceStatus.EMPTY)

    @property
    def is_failure(self) -> bool:
        """The probe itself failed (says nothing about the money)."""
        return not self.has_amount and self is not BalanceStatus.UNAVAILABLE

    @classmethod
    def from_health(cls, status: HealthStatus) -> BalanceStatus:
        """A failed exchange, in the balance vocabulary (quota/model statuses cannot come from a balance API
        answer except as an error body; they count as the provider refusing us)."""
        mapped = {
            "quota_exhausted": cls.EMPTY,
            "model_missing": cls.BAD_RESPONSE,
            "ok": cls.UNAVAILABLE,
            "slow": cls.UNAVAILABLE,
        }
        return mapped.get(status.value) or cls(status.value)


LABELS: dict[BalanceStatus, str] = {
    BalanceStatus.OK: "Balance ok",
    BalanceStatus.LOW: "Balance low",
    BalanceStatus.EMPTY: "Balance used up",
    BalanceStatus.UNAVAILABLE: "No balance figure",
}

NO_BALANCE_API = "no balance API; spend counted from requests"


@dataclass(frozen=True)
class BalanceResult:
    """One balance reading of one provider. Never holds a key: reasons are templates, scrubbed."""

    provider: str
    status: BalanceStatus
    reason: str
    amount: float | None = None  # what is left to spend (may be negative: debt)
    currency: str | None = None  # ISO code ("USD", "CNY") when the provider or preset says which
    parts: tuple[tuple[str, float], ...] = ()  # the provider's own breakdown, e.g. (("granted", 10.0), ...)
    threshold: float | None = None  # "low" below this (in `currency`)
    threshold_source: str | None = None  # "user" | "spend" (7 days' average daily spend x 3)
    supported: bool = True  # False: the provider has no balance API at all
    api: str | None = None  # which balance API answered ("deepseek", "openrouter", ...)
    url: str | None = None  # where we asked (no query string)
    http_status: int | None = None
    latency_ms: float | None = None
    checked_at: float = field(default_factory=time.time)
    spend_per_day: float | None = None  # recent average daily spend, in `currency`
    spend_window_days: float | None = None  # over how many days that average was taken
    spend_source: str | None = None  # "requests" (priced gateway requests) | "balance" (the balance's drops)
    days_left: float | None = None  # at that rate

    @property
    def has_amount(self) -> bool:
        return self.amount is not None and self.status.has_amount

    def with_threshold(self, threshold: float | None, source: str | None) -> BalanceResult:
        """Re-classify ok/low against a (new) threshold; empty and failures stay as they are."""
        if self.status not in (BalanceStatus.OK, BalanceStatus.LOW) or self.amount is None:
            return replace(self, threshold=threshold, threshold_source=source if threshold is not None else None)
        status = BalanceStatus.LOW if threshold is not None and self.amount < threshold else BalanceStatus.OK
        return replace(self, status=status, threshold=threshold,
                       threshold_source=source if threshold is not None else None)

    def money(self) -> str:
        """"¥3.20", "$12.50", "41.00" (no currency known), or "-"."""
        return format_money(self.amount, self.currency)

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "status": self.status.value,
            "reason": self.reason,
            "amount": _round(self.amount),
            "currency": self.currency,
            "parts": {name: _round(value) for name, value in self.parts},
            "threshold": _round(self.threshold),
            "threshold_source": self.threshold_source,
            "supported": self.supported,
            "api": self.api,
            "url": self.url,
            "http_status": self.http_status,
            "latency_ms": round(self.latency_ms, 1) if self.latency_ms is not None else None,
            "checked_at": self.checked_at,
            "spend_per_day": _round(self.spend_per_day),
            "spend_window_days": _round(self.spend_window_days),
            "spend_source": self.spend_source,
            "days_left": round(self.days_left, 2) if self.days_left is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BalanceResult:
        parts = data.get("parts") or {}
        return cls(
            provider=str(data["provider"]),
            status=BalanceStatus(data["status"]),
            reason=str(data.get("reason", "")),
            amount=_opt_float(data.get("amount")),
            currency=str(data["currency"]) if data.get("currency") else None,
            parts=tuple((str(k), float(v)) for k, v in parts.items() if _finite(v)),
            threshold=_opt_float(data.get("threshold")),
            threshold_source=str(data["threshold_source"]) if data.get("threshold_source") else None,
            supported=bool(data.get("supported", True)),
            api=str(data["api"]) if data.get("api") else None,
            url=str(data["url"]) if data.get("url") else None,
            http_status=int(data["http_status"]) if data.get("http_status") is not None else None,
            latency_ms=_opt_float(data.get("latency_ms")),
            checked_at=float(data.get("checked_at", 0.0)),
            spend_per_day=_opt_float(data.get("spend_per_day")),
            spend_window_days=_opt_float(data.get("spend_window_days")),
            spend_source=str(data["spend_source"]) if data.get("spend_source") else None,
            days_left=_opt_float(data.get("days_left")),
        )


_SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "JPY": "¥"}


def format_money(amount: float | None, currency: str | None) -> str:
    if amount is None:
        return "-"
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    digits = f"{value:,.2f}" if value >= 0.01 or value == 0 else f"{value:.4f}"
    if currency in _SYMBOLS:
        return f"{sign}{_SYMBOLS[currency]}{digits}"
    if currency:
        return f"{sign}{digits} {currency}"
    return f"{sign}{digits}"


def _round(value: float | None) -> float | None:
    return round(value, 6) if value is not None else None


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _opt_float(value: Any) -> float | None:
    return float(value) if _finite(value) else None
