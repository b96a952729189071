"""Who may talk to the gateway: pure checks on a request's headers, applied before anything else is read.

The gateway binds to loopback, but a web page in the user's browser can still reach loopback: by DNS
rebinding (a hostile name resolving to 127.0.0.1, visible in the Host header) or by a cross-origin request
(visible in Origin / Sec-Fetch-Site). Coding tools send neither, so both are refused. Every request must
then present the local gateway token (Bearer, x-api-key or api-key), compared in constant time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from switchover.gateway.token import token_matches

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Refusal:
    status: int
    kind: str  # "forbidden" | "unauthorized"
    message: str


def allowed_hosts(port: int) -> frozenset[str]:
    """Host header values a local client sends for this port (with and without the port)."""
    names = {*_LOOPBACK_NAMES, *(f"{name}:{port}" for name in _LOOPBACK_NAMES)}
    return frozenset(names)


def check_origin(headers: Mapping[str, str], hosts: frozenset[str]) -> Refusal | None:
    """Refuse foreign Host headers (DNS rebinding) and anything a browser marks as a web page's request."""
    host = headers.get("Host", "").strip().lower()
    if host not in hosts:
        return Refusal(403, "forbidden", "The gateway answers only requests addressed to 127.0.0.1 or localhost.")
    if "Origin" in headers:
        return Refusal(403, "forbidden", "The gateway does not serve web pages (cross-origin request refused).")
    site = headers.get("Sec-Fetch-Site", "").strip().lower()
    if site and site != "none":
        return Refusal(403, "forbidden", "The gateway does not serve web pages (browser request refused).")
    return None


def presented_token(headers: Mapping[str, str]) -> str | None:
    """The credential a client sent: Bearer first (Claude Code's helper also fills x-api-key)."""
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    for name in ("x-api-key", "api-key", "x-goog-api-key"):
        value = headers.get(name)
        if value:
            return value.strip()
    return None


def check_token(headers: Mapping[str, str], expected: str) -> Refusal | None:
    presented = presented_token(headers)
    if token_matches(presented, expected):
        return None
    if not presented:
        return Refusal(401, "unauthorized", "No gateway token was sent. Point the tool at the gateway with "
                       "`switchover use PROVIDER/MODEL --tool TOOL --via-gateway`, which sets it up.")
    # x-api-key may carry a stale provider key while Bearer holds the token: accept a match in either.
    for name in ("x-api-key", "api-key"):
        if token_matches(headers.get(name, "").strip(), expected):
            return None
    return Refusal(401, "unauthorized", "Wrong gateway token. Run `switchover gateway token` to see where "
                   "tools read it, or point the tool at the gateway again with --via-gateway.")
