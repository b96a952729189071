"""A bounded HTTP exchange for health checks: timeouts, a body cap, and a redirect policy that keeps keys home.

A check must never stall on a slow or endless answer, never buffer a 100 MB body, and never carry the key to a
host the user did not configure (or over plain http).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx

from switchover import __version__
from switchover.core.health.transport import (
    ClientTransport,
    CoreTransport,
    HttpTransport,
    RawResponse,
    default_port,
    env_has_proxy,
)
from switchover.core.providers import is_loopback_url

USER_AGENT = f"Switchover/{__version__} (health check)"


@dataclass(frozen=True)
class HttpLimits:
    """Per-request bounds. The total bound covers connect, redirects and reading the whole body."""

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    total_timeout_s: float = 15.0
    max_body_bytes: int = 4 * 1024 * 1024  # model lists (OpenRouter) reach ~1-2 MiB
    max_redirects: int = 3

    def timeouts(self) -> dict[str, float]:
        """Per phase, as httpcore and httpx name them (a pool wait is bounded by the total)."""
        return {
            "connect": self.connect_timeout_s,
            "read": self.read_timeout_s,
            "write": self.read_timeout_s,
            "pool": self.total_timeout_s,
        }


@dataclass(frozen=True)
class FetchedResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    body_truncated: bool  # the body exceeded max_body_bytes; we stopped reading
    ttfb_ms: float  # until the final response's headers arrived
    elapsed_ms: float  # until the (capped) body was read
    url: str


class RedirectRefusedError(Exception):
    """The endpoint redirected somewhere we will not send the key; carries no key, only hosts."""

    def __init__(self, source: httpx.URL, target: httpx.URL, why: str):
        self.source_host = source.host
        self.target = f"{target.scheme}://{target.host}" + (f":{target.port}" if target.port else "")
        self.why = why  # "offsite" | "downgrade" | "too_many"
        super().__init__(f"redirect from {self.source_host} to {self.target} refused ({why})")


class IncompleteBodyError(Exception):
    """The connection broke after the headers: the answer was truncated."""


@cache
def system_ssl_context() -> ssl.SSLContext:
    """The OS trust store (truststore), so corporate CAs installed system-wide just work."""
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def make_client(
    ssl_context: ssl.SSLContext | None = None,
    max_connections: int = 64,
    trust_env: bool = True,
) -> httpx.AsyncClient:
    """One client per sweep: pooled connections, our redirect policy (never httpx's), our TLS trust."""
    return httpx.AsyncClient(
        verify=ssl_context if ssl_context is not None else system_ssl_context(),
        follow_redirects=False,
        trust_env=trust_env,
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        headers={"User-Agent": USER_AGENT},
    )


def make_transport(
    ssl_context: ssl.SSLContext | None = None,
    trust_env: bool = True,
    connections_for: Callable[[str], int] = lambda _origin: 4,
) -> HttpTransport:
    """The transport for a round of checks.

    httpcore directly, unless the environment names a proxy (and `trust_env`): then an httpx client per
    origin (`connections_for(origin)` sizes its pool), which applies HTTP(S)_PROXY / ALL_PROXY / NO_PROXY
    exactly as the coding tools' own HTTP stacks do."""
    context = ssl_context if ssl_context is not None else system_ssl_context()
    if trust_env and env_has_proxy():
        return ClientTransport(make=lambda origin: make_client(context, connections_for(origin), trust_env=True))
    return CoreTransport(context, USER_AGENT)


def redirect_refusal(source: httpx.URL, target: httpx.URL) -> str | None:
    """Why we will not follow source -> target with the key, or None when it is safe."""
    if target.host != source.host:
        return "offsite"
    if source.scheme == "https" and target.scheme != "https" and not is_loopback_url(str(target)):
        return "downgrade"
    return None


_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


def as_transport(client: httpx.AsyncClient | HttpTransport) -> HttpTransport:
    """A transport for `client`: callers holding an httpx client (balance, discovery) pass it as it is."""
    return ClientTransport(client) if isinstance(client, httpx.AsyncClient) else client


async def fetch(
    client: httpx.AsyncClient | HttpTransport,
    method: str,
    url: str,
    *,
    limits: HttpLimits,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    follow_redirects: bool = True,
) -> FetchedResponse:
    """Send one request under `limits`; raises httpx errors, TimeoutError, RedirectRefusedError,
    IncompleteBodyError for the caller to classify."""
    started = time.perf_counter()
    transport = as_transport(client)
    wire_headers = {"Accept-Encoding": "gzip, deflate", **(headers or {})}
    body: bytes | None = None
    if json_body is not None:  # as httpx's json=: compact UTF-8, no NaN
        body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        wire_headers.setdefault("Content-Type", "application/json")
    timeouts = limits.timeouts()
    async with asyncio.timeout(limits.total_timeout_s):
        hops = 0
        while True:
            response = await transport.open(method, url, wire_headers, body, timeouts)
            try:
                ttfb_ms = (time.perf_counter() - started) * 1000
                location = response.headers.get("location") if response.status in _REDIRECT_CODES else None
                if follow_redirects and location is not None:
                    source = httpx.URL(url)
                    target = redirect_target(source, location)
                    why = redirect_refusal(source, target)
                    hops += 1
                    if why is None and hops > limits.max_redirects:
                        why = "too_many"
                    if why is not None:
                        raise RedirectRefusedError(source, target, why)
                    new_method = redirect_method(method, response.status)
                    body_dropped = new_method != method and new_method == "GET"  # as httpx
                    dropped = _dropped_on_redirect(source, target, body_dropped=body_dropped)
                    if body_dropped:
                        body = None
                    wire_headers = {k: v for k, v in wire_headers.items() if k.lower() not in dropped}
                    method, url = new_method, str(target)
                    continue
                content, truncated = await _read_capped(response, limits.max_body_bytes)
                return FetchedResponse(
                    status=response.status,
                    headers=response.headers,
                    body=content,
                    body_truncated=truncated,
                    ttfb_ms=ttfb_ms,
                    elapsed_ms=(time.perf_counter() - started) * 1000,
                    url=url,
                )
            finally:
                await response.aclose()


def redirect_target(source: httpx.URL, location: str) -> httpx.URL:
    """Where a Location header points, resolved as httpx resolves it."""
    try:
        target = httpx.URL(location)
    except httpx.InvalidURL as exc:
        raise httpx.RemoteProtocolError(f"Invalid URL in location header: {exc}.") from None
    if target.scheme and not target.host:
        target = target.copy_with(host=source.host)
    if target.is_relative_url:
        target = source.join(target)
    return target


def _dropped_on_redirect(source: httpx.URL, target: httpx.URL, *, body_dropped: bool) -> frozenset[str]:
    """Headers not carried to the redirect's target, as httpx drops them: the body's framing when the body
    goes, and Authorization when the origin changes (same host, another port), except http->https."""
    dropped = {"content-type", "content-length", "transfer-encoding"} if body_dropped else set()
    if not _same_origin(source, target) and not _is_https_upgrade(source, target):
        dropped.add("authorization")
    return frozenset(dropped)


def _port_or_default(url: httpx.URL) -> int | None:
    return url.port if url.port is not None else default_port(url.scheme)


def _same_origin(url: httpx.URL, other: httpx.URL) -> bool:
    return url.scheme == other.scheme and url.host == other.host and _port_or_default(url) == _port_or_default(other)


def _is_https_upgrade(url: httpx.URL, target: httpx.URL) -> bool:
    return (url.host == target.host and url.scheme == "http" and _port_or_default(url) == 80
            and target.scheme == "https" and _port_or_default(target) == 443)


def redirect_method(method: str, status: int) -> str:
    """The method of the request a redirect asks for (RFC 9110 §15.4, as browsers and httpx do)."""
    if status == 303 and method != "HEAD":
        return "GET"
    if status in (301, 302) and method == "POST":
        return "GET"
    return method


# zlib window bits per Content-Encoding: gzip (auto-detects a zlib header too) and HTTP "deflate" (zlib).
_ZLIB_WBITS = {"gzip": 47, "x-gzip": 47, "deflate": 15}


async def _read_capped(response: RawResponse, cap: int) -> tuple[bytes, bool]:
    """The body, decoded, at most `cap` bytes. Compressed bodies are inflated with a bound on the *output*
    (a 64 KiB read of a gzip bomb inflated whole would be ~64 MiB at once). Other encodings were not asked
    for (Accept-Encoding: gzip, deflate) and are passed through as they came."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    chunks: list[bytes] = []
    size = 0
    try:
        if encoding in _ZLIB_WBITS:
            decoder = zlib.decompressobj(_ZLIB_WBITS[encoding])
            async for raw in response.iter_raw():
                pending = raw
                while pending and size <= cap:
                    piece = decoder.decompress(pending, cap + 1 - size)
                    pending = decoder.unconsumed_tail
                    chunks.append(piece)
                    size += len(piece)
                if size > cap:
                    return b"".join(chunks)[:cap], True
            if size <= cap:
                tail = decoder.flush(cap + 1 - size)
                chunks.append(tail)
                size += len(tail)
        else:
            async for chunk in response.iter_raw():
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    break
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.DecodingError, zlib.error) as exc:
        raise IncompleteBodyError(type(exc).__name__) from exc
    if size > cap:
        return b"".join(chunks)[:cap], True
    return b"".join(chunks), False
