"""How health statuses look: one colour per severity, short labels, latency text."""

from __future__ import annotations

import time
from html import escape

from PySide6.QtGui import QColor

from switchover.core.health.results import HealthResult, HealthStatus

GOOD = QColor("#15803d")
WARN = QColor("#b45309")
BAD = QColor("#b91c1c")
NONE = QColor("#6b7280")

_WARN = {HealthStatus.SLOW, HealthStatus.RATE_LIMITED, HealthStatus.OVERLOADED}


def status_colour(status: HealthStatus | None) -> QColor:
    if status is None:
        return NONE
    if status is HealthStatus.OK:
        return GOOD
    return WARN if status in _WARN else BAD


def status_label(status: HealthStatus | None) -> str:
    return "not checked" if status is None else status.value


def latency_text(ms: float | None) -> str:
    if ms is None:
        return "—"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def ago_text(timestamp: float, now: float | None = None) -> str:
    seconds = max(0, int((now or time.time()) - timestamp))
    if seconds < 60:
        return "just now" if seconds < 5 else f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def status_html(result: HealthResult) -> str:
    colour = status_colour(result.status).name()
    return (
        f"<b>{escape(result.protocol)}</b>: <span style='color:{colour}'><b>{escape(result.status.value)}</b></span>"
        f" ({escape(latency_text(result.latency_ms))}) — {escape(result.reason)}"
    )
