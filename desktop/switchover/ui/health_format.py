"""How health statuses look: one tone per severity (colours from the palette), short labels, latency text."""

from __future__ import annotations

import time
from html import escape

from PySide6.QtGui import QColor

from switchover.core.health import statuses
from switchover.core.health.results import HealthResult, HealthStatus
from switchover.ui.kit.palette import Tone, colour, span

_TONES = {statuses.Severity.GOOD: Tone.GOOD, statuses.Severity.WARN: Tone.WARN, statuses.Severity.BAD: Tone.BAD}


def status_tone(status: HealthStatus | None) -> Tone:
    """The palette tone of the status's severity (the one status vocabulary, `core.health.statuses`)."""
    return Tone.MUTED if status is None else _TONES[statuses.severity(status)]


def status_colour(status: HealthStatus | None) -> QColor:
    return colour(status_tone(status))


def status_label(status: HealthStatus | None) -> str:
    """The status in words ("Blocked in your region"), the same everywhere in the app; "Not checked" for none.

    One vocabulary (`core.health.statuses`) for the pages, the tray, the wizard and the CLI's human output;
    JSON and logs keep the codes.
    """
    return "Not checked" if status is None else statuses.label(status)


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
    status = span(status_label(result.status), status_tone(result.status), bold=True)
    return (f"<b>{escape(result.protocol)}</b>: {status} ({escape(latency_text(result.latency_ms))}) — "
            f"{escape(result.reason)}")
