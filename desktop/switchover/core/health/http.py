"""A bounded HTTP exchange for health checks: timeouts, a body cap, and a redirect policy that keeps keys home.

A check must never stall on a slow or endless answer, never buffer a 100 MB body, and never carry the key to a
host the user did not configure (or over plain http).
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx

from switchover import __version__
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

    def httpx_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout_s,
            read=self.read_timeout_s,
            write=self.read_timeout_s,
            pool=self.total_timeout_s,
        )


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


def redirect_refusal(source: httpx.URL, target: httpx.URL) -> str | None:
    """Why we will not follow source -> target with the key, or None when it is safe."""
    if target.host != source.host:
        return "offsite"
    if source.scheme == "https" and target.scheme != "https" and not is_loopback_url(str(target)):
        return "downgrade"
    return None


async def fetch(
    client: httpx.AsyncClient,
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
    request = client.build_request(method, url, headers=headers, json=json_body, timeout=limits.httpx_timeout())
    async with asyncio.timeout(limits.total_timeout_s):
        hops = 0
        while True:
            response = await client.send(request, stream=True)
            try:
                ttfb_ms = (time.perf_counter() - started) * 1000
                next_request = response.next_request
                if follow_redirects and response.is_redirect and next_request is not None:
                    why = redirect_refusal(request.url, next_request.url)
                    hops += 1
                    if why is None and hops > limits.max_redirects:
                        why = "too_many"
                    if why is not None:
                        raise RedirectRefusedError(request.url, next_request.url, why)
                    request = next_request
                    continue
                body, truncated = await _read_capped(response, limits.max_body_bytes)
                return FetchedResponse(
                    status=response.status_code,
                    headers=response.headers,
                    body=body,
                    body_truncated=truncated,
                    ttfb_ms=ttfb_ms,
                    elapsed_ms=(time.perf_counter() - started) * 1000,
                    url=str(request.url),
                )
            finally:
                await response.aclose()


# zlib window bits per Content-Encoding: gzip (auto-detects a zlib header too) and HTTP "deflate" (zlib).
_ZLIB_WBITS = {"gzip": 47, "x-gzip": 47, "deflate": 15}


async def _read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """The body, decoded, at most `cap` bytes. Compressed bodies are inflated with a bound on the *output*:
    httpx inflates each network read whole, so a 64 KiB read of a gzip bomb would become ~64 MiB at once."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    chunks: list[bytes] = []
    size = 0
    try:
        if encoding in _ZLIB_WBITS:
            decoder = zlib.decompressobj(_ZLIB_WBITS[encoding])
            async for raw in response.aiter_raw():
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
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    break
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.DecodingError, zlib.error) as exc:
        raise IncompleteBodyError(type(exc).__name__) from exc
    if size > cap:
        return b"".join(chunks)[:cap], True
    return b"".join(chunks), False
