"""Gateway settings, kept in the store's `[gateway]` table (owned and validated here).

The bounds are the gateway's defence against a hostile local client: everything it reads has a size cap and
every wait has a timeout. Defaults suit coding tools (large prompts with images, minutes-long generations).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from switchover.core.errors import ValidationError

SECTION = "gateway"
# Collides with none of cc-switch 15721, claude-code-router 3456, LiteLLM 4000, Ollama 11434, LM Studio 1234,
# and sits below Linux's ephemeral range (32768+), where an outgoing connection could briefly hold it.
DEFAULT_PORT = 7345
HOST = "127.0.0.1"


@dataclass(frozen=True)
class GatewaySettings:
    enabled: bool = False  # the desktop app runs the gateway in-process (the CLI runs it when asked)
    port: int = DEFAULT_PORT
    max_body_bytes: int = 32 * 1024 * 1024  # one request; prompts with images reach a few MiB
    max_error_body_bytes: int = 256 * 1024  # an upstream's error answer, read to classify it
    max_connections: int = 256  # open client connections; more are closed at once
    max_line_bytes: int = 8190  # the request line, and each header line
    max_headers: int = 128  # header lines per request
    # A connection without a complete request head after this long is closed: idle keep-alive connections
    # and clients that send their headers too slowly alike (aiohttp's keep-alive timer covers both).
    idle_timeout_s: float = 30.0
    body_timeout_s: float = 60.0  # a request's whole body must arrive this fast
    connect_timeout_s: float = 10.0  # to an upstream
    stream_ttfb_s: float = 120.0  # a streamed answer's first bytes must come this fast, else fail over
    ttfb_s: float = 600.0  # a non-streamed answer arrives whole; generations take minutes
    stream_idle_s: float = 300.0  # longest silence between two chunks of a streamed answer
    log_keep: int = 2000  # request-log entries kept on disk

    def to_table(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "port": self.port}

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


_FLOATS = {
    "body_timeout_s": (1.0, 3600.0),
    "idle_timeout_s": (1.0, 3600.0),
    "connect_timeout_s": (0.5, 120.0),
    "stream_ttfb_s": (1.0, 3600.0),
    "ttfb_s": (1.0, 7200.0),
    "stream_idle_s": (1.0, 7200.0),
}
_INTS = {
    "port": (1024, 65535),
    "max_body_bytes": (64 * 1024, 512 * 1024 * 1024),
    "max_error_body_bytes": (4 * 1024, 16 * 1024 * 1024),
    "max_connections": (4, 100_000),
    "max_line_bytes": (1024, 1024 * 1024),
    "max_headers": (16, 10_000),
    "log_keep": (10, 1_000_000),
}


def settings_from_table(table: Mapping[str, Any]) -> GatewaySettings:
    """Validate the `[gateway]` table; unknown keys are ignored so newer versions can add some."""
    values: dict[str, Any] = {}
    if "enabled" in table:
        if not isinstance(table["enabled"], bool):
            raise ValidationError("gateway.enabled must be true or false")
        values["enabled"] = table["enabled"]
    for key, (low, high) in _INTS.items():
        if key in table:
            raw = table[key]
            if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
                raise ValidationError(f"gateway.{key} must be a whole number from {low} to {high}")
            values[key] = raw
    for key, (lowf, highf) in _FLOATS.items():
        if key in table:
            raw = table[key]
            if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
                raise ValidationError(f"gateway.{key} must be a number of seconds")
            if not lowf <= raw <= highf:
                raise ValidationError(f"gateway.{key} must be between {lowf:g} and {highf:g} seconds")
            values[key] = float(raw)
    return GatewaySettings(**values)


def settings_section(sections: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = sections.get(SECTION, {})
    if not isinstance(raw, Mapping):
        raise ValidationError("[gateway] must be a table")
    return raw


def with_port(settings: GatewaySettings, port: int | None) -> GatewaySettings:
    if port is None:
        return settings
    if not 0 <= port <= 65535:
        raise ValidationError(f"port {port} is not a TCP port")
    return replace(settings, port=port)
